/**
 * `hook install --global` leaves the guard's hook file in other repositories: there the file
 * steps aside at run time when an enabled config-based hook runs the guard's config-hook script
 * (src/git/config-hooks.ts `configHookRunsGuard`), so every push is checked once. Real pushes to the
 * emulator; checks counted from the trace (one `policy` line per check actually made).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandFile } from '../../src/git/config-hook-command.js';
import { renderHook, readTemplate } from '../../src/git/hooks.js';
import { gitAtLeast } from '../helpers/git-version.js';
import { BIN, expectNoSecrets, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';
import { makeToken, type Emulator } from '../emulator/index.js';
import { cloneAsAlice, startAliceEmulator } from '../prepush/helpers.js';

const TOKEN = makeToken('320000000001');
let emu: Emulator;
/** Several real pushes each, two Node starts per push: generous on a loaded machine. */
const SLOW = 120_000;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];
let sb: Sandbox;
let repo: string;
let traceFile: string;
let pushes = 0;

beforeAll(async () => {
  emu = await startAliceEmulator(TOKEN);
});

afterAll(async () => {
  expectNoSecrets(outputs, [TOKEN]);
  await emu?.stop();
  for (const s of sandboxes) s.cleanup();
});

const git = async (...args: string[]) => {
  const r = await runGit(sb, args, '', { cwd: repo });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const bin = async (args: string[], cwd = repo) => {
  const r = await runBin(sb, args, '', { cwd });
  outputs.push(r.stdout, r.stderr);
  return r;
};
const HOOK_FILE = () => path.join(repo, '.git', 'hooks', 'pre-push');

beforeEach(async () => {
  sb = makeSandbox();
  sandboxes.push(sb);
  traceFile = path.join(sb.dir, 'trace.log');
  sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
  repo = await cloneAsAlice(sb, emu, TOKEN, 'repo');
});

/** Pushes a new branch with one commit by bob; how many checks ran, and what the push printed. */
async function push(): Promise<{ checks: number; starts: number; stderr: string; trace: string }> {
  const before = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8').length : 0;
  await git('-c', 'user.email=bob@example.com', 'commit', '-q', '--allow-empty', '-m', `by bob ${++pushes}`);
  const r = await git('push', 'origin', `HEAD:refs/heads/b${pushes}`);
  expect(r.exitCode, r.stderr).toBe(0);
  const trace = fs.readFileSync(traceFile, 'utf8').slice(before);
  return {
    checks: trace.split('\n').filter((l) => /guard: origin \S+: policy /.test(l)).length,
    starts: trace.split('\n').filter((l) => /guard: pre-push origin /.test(l)).length,
    stderr: r.stderr,
    trace,
  };
}

const WARNING = 'warning: 1 commit to push is not committed as alice@example.com';
const count = (text: string, part: string) => text.split(part).length - 1;

async function hookFinding(): Promise<{ level: string; title: string; fix?: string }> {
  const r = await bin(['doctor', emu.baseUrl, '--json', '--timeout', '5']);
  const findings = JSON.parse(r.stdout).findings as Array<{ id: string; level: string; title: string; fix?: string }>;
  return findings.find((f) => f.id === 'hook')!;
}

describe.runIf(gitAtLeast(2, 54))('a hook file where a global config hook runs the guard (git 2.54+)', () => {
  it(
    'the file steps aside: one check per push, the chained hook still runs, doctor says once',
    async () => {
      const ran = path.join(sb.dir, 'previous-ran');
      fs.writeFileSync(HOOK_FILE(), `#!/bin/sh\necho x >> '${ran}'\n`, { mode: 0o755 });
      expect((await bin(['hook', 'install'])).exitCode).toBe(0); // chains the previous hook
      // installed from elsewhere: this repository keeps its hook file
      const g = await bin(['hook', 'install', '--global'], sb.dir);
      expect(g.exitCode, g.stderr).toBe(0);
      expect(fs.existsSync(HOOK_FILE())).toBe(true);

      const p = await push();
      expect(p.starts).toBe(2); // both hooks start the guard ...
      expect(p.checks).toBe(1); // ... one checks
      expect(p.trace).toContain('skipped: the config-based hook hook.bitbucket-pre-push runs the guard for this push');
      expect(count(p.stderr, WARNING)).toBe(1);
      expect(fs.readFileSync(ran, 'utf8')).toBe('x\n'); // the chained hook ran, once

      const f = await hookFinding();
      expect(f.level).toBe('ok');
      expect(f.title).toBe(
        "the pre-push guard runs here as config-based hook hook.bitbucket-pre-push (global) (the guard's hook file here steps aside for it)",
      );
    },
    SLOW,
  );

  it(
    'a config hook script from before (no GCB_KIND=config) is not relied on: twice, doctor says how to fix, install --global fixes',
    async () => {
      expect((await bin(['hook', 'install'])).exitCode).toBe(0);
      expect((await bin(['hook', 'install', '--global'], sb.dir)).exitCode).toBe(0);
      const shim = commandFile(
        (await git('config', '--global', 'hook.bitbucket-pre-push.command')).stdout.trim(),
      )!.file;
      const fileKind = fs.readFileSync(shim, 'utf8').replace(/^GCB_KIND=config$/m, 'GCB_KIND=""');
      expect(renderHook(readTemplate(), { node: '', bin: '' })).toContain('\nGCB_KIND=""\n');
      fs.writeFileSync(shim, fileKind);
      const p = await push();
      expect(p.checks).toBe(2);
      expect(count(p.stderr, WARNING)).toBe(2);
      const f = await hookFinding();
      expect(f.level).toBe('warn');
      expect(f.title).toContain('runs 2 times per push');
      expect(f.fix).toContain('hook install --global (or --config, as it was installed) once more');

      expect((await bin(['hook', 'install', '--global'], sb.dir)).exitCode).toBe(0);
      expect((await push()).checks).toBe(1);
    },
    SLOW,
  );

  it(
    'the config hook disabled in this repository: the file checks (once)',
    async () => {
      expect((await bin(['hook', 'install'])).exitCode).toBe(0);
      expect((await bin(['hook', 'install', '--global'], sb.dir)).exitCode).toBe(0);
      await git('config', 'hook.bitbucket-pre-push.enabled', 'false');
      const p = await push();
      expect([p.starts, p.checks]).toEqual([1, 1]);
      expect(count(p.stderr, WARNING)).toBe(1);
      await git('config', '--unset', 'hook.bitbucket-pre-push.enabled');
      await git('config', 'hook.pre-push.enabled', 'false'); // every config-based pre-push hook off
      expect((await push()).checks).toBe(1);
    },
    SLOW,
  );
});

describe.runIf(!gitAtLeast(2, 54))('a hook file on git before 2.54 (no config-based hooks)', () => {
  it(
    'config for a config-based hook changes nothing: the file checks, once',
    async () => {
      expect((await bin(['hook', 'install'])).exitCode).toBe(0);
      const shim = path.join(sb.dir, 'shim', 'pre-push');
      fs.mkdirSync(path.dirname(shim));
      fs.writeFileSync(shim, renderHook(readTemplate(), { node: process.execPath, bin: BIN }, 'config'), {
        mode: 0o755,
      });
      const before = await push();
      expect([before.starts, before.checks]).toEqual([1, 1]);
      await git('config', '--global', 'hook.bitbucket-pre-push.command', `'${shim}'`);
      await git('config', '--global', 'hook.bitbucket-pre-push.event', 'pre-push');
      const p = await push();
      expect([p.starts, p.checks]).toEqual([1, 1]);
      expect(count(p.stderr, WARNING)).toBe(1);
      expect((await hookFinding()).title).toContain('installed in');
    },
    SLOW,
  );
});
