/** Shared pieces of the pre-push tests: an IO double, an emulator with one user and her clone. */
import path from 'node:path';
import { expect } from 'vitest';
import type { CommandIO } from '../../src/commands/shared/io.js';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { BIN, describe as desc, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

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
