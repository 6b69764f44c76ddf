/**
 * Revoking the stored token on the server (`logout --revoke`), and what plain `logout` says: a token
 * removed from this machine still works on the server until it expires or is revoked
 * (docs/bitbucket-server.md section 5: only the password or the web UI can revoke it).
 */
import { tokenPageUrl } from '../../bitbucket/links.js';
import { decodeTokenId } from '../../bitbucket/token.js';
import type { Account } from '../shared/accounts.js';
import { CommandError, EXIT } from '../shared/errors.js';
import type { CommandIO } from '../shared/io.js';
import { clientFor, entryBaseUrl } from '../shared/server.js';
import { namedTimeout } from '../shared/timeout.js';
import { PasswordUnusable, signIn } from './password.js';

/** `"name" (id 1234)`, from what login recorded and the token itself. */
function storedTokenLabel(account: Account, raw?: string): { label: string; id?: string } {
  const id = account.meta?.tokenId ?? (raw ? (decodeTokenId(raw) ?? undefined) : undefined);
  const name = account.meta?.tokenName;
  const label = `${name ? `"${name}"` : 'the token'}${id ? ` (id ${id})` : ''}`;
  return { label, ...(id !== undefined ? { id } : {}) };
}

/** The token page of the account's user. */
function pageOf(account: Account): string {
  return tokenPageUrl(entryBaseUrl(account), account.meta?.userSlug ?? account.username);
}

/**
 * The account's token is gone from here, not from the server: where to revoke it. `replaced`: a
 * new token took its place (login --create) rather than none (plain logout).
 */
export function stillWorksNotice(account: Account, replaced = false): string {
  const { label } = storedTokenLabel(account);
  const lead = replaced
    ? `The token stored before, ${label}, still works on the server until it expires or is revoked: revoke it`
    : `The token still works on the server until it expires or is revoked: revoke ${label}`;
  if (account.meta?.kind === 'project') return `${lead} in the project or repository settings.`;
  const hint = replaced ? 'rotate replaces and revokes in one step' : 'next time, logout --revoke does both';
  return `${lead} at ${pageOf(account)} (${hint}).`;
}

/**
 * Deletes the account's token on the server with the password (once). Where the password cannot
 * be used, says where to revoke it by hand and lets the local removal go on; any other failure
 * stops before the local removal, so the user can try again. True when the token no longer works
 * on the server (revoked now, or gone already).
 */
export async function revokeOnServer(
  account: Account,
  opts: { passwordStdin: boolean; timeout: number },
  io: CommandIO,
): Promise<boolean> {
  if (account.meta?.kind === 'project') {
    throw new CommandError(
      'this is a project or repository token: revoke it in the project or repository settings, then run logout without --revoke',
      EXIT.usage,
    );
  }
  const raw = (await account.store.read(account))?.password;
  const { label, id } = storedTokenLabel(account, raw);
  const client = await clientFor(entryBaseUrl(account), io, opts.timeout * 1000, {
    timeoutNamed: namedTimeout(opts.timeout),
  });
  let session;
  try {
    session = await signIn({
      client,
      io,
      ...(account.username !== undefined ? { username: account.username } : {}),
      usernameGiven: account.username !== undefined,
      passwordStdin: opts.passwordStdin,
    });
  } catch (err) {
    if (!(err instanceof PasswordUnusable)) throw err;
    io.stderr(`${err.reason}.\nRevoke ${label} in the web UI: ${pageOf(account)}\n`);
    return false;
  }
  if (id === undefined) {
    io.stderr(`Cannot tell which token on the server this is; revoke ${label} at ${pageOf(account)}\n`);
    return false;
  }
  const r = await session.revoke(id);
  if (r.status === 'ok') io.stderr(`Revoked ${label} on ${client.baseUrl}\n`);
  else if (r.status === 'not-found') io.stderr(`${label} no longer exists on ${client.baseUrl}\n`);
  else throw new CommandError(`could not revoke ${label}: ${r.message}; it is still stored here`);
  return true;
}
