/**
 * Config-based hooks (git 2.54+) next to hook files: what `doctor` says about the guard must be
 * what a real push does, and `hook install` / `setup --hook` never make one push run the guard
 * twice. Guard runs are counted from the trace file: every run writes one `pre-push` line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitAtLeast } from '../helpers/git-version.js';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let traceFile: string;
const HOOK_FILE = () => path.join(repo, '.git', 'hooks', 'pre-push');

beforeEach(async () => {
  traceFile = '';
  sb = makeSandbox();
  traceFile = path.join(sb.dir, 'trace.log');
  sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
  repo = path.join(sb.dir, 'repo');
  const bare = path.join(sb.dir, 'bare.git');
  await runGit(sb, ['init', '-q', '--bare', bare]);
  await runGit(sb, ['init', '-q', repo]);
  await runGit(
    sb,
    ['-c', 'user.name=A', '-c', 'user.email=a@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'x'],
    '',
    {
      cwd: repo,
    },
  );
  await runGit(sb, ['remote', 'add', 'origin', bare], '', { cwd: repo });
});
afterEach(() => sb.cleanup());

let pushes = 0;
/** Pushes a new branch and returns how many times the guard ran for it. */
async function guardRunsOnPush(): Promise<number> {
  const before = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8') : '';
  const r = await runGit(sb, ['push', '-q', 'origin', `HEAD:refs/heads/b${++pushes}`], '', { cwd: repo });
  expect(r.exitCode, r.stderr).toBe(0);
  const after = fs.readFileSync(traceFile, 'utf8').slice(before.length);
  return after.split('\n').filter((l) => / pre-push origin /.test(l)).length;
}

async function hookFinding(): Promise<{ level: string; title: string; fix?: string }> {
  const r = await runBin(sb, ['doctor', 'http://127.0.0.1:9', '--json', '--timeout', '1'], '', { cwd: repo });
  const findings = JSON.parse(r.stdout).findings as Array<{ id: string; level: string; title: string; fix?: string }>;
  return findings.find((f) => f.id === 'hook')!;
}

const git = (...args: string[]) => runGit(sb, args, '', { cwd: repo });

describe('the guard hook file (every git)', () => {
  it('runs once per push, and doctor says it is installed', async () => {
    expect((await runBin(sb, ['hook', 'install'], '', { cwd: repo })).exitCode).toBe(0);
    expect(await guardRunsOnPush()).toBe(1);
    const f = await hookFinding();
    expect(f.level).toBe('ok');
    expect(f.title).toContain('installed in');
  });
});

describe.runIf(gitAtLeast(2, 54))('config-based hooks (git 2.54+)', () => {
  it('a global config hook and a hook file by hand: doctor says twice, and a push runs it twice', async () => {
    await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    const shim = fs.readFileSync(HOOK_FILE(), 'utf8');
    const elsewhere = path.join(sb.dir, 'shim', 'pre-push');
    fs.mkdirSync(path.dirname(elsewhere));
    fs.writeFileSync(elsewhere, shim, { mode: 0o755 });
    await git('config', '--global', 'hook.mine.command', `'${elsewhere}'`);
    await git('config', '--global', 'hook.mine.event', 'pre-push');
    expect(await guardRunsOnPush()).toBe(2);
    const f = await hookFinding();
    expect(f.level).toBe('warn');
    expect(f.title).toContain('runs 2 times per push');
    expect(f.title).toContain('hook.mine (global)');
    expect(f.title).toContain('hook file');
  });

  it('hook install --global where the hook file runs the guard: replaces the file, one run per push', async () => {
    await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    const r = await runBin(sb, ['hook', 'install', '--global'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Removed the guard's hook file .*pre-push \(the config-based hook runs it\)/);
    expect(fs.existsSync(HOOK_FILE())).toBe(false);
    expect(await guardRunsOnPush()).toBe(1);
    expect((await hookFinding()).title).toBe(
      'the pre-push guard runs here as config-based hook hook.bitbucket-pre-push (global)',
    );
  });

  it('a chained hook file comes back and still runs once the config hook replaces ours', async () => {
    const marker = path.join(sb.dir, 'previous-ran');
    fs.writeFileSync(HOOK_FILE(), `#!/bin/sh\necho x >> '${marker}'\n`, { mode: 0o755 });
    await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    const r = await runBin(sb, ['hook', 'install', '--global'], '', { cwd: repo });
    expect(r.stderr).toContain('your previous pre-push hook is back in place and still runs');
    expect(await guardRunsOnPush()).toBe(1);
    expect(fs.readFileSync(marker, 'utf8')).toBe('x\n');
  });

  it('setup --hook in a repository with the hook file: one run per push', async () => {
    await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    const r = await runBin(sb, ['setup', 'http://127.0.0.1:9', '--hook'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await guardRunsOnPush()).toBe(1);
  });

  it('hook install where a config hook runs the guard: writes no file, one run per push', async () => {
    await runBin(sb, ['hook', 'install', '--global']);
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'already runs here through config-based hook hook.bitbucket-pre-push (global); no hook file written',
    );
    expect(fs.existsSync(HOOK_FILE())).toBe(false);
    expect(await guardRunsOnPush()).toBe(1);
  });

  it('hook install where the config hook is disabled in this repository: writes the file, one run per push', async () => {
    await runBin(sb, ['hook', 'install', '--global']);
    await git('config', 'hook.bitbucket-pre-push.enabled', 'false');
    expect(await guardRunsOnPush()).toBe(0);
    const off = await hookFinding();
    expect(off.level).toBe('warn');
    expect(off.title).toContain('does not run here');
    expect(off.title).toContain('hook.bitbucket-pre-push.enabled=false');
    expect(off.fix).toBe('git config --unset hook.bitbucket-pre-push.enabled');
    expect((await runBin(sb, ['hook', 'install'], '', { cwd: repo })).exitCode).toBe(0);
    expect(fs.existsSync(HOOK_FILE())).toBe(true);
    expect(await guardRunsOnPush()).toBe(1);
    expect((await hookFinding()).level).toBe('ok');
  });

  it('hook.pre-push.enabled=false turns the config hook off (doctor says so), but not a hook file', async () => {
    await runBin(sb, ['hook', 'install', '--global']);
    await git('config', 'hook.pre-push.enabled', 'false');
    expect(await guardRunsOnPush()).toBe(0);
    const off = await hookFinding();
    expect(off.level).toBe('warn');
    expect(off.title).toContain('hook.pre-push.enabled=false turns off every config-based pre-push hook');
    // git 2.55 still runs the hooks-directory file with the event switch off (hook.c)
    await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(await guardRunsOnPush()).toBe(1);
    const on = await hookFinding();
    expect(on.level).toBe('ok');
    expect(on.title).toContain('installed in');
  });
});
