/**
 * A 429 whose Retry-After is longer than the command can wait: the one line says when the server
 * asks to be tried again, not only that it refused (a wait it could take is taken: client tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN } from '../helpers/sandbox.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ context: '/bitbucket', secrets: [token] });
const WHEN = /rate limited by Bitbucket \(HTTP 429\); it asks to try again in 60 min \(at \d\d:\d\d UTC\)/;

describe('a 429 with Retry-After: 3600', () => {
  it('login says when to try again, in one line; nothing is stored', async () => {
    f.emu.setFaults([{ kind: 'rateLimit', retryAfter: 3600, path: '/rest/api/1.0/users' }]);
    const r = await f.bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(WHEN);
    expect(r.stderr).toMatch(/; nothing was stored$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(path.join(f.sb.dataDir, 'credentials.json'))).toBe(false);
  });

  it('status says it too; without Retry-After the line names no time', async () => {
    f.emu.setFaults([]);
    await f.login(token);
    f.emu.setFaults([{ kind: 'rateLimit', retryAfter: 3600 }]);
    expect((await f.bin(['status'])).stdout).toMatch(WHEN);
    f.emu.setFaults([{ kind: 'rateLimit' }]);
    const plain = await f.bin(['status', '--timeout', '1']);
    expect(plain.stdout).toContain('rate limited by Bitbucket (HTTP 429)');
    expect(plain.stdout).not.toContain('try again');
  });
});

describe('a 429 with a Retry-After of centuries (a misbehaving server or proxy)', () => {
  it('login, status and check say "more than a year" in one line; the guard warns and lets the push go', async () => {
    f.emu.setFaults([]);
    await f.login(token);
    await f.git(['config', '--global', 'credential.helper', BIN]);
    const work = path.join(f.sb.dir, 'work');
    expect((await f.git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, work])).exitCode).toBe(0);
    for (const retryAfter of [99_999_999_999_999, 'Fri, 31 Dec 9999 23:59:59 GMT']) {
      f.emu.setFaults([{ kind: 'rateLimit', retryAfter }]);
      const login = await f.bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
      expect(login.exitCode).toBe(1);
      expect(login.stderr).toMatch(/rate limited by Bitbucket \(HTTP 429\); it asks to try again in more than a year/);
      expect(login.stderr.trim().split('\n')).toHaveLength(1);
      expect((await f.bin(['status'])).stdout).toContain('it asks to try again in more than a year');
      const check = await f.bin(['check'], '', { cwd: work });
      expect(check.stderr).not.toMatch(/RangeError|\n\s+at /);
      expect(check.stdout + check.stderr).toContain('in more than a year');
      const head = (await f.git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
      const url = `${f.emu.baseUrl}/scm/prj/app.git`;
      const hook = await f.bin(['hook', 'pre-push', 'origin', url], `HEAD ${head} refs/heads/x ${'0'.repeat(40)}\n`, {
        cwd: work,
      });
      expect(hook.exitCode, hook.stderr).toBe(0);
      expect(hook.stderr).not.toMatch(/RangeError|\n\s+at /);
      expect(hook.stderr).toContain('in more than a year');
    }
  });
});
