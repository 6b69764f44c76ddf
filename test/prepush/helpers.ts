/** Shared pieces of the pre-push tests: an IO double, an emulator with one user and her clone. */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { hookInstallRun } from '../../src/commands/hook.js';
import type { CommandIO } from '../../src/commands/shared/io.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { BIN, describe as desc, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

/** A CommandIO that records what was written. */
export function recordingIO(env: NodeJS.ProcessEnv): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    now: () => Date.now(),
    stdin: process.stdin,
    stdinIsTTY: true,
    stderrIsTTY: false,
    stdoutIsTTY: false,
  };
}

/**
 * An emulator with one person, alice ("Alice Example", alice@example.com), allowed to write to
 * PRJ/app, and her personal token `token` with REPO_WRITE.
 */
export async function startAliceEmulator(token: string): Promise<Emulator> {
  return startEmulator({
    data: {
      users: [{ name: 'alice', displayName: 'Alice Example', email: 'alice@example.com', password: 'alice-pw' }],
      projects: [{ key: 'PRJ', name: 'Project' }],
      repos: [{ project: 'PRJ', slug: 'app', seed: true }],
      permissions: [{ user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' }],
      tokens: [{ owner: { user: 'alice' }, name: 'write', token, permissions: ['REPO_WRITE'] }],
    },
  });
}

/**
 * In `sb`: this program as git's credential helper holding alice's `token`, git's identity hers
 * (the name as Bitbucket has it), and a clone of PRJ/app in `<sb>/<dir>`, whose path it returns.
 */
export async function cloneAsAlice(sb: Sandbox, emu: Emulator, token: string, dir = 'work'): Promise<string> {
  for (const [k, v] of [
    ['credential.helper', BIN],
    ['user.name', 'Alice Example'],
    ['user.email', 'alice@example.com'],
    ['bitbucket.timeout', '60000'], // a loaded machine may need more than the default 3 s
  ])
    await runGit(sb, ['config', '--global', k!, v!]);
  const host = new URL(emu.baseUrl).host;
  const stored = await runBin(sb, ['store'], desc({ protocol: 'http', host, username: 'alice', password: token }));
  expect(stored.exitCode, stored.stderr).toBe(0);
  const cloned = await runGit(sb, ['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, dir]);
  expect(cloned.exitCode, cloned.stderr).toBe(0);
  return path.join(sb.dir, dir);
}

/** git in a push sandbox, in `cwd` (the clone by default); its output is kept. */
export type Git = (args: string[], cwd?: string) => ReturnType<typeof runGit>;

/** A sandbox of {@link pushSandbox}. */
export interface PushSandbox {
  sb: Sandbox;
  git: Git;
  /** alice's clone of PRJ/app, with the hook. */
  work: string;
  /** Installs the hook into another repository. */
  install: (dir: string) => Promise<void>;
  /** The guard's trace lines since the last call that hold `what`, from there on. */
  traced: (what?: string) => string;
}

/**
 * A new sandbox (pushed to `sandboxes`) with alice's `token` and identity, her clone of PRJ/app
 * with the hook installed, and the guard traced; every output goes to `outputs`.
 */
export async function pushSandbox(
  emu: Emulator,
  token: string,
  outputs: string[],
  sandboxes: Sandbox[],
): Promise<PushSandbox> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const work = await cloneAsAlice(sb, emu, token);
  const traceFile = path.join(sb.dir, 'trace.log');
  sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
  const traced = (what = 'commit list') => {
    const text = fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8') : '';
    fs.rmSync(traceFile, { force: true });
    outputs.push(text);
    return text
      .split('\n')
      .filter((l) => l.includes(what))
      .map((l) => l.slice(l.indexOf(what)))
      .join('\n');
  };
  const git: Git = async (args, cwd = work) => {
    const r = await runGit(sb, args, '', { cwd });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const install = async (dir: string) => {
    const io = recordingIO(sb.env);
    expect(await hookInstallRun({ program: { node: process.execPath, bin: BIN }, cwd: dir }, io), io.err.join('')).toBe(
      0,
    );
    outputs.push(...io.err);
  };
  await install(work);
  traced();
  return { sb, git, work, install, traced };
}

/** `git -c user.name=… -c user.email=…`: commits made as someone else. */
export const as = (name: string, email: string): string[] => ['-c', `user.name=${name}`, '-c', `user.email=${email}`];

let changes = 0;
/** A commit in `dir` changing f.txt, made as `who` (see {@link as}); its sha, 10 digits. */
export async function commitAs(git: Git, dir: string, who: string[], message: string): Promise<string> {
  fs.appendFileSync(path.join(dir, 'f.txt'), `${changes++}\n`);
  await git(['add', 'f.txt'], dir);
  expect((await git([...who, 'commit', '-q', '-m', message], dir)).exitCode).toBe(0);
  return (await git(['rev-parse', '--short=10', 'HEAD'], dir)).stdout.trim();
}
