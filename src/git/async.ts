/**
 * Running git from the commands people type (`login`, `setup`, `doctor`, `check`, ...): the
 * asynchronous half of src/git/'s one interface. Same options ({@link GitRun}) and the same
 * result ({@link GitResult}) as the synchronous `gitSync` in ./repo.ts, which the hot paths use.
 *
 * Which library does what (see docs/architecture.md, "Running git"):
 * - here, execa: commands run git while other work goes on (a server request, a prompt), and
 *   execa gives that a promise with exit code, both outputs, ENOENT told apart, a timeout that
 *   kills, and no shell. It is an ES module only, loaded on first use (through loadEsm), so a
 *   bundle that merely contains this file (the hook's) never loads it.
 * - ./repository.ts, simple-git: parsed repository queries (HEAD, branch, its remote and
 *   upstream, a remote's push URL), where its typed API saves hand-written parsing.
 * - ./repo.ts, node:child_process spawnSync: `get`/`store`/`erase` and the pre-push hook, where
 *   every millisecond of start-up counts and no stream objects may be created.
 * Nothing outside src/git/ starts git or any other process (eslint: no-restricted-imports).
 */
import { loadEsm } from '../load-esm.js';
import type { GitResult, GitRun } from './repo.js';

/** Thrown by callers that need git when the `git` executable cannot be run at all. */
export class GitNotFoundError extends Error {
  constructor() {
    super('git was not found on PATH. Install git (https://git-scm.com/downloads) and try again.');
    this.name = 'GitNotFoundError';
  }
}

/**
 * Runs `git <args>` to completion and never rejects: a git that cannot start is status -1 with
 * `notFound` set when it is missing from PATH. `run.env` is git's whole environment (not merged
 * with process.env; default process.env). `input`, when given, is git's stdin (secrets travel
 * there, never in `args`); otherwise stdin is closed. stdout keeps its final newline.
 */
export async function gitAsync(
  args: readonly string[],
  run: GitRun = {},
  input?: string,
): Promise<GitResult & { notFound?: boolean }> {
  const { execa } = await loadEsm<typeof import('execa')>('execa');
  const r = await execa('git', args, {
    cwd: run.cwd,
    env: run.env ?? process.env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
    ...(run.timeoutMs !== undefined ? { timeout: run.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  if (r.exitCode === undefined) {
    const code = (r as { code?: string }).code;
    return {
      status: -1,
      stdout,
      stderr: stderr || r.shortMessage || '',
      ...(r.timedOut ? { timedOut: true } : {}),
      ...(code === 'ENOENT' ? { notFound: true } : {}),
    };
  }
  return { status: r.exitCode, stdout, stderr, ...(r.timedOut ? { timedOut: true } : {}) };
}
