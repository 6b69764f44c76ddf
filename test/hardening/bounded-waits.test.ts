/**
 * The two faults whose handling is a deliberate wait, run side by side so that their waits
 * overlap: a store lock held by a live process (bounded wait, then one line naming the lock
 * file and holder), and `login` against a server answering 429 without Retry-After (the 5 s
 * fallback at most twice, then one line).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator, type Fixture } from '../emulator/index.js';
import { describe as desc, makeSandbox, ROOT, runBin } from '../helpers/sandbox.js';
import { bytesOf, credentialsFile, expectOneLineFailure, filesUnder, timed } from './util.js';
import { bound, NO_WAIT_MS } from '../helpers/bounds.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const TOKEN = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;
/** The store lock wait for the held-lock case (the default is a minute). */
const LOCK_WAIT = 3_000;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.concurrent('bounded waits', () => {
  it('a lock held by a live process: bounded wait, then one line naming the lock file and holder', async () => {
    const sb = makeSandbox();
    try {
      expect(
        (
          await runBin(
            sb,
            ['store'],
            desc({ protocol: 'https', host: 'bb.example.com', username: 'a', password: 'p1' }),
          )
        ).exitCode,
      ).toBe(0);
      const lock = `${credentialsFile(sb)}.lock`;
      // this test process stays alive for the whole wait, and its lock is fresh
      const held = `${process.pid} ${Date.now()}\n`;
      fs.writeFileSync(lock, held);
      const before = bytesOf(credentialsFile(sb));
      const { ms, value: r } = await timed(() =>
        runBin(sb, ['store'], desc({ protocol: 'https', host: 'bb.example.com', username: 'b', password: 'p2' }), {
          env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_LOCK_TIMEOUT: String(LOCK_WAIT) },
        }),
      );
      expectOneLineFailure(
        r,
        new RegExp(
          `could not lock ${escape(lock)} within ${LOCK_WAIT} ms: held by process ${process.pid} since \\d+ s ago; remove the file`,
        ),
      );
      expect(ms).toBeGreaterThan(LOCK_WAIT * 0.9);
      expect(ms).toBeLessThan(bound(LOCK_WAIT));
      expect(bytesOf(credentialsFile(sb))).toEqual(before);
      // the live holder's lock was neither broken nor replaced
      expect(fs.readFileSync(lock, 'utf8')).toBe(held);
      // get never takes the lock: it answers at once while the lock is held
      const { ms: getMs, value: get } = await timed(() =>
        runBin(sb, ['get'], desc({ protocol: 'https', host: 'bb.example.com' })),
      );
      expect(get.stdout).toContain('password=p1');
      expect(getMs).toBeLessThan(NO_WAIT_MS);
    } finally {
      sb.cleanup();
    }
  }, 90_000);

  it('login against 429 without Retry-After: the 5 s fallback at most twice, then one line; nothing stored', async () => {
    const emu = await startEmulator({
      data: fixture,
      context: '/bitbucket',
      faults: [{ kind: 'rateLimit', path: '/rest/api/1.0/users' }],
    });
    const sb = makeSandbox();
    try {
      const { ms, value: r } = await timed(() =>
        // --timeout bounds the whole command: room for both waits and three requests on a busy
        // machine (the number of waits is fixed, not a matter of the budget)
        runBin(sb, ['login', emu.baseUrl, '--token-stdin', '--timeout', '30'], `${TOKEN}\n`),
      );
      expectOneLineFailure(r, /rate limited by Bitbucket \(HTTP 429\); nothing was stored/);
      expect(ms).toBeGreaterThan(9_000);
      expect(ms).toBeLessThan(bound(30_000));
      expect(emu.log().filter((l) => l.status === 429)).toHaveLength(3);
      expect(r.stderr + r.stdout).not.toContain(TOKEN);
      expect(filesUnder(sb.dataDir)).toEqual([]);
      // a wait longer than the per-request timeout is not waited for: reported at once
      emu.clearLog();
      const quick = await timed(() =>
        runBin(sb, ['login', emu.baseUrl, '--token-stdin', '--timeout', '1'], `${TOKEN}\n`),
      );
      expectOneLineFailure(quick.value, /rate limited by Bitbucket \(HTTP 429\); nothing was stored/);
      expect(quick.ms).toBeLessThan(bound(1000));
      expect(emu.log().filter((l) => l.status === 429)).toHaveLength(1);
    } finally {
      sb.cleanup();
      await emu.stop();
    }
  }, 400_000);
});
