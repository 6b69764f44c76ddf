/**
 * The few git calls of the pre-push guard, by name, on node:child_process only (no execa):
 * the hook's fast path loads nothing else. Secrets never go into argv; a credential request
 * travels on stdin.
 */
import type { Prefetched } from './prefetched.js';

// Loaded on first use: the hook's warm path, fed by the hook script (see prefetched.ts), starts
// no process at all and so never pays for loading node:child_process (~5 ms of a ~30 ms start).
const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process');

export interface GitRun {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill git after this long (milliseconds). */
  timeoutMs?: number;
  /** Answers the hook script already has; used when the arguments match exactly. */
  prefetched?: Prefetched;
}

export interface GitResult {
  /** Exit code; -1 when git could not be started. */
  status: number;
  stdout: string;
  stderr: string;
  /** Set when git was killed for running past `timeoutMs`. */
  timedOut?: boolean;
}

/** Runs git to completion. Never throws: a missing git is status -1. */
export function gitSync(args: readonly string[], run: GitRun = {}, input?: string): GitResult {
  const early = input === undefined ? run.prefetched?.take(args) : undefined;
  if (early) return early;
  const r = childProcess().spawnSync('git', args, {
    cwd: run.cwd,
    env: run.env ?? process.env,
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
    ...(run.timeoutMs !== undefined ? { timeout: run.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  if (r.error)
    return {
      status: -1,
      stdout: '',
      stderr: r.error.message,
      ...((r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? { timedOut: true } : {}),
    };
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `git config -z --get-regexp PATTERN`: every matching entry in file order ('' when none). */
export function configListing(pattern: string, run: GitRun = {}): string {
  const r = gitSync(['config', '-z', '--get-regexp', pattern], run);
  return r.status === 0 ? r.stdout : '';
}

/** The git version as [major, minor, patch], or undefined when git does not answer. */
export function gitVersion(run: GitRun = {}): [number, number, number] | undefined {
  return parseGitVersion(gitSync(['--version'], run).stdout);
}

/** `git version 2.39.5` (and vendor suffixes like `.windows.1`, `(Apple Git-146)`) → [2, 39, 5]. */
export function parseGitVersion(text: string): [number, number, number] | undefined {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/**
 * Commits reachable from `include` but not from `exclude` nor any ref under
 * `refs/remotes/<remote>/` (every remote's, when pushing to a URL), the whole output at once. Missing excluded objects (a remote oid
 * never fetched) are ignored (`--ignore-missing`). `GIT_FLUSH=0`: without it git flushes after
 * every commit when writing to a pipe, about a third slower. spawnSync needs no stream objects,
 * so the hook never loads Node's stream and net modules (measured: a few milliseconds of a
 * ~30 ms start). 100,000 commits are ~10 MB of output.
 */
export function revListSync(
  opts: { format: string; include: string[]; exclude: string[]; remote?: string },
  run: GitRun = {},
): { status: number; stdout: string; stderr: string } {
  const args = [
    'rev-list',
    '--no-commit-header',
    `--format=${opts.format}`,
    '--ignore-missing',
    ...opts.include,
    '--not',
    ...opts.exclude,
  ];
  // A push to a URL has no remote-tracking refs of its own: what any remote has is not new.
  args.push(opts.remote !== undefined ? `--remotes=${opts.remote}` : '--remotes');
  const early = run.prefetched?.take(args);
  if (early) return early;
  const r = childProcess().spawnSync('git', args, {
    cwd: run.cwd,
    env: { ...(run.env ?? process.env), GIT_FLUSH: '0' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) return { status: -1, stdout: '', stderr: r.error.message };
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
