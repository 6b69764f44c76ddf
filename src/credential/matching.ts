/**
 * The matching rules a storing helper follows: pure functions over requests and entries.
 * They mirror git's own `credential_match()` (credential.c) and its helper test battery
 * (t/lib-credential.sh): a field the request names must be equal in the entry; a field it
 * leaves out matches anything.
 */
import type { CredentialRequest } from './protocol.js';
import type { CredentialKey, Secrets, StoredEntry, TokenMeta } from '../store/types.js';

/** gitcredentials(7): `protocol` and `host` are what every lookup needs. */
export function keyOf(req: CredentialRequest): CredentialKey | undefined {
  if (!req.protocol || !req.host) return undefined;
  const key: CredentialKey = { protocol: req.protocol, host: req.host };
  if (req.path !== undefined && req.path !== '') key.path = req.path;
  if (req.username !== undefined) key.username = req.username;
  return key;
}

/**
 * git credential.c `credential_match()`: protocol, host, path, username. One addition: a token
 * stored by `login` is for a whole server, so with `credential.useHttpPath` it matches any path
 * under the server's context path (git's own path-scoped entries still need the exact path).
 */
export function entryMatches(req: CredentialRequest, e: CredentialKey & { meta?: TokenMeta }): boolean {
  if (!req.protocol || !req.host) return false;
  if (e.protocol !== req.protocol || e.host !== req.host) return false;
  if (req.path !== undefined && req.path !== '' && (e.path ?? '') !== req.path && !serverWide(e, req.path))
    return false;
  if (req.username !== undefined && e.username !== req.username) return false;
  return true;
}

function serverWide(e: CredentialKey & { meta?: TokenMeta }, path: string): boolean {
  if (e.path !== undefined || e.meta?.baseUrl === undefined) return false;
  const context = e.meta.baseUrl.replace(/^[a-z]+:\/\/[^/]*/i, '').replace(/^\/+|\/+$/g, '');
  return context === '' || path === context || path.startsWith(`${context}/`);
}

/** True when git may not be handed this entry any more (git 2.40 `password_expiry_utc`, or the token's own expiry). */
export function isExpired(e: StoredEntry, nowMs: number): boolean {
  if (e.passwordExpiryUtc !== undefined && e.passwordExpiryUtc * 1000 <= nowMs) return true;
  if (e.meta?.expiresAt !== undefined && e.meta.expiresAt <= nowMs) return true;
  return false;
}

export function wantsAuthtype(req: CredentialRequest): boolean {
  return req.capabilities.includes('authtype');
}

/**
 * Candidates for `get`, best first: matching, unexpired, usable by this request (an
 * authtype-only entry needs `capability[]=authtype`), the host's default account first,
 * then entries without a path, then the most recently stored.
 */
export function candidatesFor<E extends StoredEntry>(
  req: CredentialRequest,
  entries: readonly E[],
  nowMs: number,
): E[] {
  const authtype = wantsAuthtype(req);
  return entries
    .filter((e) => entryMatches(req, e) && !isExpired(e, nowMs) && (e.hasPassword || (authtype && e.hasCredential)))
    .sort((a, b) => rank(b) - rank(a) || b.storedAt - a.storedAt);
}

function rank(e: StoredEntry): number {
  return (e.isDefault ? 2 : 0) + (e.path === undefined ? 1 : 0);
}

/**
 * The attributes `get` answers with. With `capability[]=authtype` and a stored authtype, git
 * 2.46+ wants the capability echoed first, then `authtype` and `credential`
 * (git-credential(1) "capability[]: must precede what depends on it").
 */
export function answerFor(req: CredentialRequest, e: StoredEntry, s: Secrets): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const expiry = expiryUtc(e);
  if (wantsAuthtype(req) && e.authtype !== undefined && s.credential !== undefined) {
    out.push(['capability[]', 'authtype'], ['authtype', e.authtype], ['credential', s.credential]);
    if (expiry !== undefined) out.push(['password_expiry_utc', String(expiry)]);
    return out;
  }
  if (s.password === undefined) return out;
  if (e.username !== undefined) out.push(['username', e.username]);
  out.push(['password', s.password]);
  if (expiry !== undefined) out.push(['password_expiry_utc', String(expiry)]);
  if (s.oauthRefreshToken !== undefined) out.push(['oauth_refresh_token', s.oauthRefreshToken]);
  return out;
}

/**
 * `password_expiry_utc` (Unix seconds) for the answer: the earlier of what git gave us and the
 * token's own expiry learnt by login, so that git 2.40+ and helpers after us (credential-cache)
 * drop the token when it expires (git-credential(1) "password_expiry_utc").
 */
function expiryUtc(e: StoredEntry): number | undefined {
  const own = e.meta?.expiresAt !== undefined ? Math.floor(e.meta.expiresAt / 1000) : undefined;
  if (own === undefined) return e.passwordExpiryUtc;
  return e.passwordExpiryUtc === undefined ? own : Math.min(own, e.passwordExpiryUtc);
}

/**
 * What `store` keeps, or undefined when it must keep nothing: a request without protocol and
 * host, an `ephemeral` credential (git-credential(1): "must never be persisted"), or one with
 * neither a username+password pair nor (with capability authtype) an authtype+credential pair.
 */
export function entryToStore(
  req: CredentialRequest,
  nowMs: number,
): { entry: StoredEntry; secrets: Secrets } | undefined {
  const key = keyOf(req);
  if (!key) return undefined;
  const withAuthtype = wantsAuthtype(req) && req.authtype !== undefined && req.credential !== undefined;
  // git-credential(1): an ephemeral credential must never be persisted.
  if (req.ephemeral) return undefined;
  const withPassword = req.username !== undefined && req.password !== undefined;
  if (!withPassword && !withAuthtype) return undefined;
  if (req.passwordExpiryUtc !== undefined && req.passwordExpiryUtc * 1000 <= nowMs) return undefined;
  const entry: StoredEntry = { ...key, hasPassword: withPassword, hasCredential: withAuthtype, storedAt: nowMs };
  const secrets: Secrets = {};
  if (withPassword) {
    secrets.password = req.password;
    if (req.passwordExpiryUtc !== undefined) entry.passwordExpiryUtc = req.passwordExpiryUtc;
    if (req.oauthRefreshToken !== undefined) secrets.oauthRefreshToken = req.oauthRefreshToken;
  }
  if (withAuthtype) {
    entry.authtype = req.authtype;
    secrets.credential = req.credential;
  }
  return { entry, secrets };
}

/** The same secret material (the non-empty fields of `next` equal those of `prev`). */
export function sameSecrets(prev: Secrets, next: Secrets): boolean {
  return (
    (next.password === undefined || next.password === prev.password) &&
    (next.credential === undefined || next.credential === prev.credential) &&
    (next.password !== undefined || next.credential !== undefined)
  );
}

/** True when storing `next` over `prev` changes nothing but the time stamp. */
export function sameCredential(
  prev: StoredEntry,
  prevSecrets: Secrets,
  next: StoredEntry,
  nextSecrets: Secrets,
): boolean {
  return (
    // git echoes the password_expiry_utc `get` answered, which may come from login's meta
    (prev.passwordExpiryUtc === next.passwordExpiryUtc || next.passwordExpiryUtc === expiryUtc(prev)) &&
    prev.authtype === next.authtype &&
    prevSecrets.password === nextSecrets.password &&
    prevSecrets.oauthRefreshToken === nextSecrets.oauthRefreshToken &&
    prevSecrets.credential === nextSecrets.credential
  );
}

/**
 * `erase` removes entries matching protocol, host, path and username where given and, since
 * git 2.42, only when the stored password equals a password the request carries. A request
 * without protocol or host erases nothing: we never wipe a whole store on a malformed request.
 */
export function shouldErase(req: CredentialRequest, e: StoredEntry, secrets: Secrets | undefined): boolean {
  if (!entryMatches(req, e)) return false;
  if (req.password !== undefined && secrets?.password !== req.password) return false;
  if (req.credential !== undefined && secrets?.credential !== req.credential) return false;
  return true;
}
