/**
 * The token store: one narrow interface, several backends (OS keyring, file, memory).
 * Entries are keyed like git keys credentials: protocol, host (with port), path, username.
 */

/** Identifies one stored credential. `username: ''` and an absent username are different keys. */
export interface CredentialKey {
  protocol: string;
  host: string;
  path?: string;
  username?: string;
}

/** What login learnt about a token; never secret. */
export interface TokenMeta {
  /** Server base URL including any context path, e.g. `https://bb.example.com/bitbucket`. */
  baseUrl?: string;
  userSlug?: string;
  displayName?: string;
  email?: string;
  /** `personal` for a user's own token; `project` for project and repository HTTP access tokens. */
  kind?: 'personal' | 'project';
  /** `basic` (username + token) or `bearer` (project/repository tokens only work as Bearer). */
  authScheme?: 'basic' | 'bearer';
  tokenId?: string;
  tokenName?: string;
  permissions?: string[];
  /** Epoch milliseconds. */
  expiresAt?: number;
  /** Epoch milliseconds of the last successful validation against the server. */
  verifiedAt?: number;
  /** `login --allow-http`: the user accepted sending this token over plain http://. */
  allowHttp?: boolean;
}

/** A stored entry without its secrets: safe to list, print and keep in an index file. */
export interface StoredEntry extends CredentialKey {
  /** git's `password_expiry_utc`, Unix seconds. */
  passwordExpiryUtc?: number;
  /** With `capability[]=authtype`: the scheme git puts before `credential`. */
  authtype?: string;
  hasPassword: boolean;
  hasCredential: boolean;
  /** Epoch milliseconds. */
  storedAt: number;
  /** The account used for this host when a request names no username. */
  isDefault?: boolean;
  meta?: TokenMeta;
}

/** The secret half of an entry. */
export interface Secrets {
  password?: string;
  oauthRefreshToken?: string;
  credential?: string;
}

export type BackendKind = 'keyring' | 'file' | 'memory';

/**
 * A place that keeps credentials. Writes replace any entry with the same key. Implementations
 * serialise concurrent writers (parallel git processes) so that no entry is lost.
 */
export interface TokenStore {
  readonly kind: BackendKind;
  /** Human-readable location, e.g. a file path or "Secret Service". */
  readonly location: string;
  /** All entries, without secrets. */
  list(): Promise<StoredEntry[]>;
  /**
   * The entries `keep` accepts, without secrets; optional: without it callers filter `list()`.
   * `get` asks for the few entries its request matches, and with thousands of stored accounts
   * copying all of them costs more than the matching. `on`: only entries of this protocol and
   * host can be kept (a store may then look at no other).
   */
  listMatching?(keep: (e: StoredEntry) => boolean, on?: { protocol?: string; host?: string }): Promise<StoredEntry[]>;
  /**
   * Runs `fn` under the store's lock, but only if the store is as this object last read it and
   * the lock is free at once (no wait: `get` must not stall); true when `fn` ran. Optional:
   * stores without it never run `fn`.
   */
  whileUnchanged?(fn: () => void): Promise<boolean>;
  /**
   * The identity of the store as this object last read it (it changes with every write), or
   * undefined before a read; optional, as whileUnchanged.
   */
  seenStamp?(): string | undefined;
  /** The secrets of one entry, or undefined when there is none. */
  read(key: CredentialKey): Promise<Secrets | undefined>;
  /**
   * Why entries cannot be removed right now (a keyring out of reach or locked), or undefined
   * when they can. Optional: a store without it can always remove. putReplacing asks before it
   * writes a key's new copy elsewhere, so that one key never ends up in two stores.
   */
  whyNotErasable?(): Promise<string | undefined>;
  /** Adds or replaces the entry with this key. */
  put(entry: StoredEntry, secrets: Secrets): Promise<void>;
  /** Removes the entry with this key; true when there was one. */
  erase(key: CredentialKey): Promise<boolean>;
  /**
   * Rewrites entries' metadata under the store's lock (e.g. to move the default account).
   * `fn` may change metadata only; keys and secrets stay as they are.
   */
  updateEntries(fn: (entries: StoredEntry[]) => StoredEntry[]): Promise<void>;
}

/** A store that cannot be used as it is: corrupt file, keyring gone. Message names the place. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Two keys are the same entry. */
export function sameKey(a: CredentialKey, b: CredentialKey): boolean {
  return (
    a.protocol === b.protocol && a.host === b.host && (a.path ?? '') === (b.path ?? '') && a.username === b.username
  );
}

/** A stable, readable label for a key: `https://alice@host/path` (username percent-encoded). */
export function keyLabel(k: CredentialKey): string {
  const user = k.username === undefined ? '' : `${encodeURIComponent(k.username)}@`;
  return `${k.protocol}://${user}${k.host}/${k.path ?? ''}`;
}
