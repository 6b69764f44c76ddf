/**
 * Parsed repository queries for the commands people run (`check`, `doctor`), through
 * simple-git: its typed API (revparse, getConfig, remote) saves parsing git's output by hand,
 * which is the role it serves best. Raw asynchronous runs go through `gitAsync` (./async.ts,
 * execa); the hot paths (the credential helper, the pre-push hook) use `gitSync` (./repo.ts,
 * node:child_process): loading a library costs start-up time they cannot spare.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { gitSync, remoteUrls, type GitRun, type RemoteUrls } from './repo.js';

export interface BranchTarget {
  /** The commit HEAD points at. */
  head?: string;
  /** The current branch, unless HEAD is detached. */
  branch?: string;
  /**
   * The remote a plain `git push` pushes to when config names one, and the key that names it:
   * `branch.<name>.pushRemote`, else `remote.pushDefault` (detached HEAD too), else
   * `branch.<name>.remote` (git's order, remote.c `pushremote_for_branch`). Without one git
   * takes the only remote, else `origin` ({@link pushTargets} knows the remotes).
   */
  pushRemote?: { name: string; from: string };
  /** The remote the branch fetches from (`branch.<name>.remote`). */
  remote?: string;
  /** The branch it merges (`branch.<name>.merge`). */
  merge?: string;
}

/**
 * simple-git refuses some environment variables by default (GIT_CONFIG_GLOBAL, GIT_ASKPASS, ...)
 * to protect callers that pass untrusted input. Here the environment is the user's own, which
 * git would honour anyway, and these queries only read: allow what the environment may carry.
 */
const USER_ENVIRONMENT = {
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeAskPass: true,
  allowUnsafeSshCommand: true,
  allowUnsafeGitProxy: true,
  allowUnsafeEditor: true,
  allowUnsafePager: true,
  allowUnsafeTemplateDir: true,
} as const;

function git(cwd: string | undefined, env: NodeJS.ProcessEnv): SimpleGit {
  return simpleGit({
    baseDir: cwd ?? process.cwd(),
    binary: 'git',
    maxConcurrentProcesses: 4,
    unsafe: USER_ENVIRONMENT,
  }).env(env as Record<string, string>);
}

/** git's "no such thing" (a non-zero exit) as undefined; simple-git's own refusals still throw. */
async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (err) {
    if (/not permitted/i.test((err as Error).message)) throw err;
    return undefined;
  }
}

/** What a plain `git push` of the current branch targets. */
export async function currentBranchTarget(cwd: string | undefined, env: NodeJS.ProcessEnv): Promise<BranchTarget> {
  const g = git(cwd, env);
  const out: BranchTarget = {};
  const head = await optional(g.revparse(['--verify', '-q', 'HEAD']));
  if (head) out.head = head.trim();
  const branch = (await optional(g.raw(['symbolic-ref', '-q', '--short', 'HEAD'])))?.trim();
  const value = async (key: string) => (await optional(g.getConfig(key)))?.value || undefined;
  if (branch) {
    out.branch = branch;
    const remote = await value(`branch.${branch}.remote`);
    if (remote) out.remote = remote;
    const merge = await value(`branch.${branch}.merge`);
    if (merge) out.merge = merge;
  }
  for (const key of [...(branch ? [`branch.${branch}.pushRemote`] : []), 'remote.pushDefault']) {
    const name = await value(key);
    if (name) return { ...out, pushRemote: { name, from: key } };
  }
  return out.remote ? { ...out, pushRemote: { name: out.remote, from: `branch.${branch}.remote` } } : out;
}

/** What {@link pushTargets} found: the remotes, and the name given as git takes a URL. */
export interface PushTargets {
  /** Every configured remote, as `git remote -v` lists them; none outside a repository. */
  remotes: Map<string, RemoteUrls>;
  /** The name given, as git rewrites a URL typed after `git push` (unchanged when no rule matches). */
  asUrl?: string;
}

/** The remote that stands for a URL given on the command line: one a user cannot add (a space in its name). */
const TYPED = 'git-credential-bitbucket check';

/**
 * The remotes `git push` knows here, and `name` (when given) as it takes a name that is no
 * remote: as a URL, rewritten by `url.<base>.pushInsteadOf`, else by `url.<base>.insteadOf`,
 * the longest match of each (remote.c `add_url_alias`). git rewrites it itself, in the same
 * listing, as the only URL of a remote that exists for that one run: it is added in the
 * environment (`GIT_CONFIG_COUNT`, what `git -c` does, keeping a password in the URL out of
 * argv), and git rewrites it as any remote's URL (remote.c `alias_all_urls`), which is the same
 * rule. `git remote` needs a repository: outside one the URL is listed in an empty bare
 * repository made for that run, so that, as for any git command there, only the user's and
 * the system's config apply. undefined when git cannot list remotes at all.
 */
export function pushTargets(name: string | undefined, run: GitRun): PushTargets | undefined {
  const env = name === undefined ? run.env : withRemote(run.env ?? process.env, TYPED, name);
  const here = remoteUrls({ ...run, env });
  if (here) return typedApart(here);
  if (name === undefined) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-credential-bitbucket-'));
  try {
    if (gitSync(['init', '-q', '--bare', '--template=', dir], { env }).status !== 0) return undefined;
    const there = remoteUrls({ cwd: dir, env: { ...env, GIT_DIR: dir } });
    return there ? { ...typedApart(there), remotes: new Map() } : undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function typedApart(listed: Map<string, RemoteUrls>): PushTargets {
  const typed = listed.get(TYPED)?.push[0];
  listed.delete(TYPED);
  return { remotes: listed, ...(typed !== undefined ? { asUrl: typed } : {}) };
}

/** `env` with `remote.<name>.url=<url>` after the config it carries already (a bad count fails git as it would anyway). */
function withRemote(env: NodeJS.ProcessEnv, name: string, url: string): NodeJS.ProcessEnv {
  const n = Number(env.GIT_CONFIG_COUNT || '0');
  return {
    ...env,
    GIT_CONFIG_COUNT: String(n + 1),
    [`GIT_CONFIG_KEY_${n}`]: `remote.${name}.url`,
    [`GIT_CONFIG_VALUE_${n}`]: url,
  };
}

/** The first URL git pushes to for `remote`, or undefined when there is no such remote. */
export async function remotePushUrl(
  remote: string,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const url = await optional(git(cwd, env).remote(['get-url', '--push', remote]));
  return typeof url === 'string' && url.trim() !== '' ? url.trim() : undefined;
}

/** The oid of a ref, or undefined. */
export async function resolveRef(
  ref: string,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const oid = await optional(git(cwd, env).revparse(['--verify', '-q', ref]));
  return oid?.trim() || undefined;
}
