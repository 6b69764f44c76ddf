/**
 * The guard's network part (bundled apart as dist/hook-net.cjs, loaded only on a cache miss or
 * for commits the guard cannot place: the hook's warm path never loads HTTP). It asks the one
 * token classifier (src/bitbucket/classifier.ts, decision table in docs/classifier.md) about the
 * credential git is about to send, for one repository, within the guard's time budget, and turns
 * the answer into the facts the verdict reads; and it asks the repository about such commits
 * (./confirm.ts).
 */
import { BitbucketClient } from '../bitbucket/client.js';
import { classifyToken, type ValidTokenReport } from '../bitbucket/classifier.js';
import { resolveHttpSettings } from '../git/config.js';
import { fileRefusals } from '../bitbucket/refusals.js';
import { isTokenShaped, replacePasswordFix, STORED_PASSWORD } from '../credential/passwords.js';
import { stateDir } from '../settings.js';
import type { CredentialSource, IdentityScan, ServerFacts, ServerOutcome } from './facts.js';
import type { TokenAuth } from './credential.js';
import { confirmWithServer } from './confirm.js';
import type { GitRun } from '../git/repo.js';
import type { PushUpdate } from './stdin.js';

export interface ServerQuery {
  baseUrl: string;
  /** The remote URL and its url-matched `http.*` config: proxy, CA file, TLS verification. */
  url: string;
  httpConfig: ReadonlyMap<string, string | null>;
  env: NodeJS.ProcessEnv;
  auth: TokenAuth;
  /** Where `auth` came from (the password finding names it). */
  source?: CredentialSource;
  projectKey?: string;
  repoSlug?: string;
  timeoutMs: number;
  now: number;
}

/** The password finding, by where git's credential for the push comes from. */
const PASSWORD_FROM: Record<CredentialSource, string> = {
  'credential store': STORED_PASSWORD,
  'git credential fill': "git's credential helpers give an account password, not an access token",
  'remote URL': 'the remote URL holds an account password, not an access token',
  'http.extraHeader': 'http.extraHeader sends an account password, not an access token',
};

/**
 * An account password: never sent for the guard's checks (a wrong one counts towards the CAPTCHA
 * lock, docs/bitbucket-server.md section 2).
 */
function isPassword(auth: TokenAuth): auth is Extract<TokenAuth, { scheme: 'basic' }> {
  return auth.scheme === 'basic' && !isTokenShaped(auth.secret);
}

export async function fetchServerFacts(q: ServerQuery): Promise<ServerOutcome> {
  // said, at the level of an unchecked push
  if (isPassword(q.auth)) {
    const { protocol, host } = new URL(q.baseUrl);
    const account = { protocol: protocol.slice(0, -1), host, username: q.auth.username };
    return {
      status: 'password',
      username: q.auth.username,
      message: `${q.auth.username}: ${PASSWORD_FROM[q.source ?? 'credential store']}`,
      fix: replacePasswordFix(account, q.baseUrl),
    };
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ServerOutcome>((resolve) => {
    // a safety net only: the classifier's own budget ends every request by then
    timer = setTimeout(
      () => resolve({ status: 'unreachable', message: `no answer within ${q.timeoutMs} ms (bitbucket.timeout)` }),
      q.timeoutMs + 1000,
    );
  });
  try {
    return await Promise.race([ask(q), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The scan of a push whose new commits the guard cannot place (src/prepush/known.ts), with what
 * the repository pushed to confirms (./confirm.ts), asked alongside the token's requests and
 * within the same budget; the scan as it is when there is nothing to ask with or about.
 */
export function confirmNewCommits(
  scan: IdentityScan,
  updates: readonly PushUpdate[],
  run: GitRun,
  q: ServerQuery,
): Promise<IdentityScan> {
  if (isPassword(q.auth) || q.projectKey === undefined || q.repoSlug === undefined) return Promise.resolve(scan);
  const client = guardClient(q).withDeadline(Date.now() + q.timeoutMs);
  return confirmWithServer(scan, updates, run, {
    client,
    secret: q.auth.secret,
    projectKey: q.projectKey,
    repoSlug: q.repoSlug,
  });
}

function guardClient(q: ServerQuery): BitbucketClient {
  return new BitbucketClient({
    baseUrl: q.baseUrl,
    settings: resolveHttpSettings(new Map(q.httpConfig), q.url, q.env),
    timeoutMs: q.timeoutMs,
    maxRetries429: 0,
    refusals: fileRefusals(stateDir(q.env)),
    // The guard sends only the credential git is about to send to this URL over the same path
    // (one from our store has passed the same plain-http rule as `get`).
    allowHttp: true,
  });
}

async function ask(q: ServerQuery): Promise<ServerOutcome> {
  const client = guardClient(q);
  const r = await classifyToken({
    client,
    credential: q.auth,
    budgetMs: q.timeoutMs,
    allowBasic: true,
    server: {},
    ...(q.auth.scheme === 'basic' ? { username: q.auth.username } : {}),
    ...(q.projectKey !== undefined
      ? { repository: { projectKey: q.projectKey, ...(q.repoSlug !== undefined ? { repoSlug: q.repoSlug } : {}) } }
      : {}),
  });
  if (r.status === 'unreachable')
    return { status: 'unreachable', message: `${r.message}; not checked: ${r.unchecked.join('; ')}` };
  if (r.status === 'invalid' || r.status === 'captcha') return { status: 'rejected', message: r.message };
  if (r.status !== 'valid') return { status: 'error', message: `Bitbucket answered with an error: ${r.message}` };
  if (r.usernameMismatch && r.kind === 'personal')
    return {
      status: 'rejected',
      message: `the token belongs to '${r.usernameMismatch.actual}', but git sends it with the username '${r.usernameMismatch.expected}'`,
    };
  return { status: 'ok', fromCache: false, facts: toFacts(r, q.now) };
}

function toFacts(r: ValidTokenReport, now: number): ServerFacts {
  const facts: ServerFacts = { kind: r.kind, user: { name: r.user.name, slug: r.user.slug }, fetchedAt: now };
  if (r.user.email) facts.user.email = r.user.email;
  if (r.user.displayName) facts.user.displayName = r.user.displayName;
  if (r.repository?.writable !== undefined) facts.writable = r.repository.writable;
  if (r.repository?.missing !== undefined) facts.repositoryMissing = r.repository.missing;
  if (r.permissions) facts.permissions = r.permissions;
  if (r.tokenName !== undefined) facts.tokenName = r.tokenName;
  if (r.expiresAt !== undefined) facts.expiresAt = r.expiresAt;
  facts.decidedBy = r.decidedBy;
  if (r.kind === 'unknown')
    facts.unknownBecause =
      r.decidedBy === 'R15'
        ? 'Bitbucket accepts the token, but its user record does not say whose it is and no Basic attempt was allowed to settle it'
        : 'Bitbucket accepts the token but names no user for it (no X-AUSERNAME, or the users API refuses it), and its token entry could not be read';
  if (r.unchecked.length > 0) facts.unchecked = [...r.unchecked];
  return facts;
}
