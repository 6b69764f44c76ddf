/**
 * Parsed repository queries for the commands people run (`check`, `doctor`), through
 * simple-git: its typed API (revparse, getConfig, remote) saves parsing git's output by hand,
 * which is the role it serves best. Raw asynchronous runs go through `gitAsync` (./async.ts,
 * execa); the hot paths (the credential helper, the pre-push hook) use `gitSync` (./repo.ts,
 * node:child_process): loading a library costs start-up time they cannot spare.
 */
import { simpleGit, type SimpleGit } from 'simple-git';

export interface BranchTarget {
  /** The commit HEAD points at. */
  head?: string;
  /** The current branch, unless HEAD is detached. */
  branch?: string;
  /** The branch's configured remote (`branch.<name>.remote`). */
  remote?: string;
  /** The ref it pushes to on that remote (`branch.<name>.merge`, else the same name). */
  remoteRef?: string;
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
  if (!branch) return out;
  out.branch = branch;
  const remote = (await optional(g.getConfig(`branch.${branch}.remote`)))?.value;
  if (remote) out.remote = remote;
  const merge = (await optional(g.getConfig(`branch.${branch}.merge`)))?.value;
  out.remoteRef = merge || `refs/heads/${branch}`;
  return out;
}

/** The URL git pushes to for `remote`, or undefined when there is no such remote. */
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
