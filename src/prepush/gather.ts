/**
 * Gathers the facts for one push (or one `check`): config, credential, server facts (cache
 * first), and the identity scan. The network module (and `node:crypto`) is imported only on a
 * cache miss.
 */
import type { BitbucketLocation } from '../bitbucket/url.js';
import { configHookRunsGuard } from '../git/config-hooks.js';
import { configListing, type GitRun } from '../git/repo.js';
import { CONFIG_PATTERN, dataDir } from '../settings.js';
import { allStores, openStores } from '../store/select.js';
import { dropCache, factsCacheDir, readCache, writeCache } from './cache.js';
import { findCredential, stripPassword } from './credential.js';
import type { CheckFacts, IdentityScan, ServerOutcome } from './facts.js';
import { scanPushedCommits } from './identity.js';
import { parsePolicy, type Policy } from './policy.js';
import { isOurHelper, resolveRemoteConfig, type RemoteConfig } from './remote-config.js';
import type { ServerQuery } from './server.js';
import type { PushUpdate } from './stdin.js';
import type { TokenStore } from '../store/types.js';
import { fingerprint } from './sha256.js';
import { parseConfigListing } from './urlmatch.js';
import { hideInTrace, trace } from '../trace.js';

export interface GatherInput {
  /** The remote's name, or the URL pushed to without its password: it is traced and reported. */
  remote: string;
  /** The URL git pushes to, as git has it (a password in it is the credential git sends). */
  url: string;
  loc: BitbucketLocation;
  updates: readonly PushUpdate[];
  env: NodeJS.ProcessEnv;
  run: GitRun;
  now: number;
  /** `check` passes true: run even when the host is not known to be Bitbucket. */
  force?: boolean;
  /** `check` passes false: ask the server even when fresh facts are cached (they are still stored). */
  readCache?: boolean;
  /**
   * The hook passes true unless the script of a config-based hook runs it: the guard then steps
   * aside when an enabled config-based hook runs it for this push (src/git/config-hooks.ts).
   */
  stepAsideForConfigHook?: boolean;
  /** `check --timeout`: the time budget in ms instead of `bitbucket.timeout`. */
  timeoutMs?: number;
  /** Names a store that failed while another answered (`check` passes its own; the guard's by default). */
  skipped?: (store: TokenStore, err: unknown) => void;
}

/** `helpers`: the credential helpers git asks for the URL, in order (as the config listing read here gives them). */
export type Gathered =
  { skip: true } | { skip: false; facts: CheckFacts; policy: Policy; problems: string[]; helpers: string[] };

export async function gatherFacts(input: GatherInput): Promise<Gathered> {
  const started = Date.now();
  const { url, loc, env, run, now } = input;
  // The two git runs (config listing, commit scan) come from the installed hook script, which
  // started them alongside Node (run.prefetched); otherwise they run here, synchronously:
  // spawnSync needs no stream objects, so the warm path never loads Node's stream and net modules.
  const entries = parseConfigListing(configListing(CONFIG_PATTERN, run));
  if (input.stepAsideForConfigHook) {
    const by = configHookRunsGuard(entries, run);
    if (by !== undefined) {
      trace('guard', () => `skipped: the config-based hook hook.${by} runs the guard for this push`);
      return { skip: true };
    }
  }
  const config = resolveRemoteConfig(entries, url);
  const parsed = parsePolicy(config.bitbucket);
  const { problems } = parsed;
  const policy = input.timeoutMs === undefined ? parsed.policy : { ...parsed.policy, timeoutMs: input.timeoutMs };
  trace('guard', () => {
    const levels = Object.entries(policy.levels).map(([k, v]) => `${k}=${v}`);
    const rest = `expiryDays=${policy.expiryDays} timeout=${policy.timeoutMs}ms cacheTtl=${policy.cacheTtlSec}s`;
    const enabled = policy.enabled === undefined ? 'enabled=(decide)' : `enabled=${policy.enabled}`;
    return `${input.remote} ${loc.baseUrl}: policy ${levels.join(' ')} ${rest} ${enabled}${problems.length ? `; problems: ${problems.join('; ')}` : ''}`;
  });
  if (policy.enabled === false) {
    trace('guard', () => 'skipped: bitbucket.enabled is false for this URL');
    return { skip: true };
  }
  if (!input.force && policy.enabled !== true && !(await looksLikeOurs(config, loc, env))) {
    trace('guard', () => 'skipped: not ours (no credential helper of ours for the URL, no stored token for the host)');
    return { skip: true };
  }
  const scanned = identityChecked(policy) ? scanPushedCommits(input.updates, input.remote, url, run) : undefined;
  let scan = Promise.resolve(scanned);
  run.prefetched?.close(); // every prefetched answer is used by now
  const remote: CheckFacts['remote'] = { name: input.remote, url: stripPassword(url), baseUrl: loc.baseUrl };
  if (loc.projectKey !== undefined) remote.projectKey = loc.projectKey;
  if (loc.repoSlug !== undefined) remote.repoSlug = loc.repoSlug;
  const cred = await findCredential(
    url,
    loc,
    config,
    env,
    { ...run, timeoutMs: Math.max(100, policy.timeoutMs - (Date.now() - started)) },
    now,
    input.skipped,
  );
  const facts: CheckFacts = { remote, credential: { found: false, reason: '' }, pushed: refspecs(input.updates), now };
  if (!cred.found) {
    trace('guard', () => `no credential: ${cred.reason}`);
    facts.credential = cred;
  } else {
    const { auth } = cred;
    hideInTrace(auth.secret);
    trace(
      'guard',
      () => `credential from ${cred.source}, ${auth.scheme}${auth.scheme === 'basic' ? ` as ${auth.username}` : ''}`,
    );
    facts.credential = {
      found: true,
      source: cred.source,
      scheme: auth.scheme,
      ...(auth.scheme === 'basic' ? { username: auth.username } : {}),
    };
    const key = {
      fingerprint: fingerprint(auth.secret),
      baseUrl: loc.baseUrl,
      repo: `${loc.projectKey ?? ''}/${loc.repoSlug ?? ''}`,
    };
    const dir = factsCacheDir(env);
    const cached = input.readCache === false ? undefined : readCache(dir, key, now, policy.cacheTtlSec);
    let server: ServerOutcome;
    trace('guard', () =>
      cached
        ? `server facts from the cache (${dir})`
        : `server facts: ${input.readCache === false ? 'cache not read' : 'not cached'}, asking ${loc.baseUrl}`,
    );
    const unplaced = unplacedCommits(scanned, policy);
    // the warm path (facts cached, every commit placed): no request, no network code loaded
    const net = cached && !unplaced ? undefined : await import('./server.js');
    const query = (): ServerQuery => ({
      baseUrl: loc.baseUrl,
      url,
      httpConfig: config.http,
      env,
      auth,
      source: cred.source,
      timeoutMs: Math.max(100, policy.timeoutMs - (Date.now() - started)),
      now,
      ...pick(loc),
    });
    // the commits' requests first (after a git run to choose them), then the token's, in what is
    // left of the budget: they go out together (one round trip)
    if (net && unplaced) scan = net.confirmNewCommits(unplaced, input.updates, run, query());
    if (cached) server = { status: 'ok', facts: cached, fromCache: true };
    else {
      server = await net!.fetchServerFacts(query());
      if (server.status === 'ok') writeCache(dir, key, server.facts, now, policy.cacheTtlSec);
      if (server.status === 'rejected') dropCache(dir, key);
      trace('guard', () => `server: ${server.status}${'message' in server ? ` (${server.message})` : ''}`);
    }
    facts.server = server;
  }
  const identity = await scan;
  if (identity) facts.identity = identity;
  trace('guard', () =>
    identity === undefined
      ? 'identity checks off (committer, tagger, author): commits not scanned'
      : 'error' in identity
        ? `commit scan failed: ${identity.error}`
        : `${identity.total} new commit(s) in ${identity.groups.length} identity group(s); ${identity.tags.length} annotated tag(s)`,
  );
  return { skip: false, facts, policy, problems, helpers: config.helpers };
}

/** The updates as `git push` refspecs: `<local>:<remote>`, one ref when both are the same, `:<remote>` to delete. */
function refspecs(updates: readonly PushUpdate[]): string[] {
  return updates.map((u) =>
    u.isDelete ? `:${u.remoteRef}` : u.localRef === u.remoteRef ? u.localRef : `${u.localRef}:${u.remoteRef}`,
  );
}

/** The commit scan is needed when any of the identity checks (committer, tagger, author) is on. */
function identityChecked(policy: Policy): boolean {
  return policy.levels.identity !== 'off' || policy.levels.tagger !== 'off' || policy.levels.author !== 'off';
}

/**
 * The scan when some of its commits could not be placed (src/prepush/known.ts) and a check that
 * the server's answer can turn into a block reads them (committer, author): those are confirmed
 * with the server. Annotated tags are decided by git's ref list alone.
 */
function unplacedCommits(
  scanned: IdentityScan | { error: string } | undefined,
  policy: Policy,
): IdentityScan | undefined {
  if (!scanned || 'error' in scanned || scanned.unsure === undefined || scanned.total === 0) return undefined;
  return policy.levels.identity !== 'off' || policy.levels.author !== 'off' ? scanned : undefined;
}

function pick(loc: BitbucketLocation): { projectKey?: string; repoSlug?: string } {
  return {
    ...(loc.projectKey !== undefined ? { projectKey: loc.projectKey } : {}),
    ...(loc.repoSlug !== undefined ? { repoSlug: loc.repoSlug } : {}),
  };
}

/**
 * A host is Bitbucket for the hook when this tool is one of its credential helpers or our store
 * holds a credential for it (`bitbucket.enabled` overrides both). Everything else is left alone.
 */
async function looksLikeOurs(config: RemoteConfig, loc: BitbucketLocation, env: NodeJS.ProcessEnv): Promise<boolean> {
  if (config.helpers.some(isOurHelper)) return true;
  for (const store of allStores(openStores(dataDir(env)))) {
    try {
      if (
        (await store.list()).some((e) => e.protocol === loc.protocol && e.host.toLowerCase() === loc.host.toLowerCase())
      )
        return true;
    } catch {
      // an unreadable store says nothing about this host
    }
  }
  return false;
}
