/**
 * What the helper says on git's terminal when a token is dead, one line each (git shows a
 * helper's stderr): an expired token `get` withholds, and a token the server refused that git
 * then asked us to erase. Both name the account, the token page and the command that fixes it.
 * No network, no CLI framework: this runs inside `get` and `erase`.
 */
import { tokenPageUrl } from '../bitbucket/links.js';
import { PROGRAM } from '../settings.js';
import type { StoredEntry } from '../store/types.js';
import type { CredentialRequest } from './protocol.js';
import { entryMatches, isExpired } from './matching.js';

/** The command that replaces a dead token. */
export function loginCommandFor(e: { protocol: string; host: string; meta?: { baseUrl?: string } }): string {
  return `git credential-bitbucket login ${baseUrlOf(e)}`;
}

function baseUrlOf(e: { protocol: string; host: string; meta?: { baseUrl?: string } }): string {
  return e.meta?.baseUrl ?? `${e.protocol}://${e.host}`;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * For a `get` that answered nothing: one line about an expired token stored by `login` for
 * this request, or undefined (git's own credentials expire silently, as git does).
 */
export function expiredTokenLine(
  req: CredentialRequest,
  entries: readonly StoredEntry[],
  nowMs: number,
): string | undefined {
  const dead = entries.find((e) => e.meta?.baseUrl !== undefined && entryMatches(req, e) && isExpired(e, nowMs));
  if (!dead) return undefined;
  const at = Math.min(dead.meta?.expiresAt ?? Infinity, (dead.passwordExpiryUtc ?? Infinity) * 1000);
  return `${PROGRAM}: the token of ${dead.username ?? '(no username)'} for ${baseUrlOf(dead)} expired on ${day(at)}; create a new one at ${tokenPageUrl(baseUrlOf(dead), dead.meta?.userSlug)} and run: ${loginCommandFor(dead)}\n`;
}

/** For an `erase` of a token this helper handed out: the server refused it and it is gone. */
export function refusedTokenLine(e: StoredEntry): string {
  return `${PROGRAM}: the server refused the token of ${e.username ?? '(no username)'} for ${baseUrlOf(e)} (revoked, expired or changed), so it was removed; create a new one at ${tokenPageUrl(baseUrlOf(e), e.meta?.userSlug)} and run: ${loginCommandFor(e)}\n`;
}

/** How status and list say it. */
export function refusedSince(at: number): string {
  return `refused by the server on ${day(at)}`;
}
