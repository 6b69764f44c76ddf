/**
 * The ref list reaches both hooks whole, whatever TMPDIR is: the user's hook that `hook install`
 * chains and the guard (among a few refs, and past 64, where the script parses the list with one
 * awk) each see every ref, with TMPDIR missing, a file, or a full file system; real `git push`
 * through the installed hook to the emulator (hooks/pre-push keeps the list in a variable). A full
 * file system needs root to mount a tmpfs: those tests are skipped elsewhere.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { pushFixture, useEmulatorSandbox } from '../helpers/fixture.js';
import { makeToken } from '../emulator/index.js';
import { hookInstallRun } from '../../src/commands/hook.js';
import { cloneAsAlice, recordingIO } from './helpers.js';

const TOKEN = makeToken('320000000001');
/** Several pushes each, one Node start per push: generous on a loaded machine. */
const SLOW = 120_000;
const f = useEmulatorSandbox({
  secrets: [TOKEN],
  data: pushFixture([{ owner: { user: 'alice' }, name: 'write', token: TOKEN, permissions: ['REPO_WRITE'] }]),
});

/** Whether this process may mount a tmpfs (root, and a kernel and container that allow it). */
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    fs.rmdirSync(dir);
  }
}
const MOUNT = canMount();

/** The user's own check, chained by `hook install`: no pushes to main; it counts the refs it saw. */
const USER_HOOK = [
  '#!/bin/sh',
  'n=0',
  'while read -r l lo r ro; do',
  '  n=$((n + 1))',
  '  [ "$r" != refs/heads/main ] || { echo "user hook: no pushes to main" >&2; exit 1; }',
  'done',
  'echo "user hook: $n refs" >&2',
  '',
].join('\n');

/**
 * A clone of PRJ/app with alice's token, bitbucket.identity=block and the guard's hook; with
 * `chain`, the user's hook was there first and runs chained.
 */
async function setup(
  chain: boolean,
): Promise<{ sb: Sandbox; work: string; git: (args: string[]) => Promise<RunResult> }> {
  const { sb } = f;
  const work = await cloneAsAlice(sb, f.emu, TOKEN, chain ? 'chained' : 'alone');
  const git = (args: string[]) => f.git(args, { cwd: work });
  await git(['config', 'bitbucket.identity', 'block']);
  if (chain) fs.writeFileSync(path.join(work, '.git', 'hooks', 'pre-push'), USER_HOOK, { mode: 0o755 });
  const io = recordingIO(sb.env);
  expect(await hookInstallRun({ program: { node: process.execPath, bin: BIN }, cwd: work }, io)).toBe(0);
  f.outputs.push(...io.err);
  expect(io.err.join('').includes('chained')).toBe(chain);
  return { sb, work, git };
}

const MALLORY = ['-c', 'user.name=Mallory', '-c', 'user.email=mallory@evil.com'];
/** `git push --dry-run` of HEAD to each of `refs`. */
const dryRun = (refs: string[]) => ['push', '--dry-run', 'origin', ...refs.map((r) => `HEAD:refs/heads/${r}`)];
const repoUrl = () => `${f.emu.baseUrl}/scm/prj/app.git`;
const many = (n: number) => Array.from({ length: n }, (_, i) => `b${i}`);

/**
 * Each push is checked by both hooks under the TMPDIR `tmpdir()` gives: the user's hook refuses
 * main; the guard blocks mallory's commit, among 2 refs and among 70; a clean push goes through.
 * The guard alone (no hook chained) first, then with the chained hook.
 */
async function bothHooksSeeEveryRef(tmpdir: (sb: Sandbox) => string): Promise<void> {
  for (const chain of [false, true]) {
    const { sb, git } = await setup(chain);
    sb.env.TMPDIR = tmpdir(sb);
    await git(['commit', '-q', '--allow-empty', '-m', 'by alice']);
    if (chain) {
      const r = await git(dryRun(['topic', 'main']));
      expect(r.stderr).toContain('user hook: no pushes to main');
      expect(r.exitCode).not.toBe(0);
    }
    let r = await git(dryRun(['topic']));
    if (chain) expect(r.stderr).toContain('user hook: 1 refs');
    expect(r.exitCode, r.stderr).toBe(0);

    await git([...MALLORY, 'commit', '-q', '--allow-empty', '-m', 'by mallory']);
    for (const refs of [['topic', 'other'], many(70)]) {
      r = await git(dryRun(refs));
      if (chain) expect(r.stderr).toContain(`user hook: ${refs.length} refs`);
      expect(r.stderr).toContain('1 commit to push is not committed as alice@example.com');
      expect(r.stderr).not.toContain('push not checked');
      expect(r.exitCode, r.stderr).not.toBe(0);
    }
  }
}

describe('the chained hook and the guard get the whole ref list, whatever TMPDIR is', () => {
  it(
    'TMPDIR a writable directory',
    () => bothHooksSeeEveryRef((sb) => fs.mkdtempSync(path.join(sb.dir, 'tmp-'))),
    SLOW,
  );

  it('TMPDIR missing', () => bothHooksSeeEveryRef((sb) => path.join(sb.dir, 'no-such-dir')), SLOW);

  it(
    'TMPDIR a file',
    () =>
      bothHooksSeeEveryRef((sb) => (fs.writeFileSync(path.join(sb.dir, 'a-file'), ''), path.join(sb.dir, 'a-file'))),
    SLOW,
  );

  it.skipIf(!MOUNT)(
    'TMPDIR on a full file system (a 4 KiB tmpfs, filled; needs root to mount: skipped otherwise)',
    () => withFullTmp((full) => bothHooksSeeEveryRef(() => full)),
    SLOW,
  );

  it.skipIf(!MOUNT)(
    'bash as sh, TMPDIR full: 64 refs over 64 KiB, a here-document bash writes to a file, still reach the guard (needs root to mount: skipped otherwise)',
    () =>
      withFullTmp(async (full) => {
        const { sb, work, git } = await setup(false);
        await git([...MALLORY, 'commit', '-q', '--allow-empty', '-m', 'by mallory']);
        const head = (await git(['rev-parse', 'HEAD'])).stdout.trim();
        const name = (i: number) => `refs/heads/${'x'.repeat(1100)}${i}`;
        const input = many(64)
          .map((_, i) => `${name(i)} ${head} ${name(i)} ${'0'.repeat(40)}\n`)
          .join('');
        expect(input.length).toBeGreaterThan(65_536);
        const r = await execa('bash', ['--posix', path.join(work, '.git', 'hooks', 'pre-push'), 'origin', repoUrl()], {
          cwd: work,
          env: { ...sb.env, TMPDIR: full },
          extendEnv: false,
          input,
          reject: false,
        });
        f.outputs.push(String(r.stdout), String(r.stderr));
        expect(String(r.stderr)).toContain('1 commit to push is not committed as alice@example.com');
        expect(String(r.stderr)).not.toContain('push not checked');
        expect(r.exitCode).toBe(1);
      }),
    SLOW,
  );
});

/** `f` with a full file system mounted: a 4 KiB tmpfs, filled. */
async function withFullTmp(f: (dir: string) => Promise<void>): Promise<void> {
  const full = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', full]);
  try {
    expect(() => fs.writeFileSync(path.join(full, 'fill'), Buffer.alloc(8192))).toThrow(/ENOSPC/);
    await f(full);
  } finally {
    execFileSync('umount', [full]);
    fs.rmdirSync(full);
  }
}
