/**
 * Running git on the hot paths (`get`/`store`/`erase`, the pre-push hook): the synchronous half
 * of src/git/'s one interface, {@link gitSync}, plus the few named calls built on it. The
 * asynchronous half, for commands, is `gitAsync` in ./async.ts (execa); parsed repository
 * queries use simple-git in ./repository.ts. Both halves take a {@link GitRun} and give a
 * {@link GitResult}.
 *
 * node:child_process spawnSync only, loaded on first use: a hot path pays for no library and
 * creates no stream objects. Secrets never go into argv; a credential request travels on stdin.
 * Nothing outside src/git/ starts git or any other process (eslint: no-restricted-imports).
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

/**
 * One git config value, or undefined when it is unset or git cannot answer (missing git, a
 * broken config file): `git config [--type=TYPE] --get KEY`, or with `url` git's per-URL lookup
 * `--get-urlmatch KEY URL` (the most specific `section.<url>.key` wins, git-config(1)). With
 * `type: 'bool'` git normalises the value to `true`/`false`. The URL must carry no password
 * (it is argv): pass it through `withoutPassword` (./config.ts) when in doubt.
 */
export function configGetSync(
  key: string,
  opts: { url?: string; type?: 'bool' | 'int' } = {},
  run: GitRun = {},
): string | undefined {
  const args = ['config', ...(opts.type ? [`--type=${opts.type}`] : [])];
  args.push(...(opts.url !== undefined ? ['--get-urlmatch', key, opts.url] : ['--get', key]));
  const r = gitSync(args, run);
  return r.status === 0 ? r.stdout.replace(/\n$/, '') : undefined;
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

export interface RevListRange {
  format: string;
  include: string[];
  exclude: string[];
  /**
   * Remotes (plain names, see isPlainName in src/prepush/chars.ts) whose remote-tracking refs
   * hold commits the push target has already: excluded too.
   */
  known: readonly string[];
}

/** The arguments of `git rev-list` for a range, the revisions given as arguments. */
export function revListArgs(opts: RevListRange): string[] {
  const not = [...opts.exclude, ...opts.known.map(trackingGlob)];
  return [
    'rev-list',
    '--no-commit-header',
    `--format=${opts.format}`,
    '--ignore-missing',
    ...opts.include,
    ...(not.length > 0 ? ['--not', ...not] : []),
  ];
}

/**
 * `--glob=refs/remotes/<remote>/*`, what `--remotes=<remote>` selects (git-rev-list(1): a
 * pattern without glob characters gets `/*`), spelled so that an answer prefetched by a hook
 * script of an earlier version, which excluded the pushed remote's refs without asking whether
 * they describe the URL pushed to, never matches.
 */
function trackingGlob(remote: string): string {
  return `--glob=refs/remotes/${remote}/*`;
}

/**
 * What {@link revListSync} runs: {@link revListArgs} with the revisions on stdin (`--stdin`, `^`
 * marks an excluded one), so that a push of any number of refs fits (an argument list has a
 * limit, E2BIG). The installed hook script (hooks/pre-push) starts the same command while Node
 * starts; its answer is used only when the arguments and the input are exactly these
 * (test/prepush/hook-script.test.ts compares the two).
 */
export function revListStdin(opts: RevListRange): { args: string[]; input: string } {
  const args = revListArgs({ ...opts, include: [], exclude: [] });
  const at = args.indexOf('--not');
  args.splice(at < 0 ? args.length : at, 0, '--stdin');
  const input = [...opts.include, ...opts.exclude.map((r) => `^${r}`)].map((r) => `${r}\n`).join('');
  return { args, input };
}

/**
 * Commits reachable from `include` but not from `exclude` nor any ref under
 * `refs/remotes/<remote>/` for the `known` remotes, the whole output at once. Missing excluded
 * objects (a remote oid never fetched) are ignored (`--ignore-missing`). `GIT_FLUSH=0`: without it git flushes after
 * every commit when writing to a pipe, about a third slower. spawnSync needs no stream objects,
 * so the hook never loads Node's stream and net modules (measured: a few milliseconds of a
 * ~30 ms start). 100,000 commits are ~10 MB of output.
 */
export function revListSync(opts: RevListRange, run: GitRun = {}): { status: number; stdout: string; stderr: string } {
  const { args, input } = revListStdin(opts);
  const early = run.prefetched?.take(args, input);
  if (early) return early;
  const r = childProcess().spawnSync('git', args, {
    cwd: run.cwd,
    env: { ...(run.env ?? process.env), GIT_FLUSH: '0' },
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 1024 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) return { status: -1, stdout: '', stderr: r.error.message };
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A remote's URLs as git uses them: where it fetches from, and every URL a push goes to, in order. */
export interface RemoteUrls {
  /** The first `remote.<name>.url`; undefined for a remote without one. */
  fetch?: string;
  /** `remote.<name>.pushurl` values, else every `remote.<name>.url` (git pushes to each). */
  push: string[];
}

/**
 * Every remote with its URLs, as git rewrites them (`url.<base>.insteadOf`, and
 * `url.<base>.pushInsteadOf` for the push URLs of a remote without a pushurl: remote.c
 * `alias_all_urls`), from `git remote -v`: `<name> TAB <url> (fetch|push)` lines, and a bare
 * `<name> TAB` for a remote without URLs. A remote name holds no tab or line break (it is part of
 * ref names, git-check-ref-format(1)). Unlike `git remote get-url`, which knows only remotes of
 * the repository's own config, this lists those of every config file and of the environment.
 */
export function remoteUrls(run: GitRun = {}): Map<string, RemoteUrls> | undefined {
  const r = gitSync(['remote', '-v'], run);
  if (r.status !== 0) return undefined;
  const remotes = new Map<string, RemoteUrls>();
  for (const line of r.stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const name = line.slice(0, tab);
    const urls = remotes.get(name) ?? { push: [] };
    remotes.set(name, urls);
    if (line.endsWith(' (fetch)')) urls.fetch ??= line.slice(tab + 1, -' (fetch)'.length);
    else if (line.endsWith(' (push)')) urls.push.push(line.slice(tab + 1, -' (push)'.length));
  }
  return remotes;
}

/** Each remote's fetch URL as git fetches from it ({@link remoteUrls}); none when git cannot list them. */
export function remoteFetchUrls(run: GitRun = {}): Map<string, string> {
  const urls = new Map<string, string>();
  for (const [name, u] of remoteUrls(run) ?? []) if (u.fetch !== undefined) urls.set(name, u.fetch);
  return urls;
}

/** Whether any ref lies under `refs/remotes/<remote>/`: the remote has been fetched from or pushed to. */
export function hasTrackingRefs(remote: string, run: GitRun = {}): boolean {
  const r = gitSync(['for-each-ref', '--count=1', '--format=%(refname)', `refs/remotes/${remote}/`], run);
  return r.status === 0 && r.stdout.trim() !== '';
}

/**
 * When the repository is a submodule checked out in another repository's work tree: that work
 * tree (the superproject) and the submodule's own, from `git rev-parse
 * --show-superproject-working-tree --show-toplevel` (git prints nothing for the first outside a
 * submodule). Undefined otherwise, or when git cannot tell.
 */
export function superprojectOf(run: GitRun = {}): { superproject: string; toplevel: string } | undefined {
  const r = gitSync(['rev-parse', '--show-superproject-working-tree', '--show-toplevel'], run);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return r.status === 0 && lines.length === 2 ? { superproject: lines[0]!, toplevel: lines[1]! } : undefined;
}

/** One object as `git cat-file --batch` prints it; type `missing` when the repository lacks it. */
export interface CatFileObject {
  oid: string;
  type: string;
  content: string;
}

/**
 * `git cat-file --batch` with `oids` on stdin: each object's type and content, in order (the
 * pre-push guard reads the tag objects pushed, for their tagger). git gives sizes in bytes, so
 * the output is cut as bytes before it becomes text.
 */
export function catFileBatch(
  oids: readonly string[],
  run: GitRun = {},
): { status: number; objects: CatFileObject[]; stderr: string } {
  const r = childProcess().spawnSync('git', ['cat-file', '--batch'], {
    cwd: run.cwd,
    env: run.env ?? process.env,
    input: oids.map((o) => `${o}\n`).join(''),
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    windowsHide: true,
  });
  if (r.error) return { status: -1, objects: [], stderr: r.error.message };
  return { status: r.status ?? -1, objects: parseCatFileBatch(r.stdout), stderr: r.stderr.toString('utf8') };
}

/** Pure: `git cat-file --batch` output (`<oid> <type> <size>` LF content LF, or `<oid> missing` LF). */
export function parseCatFileBatch(out: Buffer): CatFileObject[] {
  const objects: CatFileObject[] = [];
  let at = 0;
  while (at < out.length) {
    const nl = out.indexOf(10, at);
    if (nl < 0) break;
    const [oid = '', type = '', size] = out.toString('utf8', at, nl).split(' ');
    at = nl + 1;
    if (size === undefined) {
      objects.push({ oid, type, content: '' });
      continue;
    }
    const n = Number(size);
    if (!Number.isSafeInteger(n) || at + n > out.length) break;
    objects.push({ oid, type, content: out.toString('utf8', at, at + n) });
    at += n + 1;
  }
  return objects;
}
