/**
 * What login, rotate and logout owe git's credential-cache when `setup --cache` put it in front
 * of this helper: the token they replaced or removed must leave the cache too. Otherwise the
 * cache keeps answering with it, and git's `store` after the next successful request puts it
 * back into our store (gitcredentials(7): `store` goes to every helper), over the new token.
 *
 * Two parts: the host's entries are erased from the cache (`git credential-cache erase`, as git
 * itself runs the helper), and the old secrets are recorded as retired (src/credential/retired.ts)
 * so that `store` refuses them should a cache out of reach still hand them out. The record is
 * kept for every host, cache or not: a git that was running when the token changed sends `store`
 * of the one `get` gave it, just as a cache's git does.
 */
import { putReplacing } from '../../credential/helper.js';
import { updateRetired, withRetiredLock, type TokenHost } from '../../credential/retired.js';
import { gitAsync } from '../../git/async.js';
import { readSettings } from '../../store/settings.js';
import type { Stores } from '../../store/select.js';
import { sameKey, type CredentialKey, type Secrets, type StoredEntry, type TokenStore } from '../../store/types.js';
import { dataDir } from '../../settings.js';
import { listAccounts, type Account } from './accounts.js';
import { Superseded } from './errors.js';
import type { CommandIO } from './io.js';

/**
 * The arguments of each `setup --cache` helper recorded for this host (`cache --timeout=900`
 * gives `['--timeout=900']`), one per distinct value. Records are keyed `<config file>|<url>`.
 */
export function cacheHelpersFor(dir: string, where: TokenHost): string[][] {
  const values = new Set<string>();
  for (const [key, record] of Object.entries(readSettings(dir).setups ?? {})) {
    if (record.cache === undefined) continue;
    let url: URL;
    try {
      url = new URL(key.slice(key.lastIndexOf('|') + 1));
    } catch {
      continue;
    }
    if (url.protocol === `${where.protocol}:` && url.host.toLowerCase() === where.host.toLowerCase())
      values.add(record.cache);
  }
  const out: string[][] = [];
  for (const v of values) {
    const [word, ...args] = v.trim().split(/\s+/);
    if (word === 'cache') out.push(args);
  }
  return out;
}

/**
 * Erases the host's entries from git's credential-cache, through the same helper invocation
 * git uses (`git credential-cache [its options] erase`, the socket included when setup named
 * one), with the request on stdin: protocol and host only, which matches every cached entry of
 * that host whatever its path or username (credential_match in git's credential.c compares
 * only the fields the request has). No daemon running is no error there. One line on stderr.
 */
async function eraseFromCache(io: CommandIO, where: TokenHost, helpers: string[][]): Promise<void> {
  const host = `${where.protocol}://${where.host}`;
  const failures: string[] = [];
  for (const args of helpers) {
    const r = await gitAsync(
      ['credential-cache', ...args, 'erase'],
      { env: io.env, timeoutMs: 10_000 },
      `protocol=${where.protocol}\nhost=${where.host}\n\n`,
    );
    if (r.status !== 0) failures.push(r.stderr.trim().split('\n')[0] || `git exited with ${r.status}`);
  }
  io.stderr(
    failures.length === 0
      ? `Erased ${host} from git's credential-cache (setup --cache), so it cannot hand git the old token.\n`
      : `! Could not erase ${host} from git's credential-cache (${failures[0]}): run 'git credential-cache exit', or it may hand git the old token.\n`,
  );
}

/**
 * Retires `secrets` for the host (rotate: the old token, for each name of the server that held
 * it): a git that got it from `get` before cannot store it back afterwards.
 */
export async function retireTokens(io: CommandIO, where: TokenHost, secrets: readonly string[]): Promise<void> {
  await updateRetired(dataDir(io.env), where, { retire: secrets });
}

/** The secret values of one stored entry; none when it cannot be read. */
async function secretsOf(a: Account): Promise<string[]> {
  const s = await a.store.read(a).catch(() => undefined);
  return [s?.password, s?.credential].filter((v): v is string => v !== undefined && v !== '');
}

/** What rotate read before it made the new token: the entry it replaces, and its token then. */
export interface Expected {
  key: CredentialKey;
  secret: string | undefined;
}

/**
 * login (and rotate through it): stores `entry` in `target` in place of the entry with the same
 * key wherever it is (putReplacing). The token it replaced is retired first (a git that got it
 * from `get` must not store it back) and, on a host with `setup --cache`, erased from the cache
 * after; the new token is never retired. With `expected` (rotate), nothing is written unless
 * that entry still holds that token (then retired too, whatever key the new entry has):
 * otherwise another login or rotate replaced it meanwhile, and `Superseded` is thrown. All of it under the retired record's lock, which every login,
 * rotate and logout takes for its writes (src/credential/retired.ts).
 */
export async function replaceToken(
  io: CommandIO,
  stores: Stores,
  target: TokenStore,
  entry: StoredEntry,
  secrets: Secrets,
  expected?: Expected,
): Promise<void> {
  const dir = dataDir(io.env);
  const helpers = cacheHelpersFor(dir, entry);
  const fresh = [secrets.password, secrets.credential].filter((v): v is string => v !== undefined && v !== '');
  await withRetiredLock(dir, async (edit) => {
    const accounts = await listAccounts(stores);
    if (expected) {
      const holder = accounts.find((a) => sameKey(a, expected.key));
      const now = holder ? await holder.store.read(holder) : undefined;
      if ((now?.password ?? now?.credential) !== expected.secret) throw new Superseded();
    }
    const old = expected?.secret !== undefined ? [expected.secret] : [];
    for (const a of accounts) if (sameKey(a, entry)) old.push(...(await secretsOf(a)));
    const retire = old.filter((s) => !fresh.includes(s));
    edit(entry, { retire, restore: fresh });
    try {
      await putReplacing(accounts, target, entry, secrets);
    } catch (err) {
      // nothing was replaced: the old token is the stored one again, and git may store it
      edit(entry, { restore: retire });
      throw err;
    }
  });
  if (helpers.length > 0) await eraseFromCache(io, entry, helpers);
}

/**
 * logout: removes every copy of `target`'s key (a key may sit in both stores, see putReplacing),
 * retiring its token, and erasing it from the cache on a host with `setup --cache`. Returns the
 * stores it was removed from.
 */
export async function removeToken(io: CommandIO, accounts: readonly Account[], target: Account): Promise<TokenStore[]> {
  const dir = dataDir(io.env);
  const helpers = cacheHelpersFor(dir, target);
  const copies = accounts.filter((a) => sameKey(a, target));
  const from = await withRetiredLock(dir, async (edit) => {
    const old: string[] = [];
    for (const a of copies) old.push(...(await secretsOf(a)));
    edit(target, { retire: old });
    const erased: TokenStore[] = [];
    for (const a of copies) if (await a.store.erase(a)) erased.push(a.store);
    return erased;
  });
  if (helpers.length > 0) await eraseFromCache(io, target, helpers);
  return from;
}
