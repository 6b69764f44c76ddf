/**
 * Accounts as commands see them: every stored entry of every backend, with the backend that
 * holds it, grouped by host.
 */
import { dataDir } from '../../settings.js';
import { allStores, openStores, type Stores } from '../../store/select.js';
import type { StoredEntry, TokenStore } from '../../store/types.js';
import type { CommandIO } from './io.js';

export interface Account extends StoredEntry {
  store: TokenStore;
}

export function storesFor(io: CommandIO): { dir: string; stores: Stores } {
  const dir = dataDir(io.env);
  return { dir, stores: openStores(dir) };
}

export async function listAccounts(
  stores: Stores,
  skipped?: (store: TokenStore, err: unknown) => void,
): Promise<Account[]> {
  const out: Account[] = [];
  for (const store of allStores(stores)) {
    let entries: StoredEntry[];
    try {
      entries = await store.list();
    } catch (err) {
      // with `skipped`, a store that fails (a corrupt file) is named there and the others listed
      if (!skipped) throw err;
      skipped(store, err);
      continue;
    }
    for (const e of entries) out.push({ ...e, store });
  }
  return out.sort((a, b) => hostKey(a).localeCompare(hostKey(b)) || (a.username ?? '').localeCompare(b.username ?? ''));
}

export function hostKey(e: { protocol: string; host: string }): string {
  return `${e.protocol}://${e.host}`;
}

/** Groups accounts by `protocol://host`, in order. */
export function byHost(accounts: Account[]): Map<string, Account[]> {
  const m = new Map<string, Account[]>();
  for (const a of accounts) m.set(hostKey(a), [...(m.get(hostKey(a)) ?? []), a]);
  return m;
}

/** Days from `now` to `at`, rounded down; negative when past. */
export function daysLeft(at: number, now: number): number {
  return Math.floor((at - now) / 86_400_000);
}

/** The expiry that applies to an entry (token expiry or git's password_expiry_utc), epoch ms. */
export function expiryOf(e: StoredEntry): number | undefined {
  const a = e.meta?.expiresAt;
  const b = e.passwordExpiryUtc === undefined ? undefined : e.passwordExpiryUtc * 1000;
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
