/** Wording shared by login, status and check, so that each fact is said the same way. */
import { daysLeft } from './accounts.js';
import { loginCommandFor, refusedSince } from '../../credential/notices.js';
import type { Refusal } from '../../store/settings.js';
import { ENV, STORE_KEY } from '../../settings.js';

export const PROJECT_TOKEN_EXPLANATION =
  'Bitbucket runs project and repository tokens as a system-generated bot user, so pushes and later pull-request activity would be recorded under that bot instead of your own account: one person, two identities in history.';

export function describeToken(
  masked: string,
  kind: string | undefined,
  name: string | undefined,
  permissions: string[] | undefined,
): string {
  const k =
    kind === 'project' ? 'project/repository token' : kind === 'personal' ? 'personal token' : 'token (kind unknown)';
  return `${masked} ${k}${name ? ` "${name}"` : ''}${permissions?.length ? ` [${permissions.join(', ')}]` : ''}`;
}

export function describeExpiry(expiresAt: number | undefined, now: number): string {
  if (expiresAt === undefined) return 'none known';
  const date = new Date(expiresAt).toISOString().slice(0, 10);
  const days = daysLeft(expiresAt, now);
  if (expiresAt <= now) return `${date} (expired)`;
  return `${date} (${days} day${days === 1 ? '' : 's'} left)`;
}

export function fallbackNotice(reason: string, location: string): string {
  return `OS keyring not usable (${reason}): tokens are in ${location} (mode 0600); to choose: git config --global ${STORE_KEY} file|keyring (or ${ENV.store.name}=file|keyring)`;
}

/** One line per token the server refused (git erased it), until the next login for that account. */
export function refusalLines(refused: readonly Refusal[]): string[] {
  return refused.map(
    (r) =>
      `${r.username ?? '(no username)'} on ${r.baseUrl ?? `${r.protocol}://${r.host}`}: ${refusedSince(r.at)}; the token was removed. Run: ${loginCommandFor({ ...r, meta: { ...(r.baseUrl ? { baseUrl: r.baseUrl } : {}), ...(r.kind ? { kind: r.kind } : {}) } })}`,
  );
}

/** The refusals about `server` (all when undefined). */
export function refusalsFor(
  refused: readonly Refusal[] | undefined,
  server?: { protocol: string; host: string },
): Refusal[] {
  return (refused ?? []).filter(
    (r) => !server || (r.protocol === server.protocol && r.host.toLowerCase() === server.host.toLowerCase()),
  );
}
