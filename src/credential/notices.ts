/**
 * What the helper says on git's terminal when a token is dead, one line each (git shows a
 * helper's stderr): an expired token `get` withholds, and a token the server refused that git
 * then asked us to erase. Both name the account, where to make a new token and the command that
 * fixes it: a personal token's page, or for a project or repository token (it acts as a bot user
 * with no token page of its own) the project or repository settings (docs/bitbucket-server.md
 * section 10) and `login --allow-project-token`, since plain `login` refuses such a token.
 * No network, no CLI framework: this runs inside `get` and `erase`.
 */
import { tokenPageUrl } from '../bitbucket/links.js';
import { PROGRAM } from '../settings.js';
import type { StoredEntry } from '../store/types.js';
import type { CredentialRequest } from './protocol.js';
import { entryMatches, isExpired } from './matching.js';

/** An account as these lines need it: where, and what login learnt (a project token's kind). */
type Dead = { protocol: string; host: string; meta?: { baseUrl?: string; kind?: string } };

/** The command that replaces a dead token (a project token needs the option that lets login keep one). */
export function loginCommandFor(e: Dead): string {
  return `git credential-bitbucket login ${baseUrlOf(e)}${isProject(e) ? ' --allow-project-token' : ''}`;
}

function baseUrlOf(e: Dead): string {
  return e.meta?.baseUrl ?? `${e.protocol}://${e.host}`;
}

function isProject(e: Dead): boolean {
  return e.meta?.kind === 'project';
}

/** `the token of alice`, or `the project or repository token of bot-…`. */
function tokenOf(e: StoredEntry): string {
  return `the ${isProject(e) ? 'project or repository ' : ''}token of ${e.username ?? '(no username)'}`;
}

/**
 * Where to make the new token: the user's token page, or for a project or repository token the
 * settings it was made in (their page address is not documented: links.ts projectTokenPageUrl).
 */
function whereToCreate(e: StoredEntry): string {
  return isProject(e) ? 'in the project or repository settings' : `at ${tokenPageUrl(baseUrlOf(e), e.meta?.userSlug)}`;
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
  return `${PROGRAM}: ${tokenOf(dead)} for ${baseUrlOf(dead)} expired on ${day(at)}; create a new one ${whereToCreate(dead)} and run: ${loginCommandFor(dead)}\n`;
}

/**
 * For an `erase` of a token this helper handed out: the server refused it and it is gone. git
 * erases after any 401 and says nothing of why, and `erase` asks no one (no network). A personal
 * token goes as Basic, and a CAPTCHA lock of its account refuses even a valid one: where a server
 * answers git's request with a 401 rather than its `ERR` packet, that looks the same here
 * (docs/bitbucket-server.md section 2), so the line names both causes and how to tell them apart.
 * A project or repository token goes as Bearer only, for a bot user nobody signs in as: its line
 * keeps to the token.
 */
export function refusedTokenLine(e: StoredEntry): string {
  const why = isProject(e)
    ? ' (revoked, expired or changed), so it was removed'
    : `, so it was removed: the token was revoked, expired or changed, or the account is locked after failed sign-ins (if signing in at ${baseUrlOf(e)} asks for a CAPTCHA, that was it, and the token still works there)`;
  return `${PROGRAM}: the server refused ${tokenOf(e)} for ${baseUrlOf(e)}${why}; create a new one ${whereToCreate(e)} and run: ${loginCommandFor(e)}\n`;
}

/** How status and list say it. */
export function refusedSince(at: number): string {
  return `refused by the server on ${day(at)}`;
}
