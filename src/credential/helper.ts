/**
 * The three operations git runs a helper for (gitcredentials(7) "CUSTOM HELPERS"): `get`,
 * `store`, `erase`. They see a parsed request and the stores, never stdin or stdout.
 */
import type { CredentialRequest } from './protocol.js';
import {
  answerFor,
  candidatesFor,
  entryMatches,
  entryToStore,
  keyOf,
  sameCredential,
  sameSecrets,
  shouldErase,
} from './matching.js';
import { keyLabel, sameKey, StoreError, type Secrets, type StoredEntry, type TokenStore } from '../store/types.js';
import { PROGRAM } from '../settings.js';
import { trace } from '../trace.js';

/**
 * `get`: the attributes to answer with, or none. An entry whose secret is gone, or that `accept`
 * refuses, is skipped; `answered` learns which entry answered. With `failed`, a store that
 * cannot be listed or read (a corrupt file, a keyring error) is skipped and named there, and the
 * other stores still answer; without it, or when no store could be listed, the error is thrown.
 */
export async function getCredential(
  req: CredentialRequest,
  stores: readonly TokenStore[],
  nowMs: number,
  accept: (e: StoredEntry) => boolean = () => true,
  answered?: (e: Tagged) => void,
  failed?: (store: TokenStore, err: unknown) => void,
): Promise<Array<[string, string]>> {
  // Only entries this request matches are copied: with thousands of stored accounts, copying
  // every one costs more than the matching.
  const keep = (e: StoredEntry) => entryMatches(req, e) && accept(e);
  const matching: Tagged[] = [];
  const broken: Array<[TokenStore, unknown]> = [];
  for (const store of stores) {
    let entries: StoredEntry[];
    try {
      entries = store.listMatching
        ? await store.listMatching(keep, { protocol: req.protocol, host: req.host })
        : (await store.list()).filter(keep);
    } catch (err) {
      if (!failed) throw err;
      broken.push([store, err]);
      continue;
    }
    for (const e of entries) matching.push({ ...e, store });
  }
  // every store failed (a data directory refused, say): that is the error, as without `failed`
  if (broken.length > 0 && broken.length === stores.length) throw broken[0]![1];
  for (const [store, err] of broken) failed?.(store, err);
  const candidates = candidatesFor(req, matching, nowMs);
  trace('get', () => {
    const byStore = stores.map((s) => `${matching.filter((e) => e.store === s).length} in the ${s.kind} store`);
    return `matching entries: ${byStore.join(', ')}; candidates in order: ${candidates.map(keyLabel).join(' ') || 'none'}`;
  });
  for (const entry of candidates) {
    let secrets: Secrets | undefined;
    try {
      secrets = await entry.store.read(entry);
    } catch (err) {
      if (!failed) throw err;
      failed(entry.store, err);
      continue;
    }
    if (!secrets) {
      trace('get', () => `${keyLabel(entry)}: no secret in the ${entry.store.kind} store, skipped`);
      continue;
    }
    const answer = answerFor(req, entry, secrets);
    trace('get', () =>
      answer.length > 0
        ? `${keyLabel(entry)} (${entry.store.kind} store) answers`
        : `${keyLabel(entry)}: nothing to answer with for this request, skipped`,
    );
    if (answer.length > 0) {
      answered?.(entry);
      return answer;
    }
  }
  return [];
}

/**
 * The `failed` callback of `getCredential` for a command that talks to a person: each store that
 * failed is named once, in one line through `say` (its kind and the first line of its error,
 * which names the place and never a secret), and traced under `area`; `failed` holds them.
 */
export function storeSkipper(
  op: string,
  say: (text: string) => void,
  area = op,
): { skip: (store: TokenStore, err: unknown) => void; failed: ReadonlySet<TokenStore> } {
  const failed = new Set<TokenStore>();
  // once per store, though a command may open the same store more than once
  const said = new Set<string>();
  const skip = (store: TokenStore, err: unknown) => {
    trace(area, () => `the ${store.kind} store failed, skipped: ${oneLine(err)}`);
    if (!said.has(store.location)) say(`${PROGRAM}: ${op}: skipped the ${store.kind} store: ${oneLine(err)}\n`);
    said.add(store.location);
    failed.add(store);
  };
  return { skip, failed };
}

/** An error as one line: our own errors carry safe messages; anything else is summarised. */
export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? 'unexpected error';
}

export interface StoreOutcome {
  /**
   * `stored` (written), `unchanged` (already held exactly this), `ignored` (nothing to keep),
   * `refused` (the `guard`'s check said no: nothing written).
   */
  result: 'stored' | 'unchanged' | 'ignored' | 'refused';
  store?: TokenStore;
}

/**
 * Runs the write of `store` (the write only, the target already chosen) when a check made at the
 * same moment allows it: true when it wrote, false when the check refused.
 */
export type StoreGuard = (write: () => Promise<void>) => Promise<boolean>;

/**
 * `store`: keep the credential in `target`, replacing the entry with the same key wherever it
 * is. Storing what is already stored writes nothing (git sends `store` after every successful
 * request), and keeps what login learnt about the token. The write runs inside `guard`.
 */
export async function storeCredential(
  req: CredentialRequest,
  stores: readonly TokenStore[],
  pickTarget: () => Promise<TokenStore>,
  nowMs: number,
  guard: StoreGuard = async (write) => (await write(), true),
): Promise<StoreOutcome> {
  const next = entryToStore(req, nowMs);
  if (!next) return { result: 'ignored' };
  const all = await listTagged(stores);
  // git echoes back what `get` answered, which may lack the username (a Bearer answer has
  // none): an entry this request matches that already holds exactly these secrets is it.
  for (const t of all) {
    if (sameKey(t, next.entry) || !entryMatches(req, t)) continue;
    const s = await t.store.read(t);
    if (s && sameSecrets(s, next.secrets)) return { result: 'unchanged', store: t.store };
  }
  let previous: { entry: StoredEntry; secrets: Secrets | undefined; store: TokenStore } | undefined;
  const holding = all.filter((t) => sameKey(t, next.entry));
  const found = holding[0];
  if (found) previous = { entry: found, secrets: await found.store.read(found), store: found.store };
  if (previous?.secrets && sameCredential(previous.entry, previous.secrets, next.entry, next.secrets)) {
    return { result: 'unchanged', store: previous.store };
  }
  const target = await pickTarget();
  if (previous?.entry.isDefault) next.entry.isDefault = true;
  if (!(await guard(() => putReplacing(holding, target, next.entry, next.secrets)))) return { result: 'refused' };
  return { result: 'stored', store: target };
}

/**
 * Writes `entry` to `target` and removes the same key from any other store that holds it
 * (`existing` lists entries with their stores), so that one key lives in one place. When such a
 * copy cannot be removed now (the keyring out of reach, say), nothing is written: a StoreError
 * says so, as `erase` does, rather than leave the key in two stores.
 */
export async function putReplacing(
  existing: readonly Tagged[],
  target: TokenStore,
  entry: StoredEntry,
  secrets: Secrets,
): Promise<void> {
  const others = existing.filter((t) => t.store !== target && sameKey(t, entry));
  for (const t of others) {
    const why = await t.store.whyNotErasable?.();
    if (why !== undefined) {
      throw new StoreError(
        `"${keyLabel(entry)}" is held in the OS keyring, which cannot be reached to replace it (${why}); nothing changed: unlock the keyring, or store it where the keyring is reachable`,
      );
    }
  }
  await target.put(entry, secrets);
  for (const t of others) await t.store.erase(entry);
}

/** `erase`: remove every matching entry (git 2.42: only where a given password matches). */
export async function eraseCredential(req: CredentialRequest, stores: readonly TokenStore[]): Promise<number> {
  return (await eraseCredentialEntries(req, stores)).length;
}

/**
 * `erase`, saying what went: each removed entry, and whether the request carried its very
 * secret (git sends the credential the server just refused; a bare host-wide erase carries none).
 */
export async function eraseCredentialEntries(
  req: CredentialRequest,
  stores: readonly TokenStore[],
): Promise<Array<{ entry: Tagged; refused: boolean }>> {
  if (!keyOf(req)) return [];
  const withSecret = req.password !== undefined || req.credential !== undefined;
  const erased: Array<{ entry: Tagged; refused: boolean }> = [];
  for (const entry of await listTagged(stores)) {
    if (!entryMatches(req, entry)) continue;
    const secrets = withSecret ? await entry.store.read(entry) : undefined;
    const erase = shouldErase(req, entry, secrets);
    trace(
      'erase',
      () => `${keyLabel(entry)} (${entry.store.kind} store): ${erase ? 'erasing' : 'kept (another secret)'}`,
    );
    if (erase && (await entry.store.erase(entry))) erased.push({ entry, refused: withSecret });
  }
  return erased;
}

/** An entry with the store that holds it. */
export type Tagged = StoredEntry & { store: TokenStore };

/** Every entry of every store, each with the store that holds it. */
async function listTagged(stores: readonly TokenStore[]): Promise<Tagged[]> {
  const out: Tagged[] = [];
  for (const store of stores) for (const entry of await store.list()) out.push({ ...entry, store });
  return out;
}
