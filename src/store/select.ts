/**
 * Which backend new credentials go to. Reading never needs this: `get` looks in both, so a
 * change of backend never hides a stored token.
 *
 * Order: `$GIT_CREDENTIAL_BITBUCKET_STORE`, then git config `bitbucket.store`, then `auto`
 * (keyring when it can store, else the file, and the fall-back is recorded for login/status).
 */
import { configGetSync } from '../git/repo.js';
import { ENV, STORE_KEY as STORE_CONFIG_KEY } from '../settings.js';
import { FileStore } from './file.js';
import { KeyringStore, probeWritable } from './keyring.js';
import { storePaths } from './paths.js';
import { forgetGiven } from '../credential/given.js';
import { StoreError, type TokenStore } from './types.js';

const STORE_ENV = ENV.store.name;
export type BackendChoice = 'auto' | 'keyring' | 'file';

export interface Stores {
  file: FileStore;
  keyring: KeyringStore;
}

export function openStores(dir: string): Stores {
  const p = storePaths(dir);
  return {
    file: forgettingGiven(new FileStore(p.credentials), dir),
    keyring: forgettingGiven(new KeyringStore(p.keyringIndex), dir),
  };
}

/**
 * Every write to a store forgets what `get` gave out (src/credential/given.ts), before and
 * after the write: a store of that credential must reach Node again.
 */
function forgettingGiven<T extends TokenStore>(store: T, dir: string): T {
  const put = store.put.bind(store);
  const erase = store.erase.bind(store);
  store.put = async (entry, secrets) => {
    forgetGiven(dir);
    await put(entry, secrets);
    forgetGiven(dir);
  };
  store.erase = async (key) => {
    forgetGiven(dir);
    const erased = await erase(key);
    forgetGiven(dir);
    return erased;
  };
  return store;
}

/** Every store, in the order `get` consults them. */
export function allStores(s: Stores): TokenStore[] {
  return [s.keyring, s.file];
}

export interface Configured {
  choice: BackendChoice;
  source: 'environment' | 'git config' | 'default';
}

/** Reads the configured choice. `gitConfig` is injectable for tests. */
export async function configuredBackend(
  env: NodeJS.ProcessEnv = process.env,
  gitConfig: (key: string) => Promise<string | undefined> = readGitConfig,
): Promise<Configured> {
  const fromEnv = env[STORE_ENV];
  if (fromEnv) return { choice: parseChoice(fromEnv, `$${STORE_ENV}`), source: 'environment' };
  const fromGit = await gitConfig(STORE_CONFIG_KEY);
  if (fromGit) return { choice: parseChoice(fromGit, `git config ${STORE_CONFIG_KEY}`), source: 'git config' };
  return { choice: 'auto', source: 'default' };
}

function parseChoice(value: string, where: string): BackendChoice {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || v === 'keyring' || v === 'file') return v;
  throw new StoreError(`${where} is '${value}': expected keyring, file or auto`);
}

/** `git config --get KEY`, or undefined when unset or when git is not there. */
export async function readGitConfig(key: string): Promise<string | undefined> {
  return configGetSync(key)?.trim() || undefined;
}

export interface Selection {
  store: TokenStore;
  configured: Configured;
  /** Set when `auto` wanted the keyring and could not have it. */
  fallbackReason?: string;
}

/**
 * Picks the backend for writes, by whether the keyring can store an item right now (a write
 * probe: a locked keyring, or one without a collection, still answers lookups). Asked only
 * when something is about to be written, never by `get`. An explicit `keyring` that cannot
 * store is an error, not a fall-back.
 */
export async function selectBackend(
  stores: Stores,
  configured: Configured,
  probe: () => Promise<{ ok: true } | { ok: false; reason: string }> = probeWritable,
): Promise<Selection> {
  if (configured.choice === 'file') return { store: stores.file, configured };
  const p = await probe();
  if (p.ok) return { store: stores.keyring, configured };
  if (configured.choice === 'keyring') {
    throw new StoreError(
      `the OS keyring is not usable (${p.reason}); set ${STORE_ENV}=file or git config ${STORE_CONFIG_KEY} file to use the file store`,
    );
  }
  return { store: stores.file, configured, fallbackReason: p.reason };
}
