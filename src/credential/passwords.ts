/**
 * No account passwords on Bitbucket hosts. When git's prompt got the account password (after a
 * token died, say) and the push worked, git sends `store` with it. On a host where a Bitbucket
 * login exists, `store` keeps a password only when it is token-shaped or is one this helper
 * handed out; else it keeps nothing and says why (Bitbucket discourages account passwords for
 * git, and a changed password then fails until the CAPTCHA lock: docs/bitbucket-server.md).
 * `bitbucket.storePasswords true` (per URL) allows it. Other hosts keep git's generic behaviour.
 */
import { decodeTokenId } from '../bitbucket/token.js';
import { configGetSync } from '../git/repo.js';
import { PROGRAM, STORE_PASSWORDS_KEY } from '../settings.js';
import type { StoredEntry, TokenStore } from '../store/types.js';
import type { CredentialRequest } from './protocol.js';
import { loginCommandFor } from './notices.js';

/** A Bitbucket access token's shape: `BBDC-…`, or the older 44 characters of base64 of `<id>:…`. */
export function isTokenShaped(secret: string): boolean {
  if (secret.startsWith('BBDC-')) return decodeTokenId(secret) !== null;
  return secret.length === 44 && decodeTokenId(secret) !== null;
}

/**
 * Whether a stored entry holds an account password rather than a token: the secret git would be
 * given is the password and it is not token-shaped. `status`, `doctor` and `check` flag it and
 * never send it to be checked (a wrong one counts towards the CAPTCHA lock).
 */
export function holdsPassword(
  entry: { meta?: { kind?: string } },
  secrets: { password?: string; credential?: string } | null | undefined,
): boolean {
  const token =
    entry.meta?.kind === 'project' || (!secrets?.password && secrets?.credential)
      ? secrets?.credential
      : secrets?.password;
  return token !== undefined && token === secrets?.password && !isTokenShaped(token);
}

/** What `status`, `doctor` and `check` say about a stored account password, and the fix. */
export const STORED_PASSWORD = 'an account password is stored, not an access token';
export function replacePasswordFix(entry: Parameters<typeof loginCommandFor>[0], baseUrl?: string): string {
  // an entry git stored has no base URL of its own; where the server is known, its URL (context path included)
  return `replace it with a token: ${loginCommandFor(baseUrl && !entry.meta?.baseUrl ? { ...entry, meta: { baseUrl } } : entry)}`;
}

/**
 * The one line that explains why `store` keeps nothing, or undefined when it may store.
 * Asks git config only in the rare case of a password on a Bitbucket host.
 */
export async function passwordRefusal(
  req: CredentialRequest,
  stores: readonly TokenStore[],
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const password = req.password;
  if (password === undefined || req.protocol === undefined || req.host === undefined) return undefined;
  if (isTokenShaped(password)) return undefined;
  const onHost: Array<StoredEntry & { store: TokenStore }> = [];
  for (const store of stores)
    for (const e of await store.list())
      if (e.protocol === req.protocol && e.host.toLowerCase() === req.host.toLowerCase()) onHost.push({ ...e, store });
  const login = onHost.find((e) => e.meta?.baseUrl !== undefined);
  if (!login) return undefined;
  for (const e of onHost) if ((await e.store.read(e))?.password === password) return undefined;
  // git sends no path without credential.useHttpPath: then the server the login named is the URL
  const url = req.path ? `${req.protocol}://${req.host}/${req.path}` : `${login.meta?.baseUrl}/`;
  if (configGetSync(STORE_PASSWORDS_KEY, { url, type: 'bool' }, { env }) === 'true') return undefined;
  return `${PROGRAM}: not storing the password git used for ${req.username ?? 'this account'} on ${login.meta?.baseUrl}: it is not an access token (Bitbucket advises against account passwords for git); use a token: ${loginCommandFor(login)} (or allow passwords there: git config --global ${STORE_PASSWORDS_KEY.replace('.', `.${login.meta?.baseUrl}.`)} true)\n`;
}
