/** doctor against the emulator and real git config. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { analyseHelpers } from '../../src/commands/doctor-helper-chain.js';
import { FileStore } from '../../src/store/file.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';
import { bound } from '../helpers/bounds.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const tok = (name: string) => fixture.tokens!.find((t) => t.name === name)!.token!;
const ALL = (fixture.tokens ?? []).map((t) => t.token!).filter(Boolean);

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
});
afterAll(async () => emu.stop());
beforeEach(() => {
  sb = makeSandbox();
  emu.setFaults([]);
});
afterEach(() => sb.cleanup());

interface Finding {
  id: string;
  level: string;
  title: string;
  fix?: string;
}
async function doctor(...args: string[]): Promise<{ code: number; findings: Finding[] }> {
  const r = await runBin(sb, ['doctor', emu.baseUrl, '--json', '--timeout', '2', ...args]);
  expectNoSecrets([r.stdout, r.stderr], ALL);
  expect(r.stderr).toBe('');
  return { code: r.exitCode, findings: JSON.parse(r.stdout).findings };
}
const ids = (fs_: Finding[], level: string) => fs_.filter((f) => f.level === level).map((f) => f.id);

describe('doctor', () => {
  it('is all green after setup, login and hook install in a repository', async () => {
    await runBin(sb, ['setup', emu.baseUrl]);
    await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`);
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    const inst = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(inst.exitCode, inst.stderr).toBe(0);
    const r = await runBin(sb, ['doctor', emu.baseUrl, '--json'], '', { cwd: repo });
    const findings = JSON.parse(r.stdout).findings as Finding[];
    expect(r.exitCode, r.stdout).toBe(0);
    expect(ids(findings, 'error')).toEqual([]);
    expect(ids(findings, 'warn')).toEqual([]);
    expect(findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(['git', 'helper-chain', 'store', 'hook', 'server', 'token']),
    );
  });

  it('notes a hook script installed by another version, and hook install brings it up to date', async () => {
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    expect((await runBin(sb, ['hook', 'install'], '', { cwd: repo })).exitCode).toBe(0);
    const hook = path.join(repo, '.git', 'hooks', 'pre-push');
    const current = fs.readFileSync(hook, 'utf8');
    fs.writeFileSync(hook, current.replace(/^guard "\$@"$/m, 'guard "$@" # as an older version wrote it'));
    const outdated = async () =>
      (
        JSON.parse((await runBin(sb, ['doctor', emu.baseUrl, '--json'], '', { cwd: repo })).stdout)
          .findings as Finding[]
      ).find((f) => f.id === 'hook-outdated');
    expect(await outdated()).toMatchObject({ level: 'info', fix: 'git credential-bitbucket hook install' });
    expect((await runBin(sb, ['hook', 'install'], '', { cwd: repo })).stderr).toContain('Pre-push guard updated');
    expect(fs.readFileSync(hook, 'utf8')).toBe(current);
    expect(await outdated()).toBeUndefined();
  });

  it('detects a later plaintext store helper (e.g. repo-local credential.helper=store)', async () => {
    await runBin(sb, ['setup', emu.baseUrl]);
    await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`);
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    await runGit(sb, ['config', 'credential.helper', 'store'], '', { cwd: repo });
    const r = await runBin(sb, ['doctor', emu.baseUrl, '--json'], '', { cwd: repo });
    const findings = JSON.parse(r.stdout).findings as Finding[];
    const plain = findings.find((f) => f.id === 'helper-plaintext');
    expect(plain?.level).toBe('warn');
    expect(plain?.title).toMatch(/plain-text/);
    expect(plain?.fix).toMatch(/unset credential.helper/);
  });

  it('reports a missing helper and a missing hook, with the fixing commands, and exits 1', async () => {
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    const r = await runBin(sb, ['doctor', emu.baseUrl, '--json'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    const findings = JSON.parse(r.stdout).findings as Finding[];
    expect(findings.find((f) => f.id === 'helper-missing')?.fix).toBe(`git credential-bitbucket setup ${emu.baseUrl}`);
    expect(findings.find((f) => f.id === 'hook')).toMatchObject({
      level: 'warn',
      fix: 'git credential-bitbucket hook install',
    });
    expect(findings.find((f) => f.id === 'token')).toMatchObject({
      level: 'error',
      fix: `git credential-bitbucket login ${emu.baseUrl}`,
    });
  });

  it('detects an expired token', async () => {
    await runBin(sb, ['setup', emu.baseUrl]);
    // a token whose expiry (as login learnt it) has passed
    await new FileStore(path.join(sb.dataDir, 'credentials.json')).put(
      {
        protocol: 'http',
        host: new URL(emu.baseUrl).host,
        username: 'alice',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        meta: { baseUrl: emu.baseUrl, expiresAt: Date.now() - 60_000 },
      },
      { password: tok('alice-write') },
    );
    const { code, findings } = await doctor();
    expect(code).toBe(1);
    expect(findings.find((f) => f.id === 'token-expired')?.title).toMatch(/expired/);
  });

  it('detects an unreachable server', async () => {
    await runBin(sb, ['setup', emu.baseUrl]);
    emu.setFaults([{ kind: 'hang' }]);
    const started = Date.now();
    const { code, findings } = await doctor();
    expect(code).toBe(1);
    expect(findings.find((f) => f.id === 'server')).toMatchObject({ level: 'error' });
    expect(Date.now() - started).toBeLessThan(bound(2000));
  });

  it('prints findings for people, with fixes', async () => {
    const r = await runBin(sb, ['doctor', emu.baseUrl, '--timeout', '2']);
    expect(r.stdout).toMatch(/✗ this helper is not configured|✗ no credential helper/);
    expect(r.stdout).toMatch(/fix: git credential-bitbucket setup/);
  });
});

describe('analyseHelpers', () => {
  const ours = "!'/usr/bin/node' '/opt/gcb/bin/git-credential-bitbucket.js'";
  it('flags helpers before ours and storing helpers after ours', () => {
    const f = analyseHelpers(['cache', ours, 'store', 'osxkeychain'], 'https://h');
    expect(f.map((x) => x.id)).toEqual(['helper-chain', 'helper-before', 'helper-plaintext', 'helper-after']);
  });
  it('explains the credential-cache that setup --cache put before ours', () => {
    const f = analyseHelpers(['cache --timeout=300', ours], 'https://h');
    expect(f.map((x) => [x.id, x.level])).toEqual([
      ['helper-chain', 'ok'],
      ['helper-cache', 'info'],
    ]);
    expect(f[1]!.title).toContain('300 s');
    expect(f[1]!.title).toContain("the token sits in the cache daemon's memory");
    expect(f[1]!.detail).toContain('password_expiry_utc');
  });
  it('is content with ours alone', () => {
    expect(analyseHelpers([ours], 'https://h').map((x) => x.level)).toEqual(['ok']);
  });
});
