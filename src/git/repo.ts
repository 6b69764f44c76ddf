/**
 * The few git calls of the pre-push guard, by name, on node:child_process only (no execa):
 * the hook's fast path loads nothing else. Secrets never go into argv; a credential request
 * travels on stdin.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface GitRun {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface GitResult {
  /** Exit code; -1 when git could not be started. */
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs git to completion. Never throws: a missing git is status -1. */
export function gitSync(args: readonly string[], run: GitRun = {}, input?: string): GitResult {
  const r = spawnSync('git', args, {
    cwd: run.cwd,
    env: run.env ?? process.env,
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) return { status: -1, stdout: '', stderr: r.error.message };
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs git without blocking, so that it overlaps other work. Never throws: a missing git is status -1. */
export function gitAsync(args: readonly string[], run: GitRun = {}, signal?: AbortSignal): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn('git', args, { cwd: run.cwd, env: run.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, ...(signal ? { signal } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', (e) => resolve({ status: -1, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** `git config -z --get-regexp PATTERN`: every matching entry in file order ('' when none). */
export function configListing(pattern: string, run: GitRun = {}): string {
  const r = gitSync(['config', '-z', '--get-regexp', pattern], run);
  return r.status === 0 ? r.stdout : '';
}

/** {@link configListing}, without blocking. */
export async function configListingAsync(pattern: string, run: GitRun = {}): Promise<string> {
  const r = await gitAsync(['config', '-z', '--get-regexp', pattern], run);
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
 * `refs/remotes/<remote>/`, streamed: `onData` receives stdout in order as it arrives.
 * Missing excluded objects (a remote oid never fetched) are ignored (`--ignore-missing`).
 * `GIT_FLUSH=0`: without it git flushes after every commit when writing to a pipe, which
 * makes a long range about a third slower to read.
 */
export function streamRevList(
  opts: { format: string; include: string[]; exclude: string[]; remote?: string },
  onData: (chunk: string) => void,
  run: GitRun = {},
  signal?: AbortSignal,
): Promise<{ status: number; stderr: string }> {
  const args = ['rev-list', '--no-commit-header', `--format=${opts.format}`, '--ignore-missing', ...opts.include, '--not', ...opts.exclude];
  if (opts.remote !== undefined) args.push(`--remotes=${opts.remote}`);
  return new Promise((resolve) => {
    const env = { ...(run.env ?? process.env), GIT_FLUSH: '0' };
    const child = spawn('git', args, { cwd: run.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, ...(signal ? { signal } : {}) });
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', (e) => resolve({ status: -1, stderr: e.message }));
    child.on('close', (code) => resolve({ status: code ?? -1, stderr }));
  });
}
