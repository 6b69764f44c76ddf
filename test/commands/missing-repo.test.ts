/**
 * A repository URL with a typo: Bitbucket answers 404 for a repository that does not exist and
 * 401 for one the caller may not read (docs/bitbucket-server.md section 7). Only the second is a
 * permission problem; the first is said as a wrong URL by login, check, the guard and rotate, and
 * is never counted against the token. Through the built binary, real git and the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bearerStatus, DEMO, fixtureSecrets, fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN } from '../helpers/sandbox.js';

const PASSWORD = 'alice-password';
const WRITE = fixtureToken('alice-write');
const f = useEmulatorSandbox({
  context: '/bb',
  secrets: [PASSWORD, ...fixtureSecrets(DEMO)],
  // a project alice cannot see: its repository answers 401, not 404
  data: {
    ...DEMO,
    projects: [...(DEMO.projects ?? []), { key: 'SEC', name: 'Secret' }],
    repos: [...(DEMO.repos ?? []), { project: 'SEC', slug: 'vault' }],
  },
});

const url = (path: string) => `${f.emu.baseUrl}/scm/${path}.git`;
const missing = () => `PRJ/nope does not exist on ${f.emu.baseUrl} (check the remote URL)`;

/** A clone of PRJ/app with the helper and the token, the guard installed, origin pointed at PRJ/nope. */
async function cloneThenTypo(): Promise<string> {
  await f.git(['config', '--global', 'credential.helper', BIN]);
  await f.git(['config', '--global', 'bitbucket.timeout', '60000']);
  await f.login(WRITE);
  const work = path.join(f.sb.dir, 'work');
  const clone = await f.git(['clone', '-q', url('prj/app'), work]);
  expect(clone.exitCode, clone.stderr).toBe(0);
  expect((await f.bin(['hook', 'install'], '', { cwd: work })).exitCode).toBe(0);
  const id = ['-c', 'user.email=alice@example.com', '-c', 'user.name=Alice Example'];
  await f.git([...id, 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: work });
  await f.git(['remote', 'set-url', 'origin', url('prj/nope')], { cwd: work });
  return work;
}

describe('a repository that does not exist', () => {
  it('login names the URL, not a missing REPO_WRITE, and stores the token', async () => {
    const r = await f.bin(['login', url('PRJ/nope'), '--token-stdin'], `${WRITE}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${missing()}; write permission was not checked`);
    expect(r.stderr).not.toMatch(/cannot push|lacks/);
    expect((await f.bin(['status'])).stdout).toContain('alice');
  });

  it('login with a read-only token: its own permissions still say it cannot push, naming no repository', async () => {
    const r = await f.bin(['login', url('PRJ/nope'), '--token-stdin'], `${fixtureToken('alice-read')}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(missing());
    expect(r.stderr).toContain('This token cannot push: it lacks repository write permission (REPO_WRITE). Pushes');
  });

  it('login to a repository the token cannot read still says it cannot push (401 is a permission)', async () => {
    const r = await f.bin(['login', url('sec/vault'), '--token-stdin'], `${WRITE}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'This token cannot push: it lacks repository write permission (REPO_WRITE) on SEC/vault',
    );
    expect(r.stderr).not.toContain('does not exist');
  });

  it('check --json exits 1 and says the repository does not exist, with no REPO_WRITE finding', async () => {
    const work = await cloneThenTypo();
    const r = await f.bin(['check', '--json'], '', { cwd: work });
    expect(r.exitCode, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as {
      server: { status: string; facts: { writable?: boolean; repositoryMissing?: string; permissions: string[] } };
      findings: Array<{ severity: string; title: string }>;
    };
    expect(out.server.status).toBe('ok');
    expect(out.server.facts.repositoryMissing).toBe(`PRJ/nope does not exist on ${f.emu.baseUrl}`);
    expect(out.server.facts.writable).toBeUndefined();
    expect(out.server.facts.permissions).toContain('REPO_WRITE');
    expect(out.findings).toEqual([
      expect.objectContaining({ severity: 'warn', title: `${missing()}; write permission not checked` }),
    ]);
    expect(JSON.stringify(out.findings)).not.toContain('REPO_WRITE is needed');
    const text = await f.bin(['check'], '', { cwd: work });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toContain('push:     not checked: no such repository');
    expect(text.stdout).toContain(`warning: ${missing()}`);
    expect(text.stdout).not.toContain('Create a token with REPO_WRITE');
  });

  it("a real push: git's own error speaks, and the guard never claims a permission problem", async () => {
    const work = await cloneThenTypo();
    const push = await f.git(['push', 'origin', 'HEAD:main'], { cwd: work });
    expect(push.exitCode).not.toBe(0);
    expect(push.stderr).toMatch(/not found/i);
    expect(push.stderr).not.toMatch(/REPO_WRITE|blocked/);
    // the installed hook, run as git runs it: a warning naming the URL, and the push not blocked
    const head = (await f.git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    const hook = await execa(path.join(work, '.git', 'hooks', 'pre-push'), ['origin', url('prj/nope')], {
      cwd: work,
      env: f.sb.env,
      extendEnv: false,
      input: `HEAD ${head} refs/heads/main ${'0'.repeat(40)}\n`,
      reject: false,
    });
    f.outputs.push(String(hook.stdout), String(hook.stderr));
    expect(hook.exitCode, String(hook.stderr)).toBe(0);
    expect(String(hook.stderr)).toContain(`warning: ${missing()}; write permission not checked`);
    expect(String(hook.stderr)).not.toMatch(/REPO_WRITE|blocked/);
  });

  it('rotate with a mistyped URL keeps the new token, revokes the old one, and names the URL', async () => {
    const created = await f.bin(
      ['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(created.exitCode, created.stderr).toBe(0);
    const old = storedToken();
    const r = await f.bin(['rotate', url('prj/ap'), '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`PRJ/ap does not exist on ${f.emu.baseUrl} (check the remote URL)`);
    expect(r.stderr).not.toMatch(/does not work|cannot push/);
    expect(r.stderr).toMatch(/✓ Revoked the old token/);
    const now = storedToken();
    expect(now).not.toBe(old);
    expect(await restStatus(now)).toBe(200);
    expect(await restStatus(old)).toBe(401);
  });
});

function storedToken(): string {
  const file = JSON.parse(fs.readFileSync(path.join(f.sb.dataDir, 'credentials.json'), 'utf8')) as {
    entries: Array<{ secrets: { password?: string } }>;
  };
  return file.entries[0]?.secrets.password ?? '';
}

const restStatus = (token: string) => bearerStatus(f.emu.baseUrl, token);
