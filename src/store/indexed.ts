/**
 * The common half of the file and keyring stores: an index file of entries, read without a
 * lock and rewritten under one. Subclasses decide where the secrets live.
 */
import fs from 'node:fs';
import path from 'node:path';
import { withLock } from './lock.js';
import { ensurePrivateDir } from '../private-dir.js';
import {
  loadConf,
  readStoreFile,
  StoreFileView,
  writeStoreFile,
  type DiskEntry,
  type StoreFileData,
} from './storefile.js';
import {
  keyLabel,
  sameKey,
  type BackendKind,
  type CredentialKey,
  type Secrets,
  type StoredEntry,
  type TokenStore,
} from './types.js';

/** Where a write is: see IndexedStore.reached. */
export type WritePoint = 'put:waiting' | 'put:stored' | 'erase:waiting' | 'erase:seen';

/** The stamp of a file that is not there. */
const NONE = 'none';

export abstract class IndexedStore implements TokenStore {
  abstract readonly kind: BackendKind;
  abstract readonly location: string;

  /** The index as last read, with the file's identity then: `get` lists and reads from one parse. */
  private snapshot: { stamp: string; view: StoreFileView } | undefined;

  /** Whether the secrets live in the index itself (the file store), so no key lock is needed. */
  protected readonly secretsInIndex: boolean = false;

  constructor(readonly file: string) {}

  /**
   * The index, parsed once while the file stays the same (inode, size, change and modification
   * times, see stamp): `get` lists the entries and then reads one, and with thousands
   * of accounts a second parse costs as much as Node's start. Its entries are checked when
   * first used (StoreFileView). Writes read afresh under the lock.
   */
  private index(): StoreFileView {
    const stamp = this.stamp();
    if (this.snapshot?.stamp !== stamp) this.snapshot = { stamp, view: new StoreFileView(this.file, stamp !== NONE) };
    return this.snapshot.view;
  }

  /**
   * Runs `fn` under the lock when the file is still the one last read (the same stamp) and the
   * lock is free right now. `get` records what it gave out this way (src/credential/given.ts):
   * a writer that changed the store since, or is changing it now, makes it skip the record.
   */
  async whileUnchanged(fn: () => void): Promise<boolean> {
    const seen = this.snapshot?.stamp;
    if (seen === undefined) return false;
    try {
      return await withLock(
        `${this.file}.lock`,
        () => {
          if (this.stamp() !== seen) return false;
          fn();
          return true;
        },
        { timeoutMs: 0 },
      );
    } catch {
      return false; // the lock is busy (a writer is at work) or cannot be taken: no record
    }
  }

  seenStamp(): string | undefined {
    return this.snapshot?.stamp;
  }

  /**
   * The file's identity: inode, size, modification and change times (milliseconds with their
   * fraction: a double keeps them to a fraction of a microsecond; writers replace the file, so
   * its inode changes as well). Not `{ bigint: true }`: that is a second kind of stat for Node to
   * compile on the hot paths, which already use the plain one.
   */
  private stamp(): string {
    try {
      // no exception for a file that is not there (the keyring's index, for most): making one costs
      const st = fs.statSync(this.file, { throwIfNoEntry: false });
      return st ? `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}` : NONE;
    } catch {
      return 'unknown'; // read, to report why it cannot be
    }
  }

  /** Where the secrets of `entry` are, given the index entry as read from disk. */
  protected abstract readSecrets(entry: DiskEntry): Secrets | undefined;
  /**
   * Called before the index gains `entry`, without the lock (it may be slow); returns what
   * the index keeps.
   */
  protected abstract storeSecrets(entry: StoredEntry, secrets: Secrets): DiskEntry;
  /**
   * Called before the index loses `entry`, without the lock (it may be slow); throws (a
   * StoreError) when the secret could not be removed, in which case the index is left as it was.
   */
  protected abstract dropSecrets(entry: DiskEntry): void;
  /**
   * Awaited before the first of readSecrets, storeSecrets and dropSecrets in a read, put or
   * erase; throws (a StoreError) when those would block for good (a keyring that never answers).
   */
  protected async reachSecrets(): Promise<void> {}

  async list(): Promise<StoredEntry[]> {
    return this.index().all().map(withoutSecrets);
  }

  async listMatching(
    keep: (e: StoredEntry) => boolean,
    on?: { protocol?: string; host?: string },
  ): Promise<StoredEntry[]> {
    return this.index().on(on).filter(keep).map(withoutSecrets);
  }

  async read(key: CredentialKey): Promise<Secrets | undefined> {
    const entry = this.index()
      .on(key)
      .find((e) => sameKey(e, key));
    if (!entry) return undefined;
    await this.reachSecrets();
    return this.readSecrets(entry);
  }

  /**
   * Keeps `secrets` for `entry`. The secret goes to its place (the keyring) *before* the index
   * lock is taken, so no keyring round trip (which may wait on an unlock prompt) holds up other
   * writers; under the index lock only the index changes. The key's own lock (withKey) keeps an
   * erase of the same key from dropping the secret just put.
   */
  async put(entry: StoredEntry, secrets: Secrets): Promise<void> {
    await this.withKey(entry, 'put', async () => {
      const isNew = !(await this.list()).some((e) => sameKey(e, entry));
      await this.reachSecrets();
      const kept = this.storeSecrets(entry, secrets);
      await this.reached('put:stored');
      try {
        await this.mutate((data) => {
          data.entries = data.entries.filter((e) => !sameKey(e, entry));
          data.entries.push(kept);
          return [];
        });
      } catch (err) {
        // The index could not be written: a secret stored for a new key would be left where no
        // list, logout or erase can see it, so take it back (best effort; the error stands).
        if (isNew) this.rollBack(kept);
        throw err;
      }
    });
  }

  /**
   * Forgets `key`. Its secret is removed *before* the index lock is taken (see put); if that
   * fails nothing changes and the entry stays listed, instead of leaving a secret behind that no
   * index points at (invisible to list, logout and erase). The key's own lock (withKey) keeps a
   * concurrent `store` of the key from writing its new secret between the read of the index and
   * the removal (which would remove the new secret and leave its entry listed without one).
   * Under the index lock the entry leaves the index only if it is still the one read: one stored
   * again meanwhile (a concurrent `store` on the file backend, which has no key lock) stays.
   */
  async erase(key: CredentialKey): Promise<boolean> {
    // nothing to erase: no lock, no lock file (nor data directory) made
    if (!readStoreFile(this.file).entries.some((e) => sameKey(e, key))) return false;
    return this.withKey(key, 'erase', async () => {
      const seen = readStoreFile(this.file).entries.filter((e) => sameKey(e, key));
      if (seen.length === 0) return false;
      await this.reached('erase:seen');
      await this.reachSecrets();
      for (const e of seen) this.dropSecrets(e);
      const gone = await this.mutate((data) => {
        const removed = data.entries.filter((e) => sameKey(e, key) && seen.some((s) => s.storedAt === e.storedAt));
        if (removed.length === 0) return null;
        data.entries = data.entries.filter((e) => !removed.includes(e));
        return removed;
      });
      return gone !== null && gone.length > 0;
    });
  }

  /**
   * Runs `fn`, a put or an erase of `key`, while no other put or erase of the same key runs (in
   * any process): the secret's own place (a keyring item, one per key) and the index are changed
   * in two steps, which two writers of one key must not interleave. A lock file per key, beside
   * the index; held across the keyring round trip, so a slow keyring holds up only writers of the
   * same key, never the index lock. Not needed when the secrets are in the index.
   */
  private async withKey<T>(key: CredentialKey, op: 'put' | 'erase', fn: () => Promise<T>): Promise<T> {
    if (this.secretsInIndex) return fn();
    ensurePrivateDir(path.dirname(this.file), 'data directory');
    const id = process.getBuiltinModule('node:crypto').createHash('sha256').update(keyLabel(key)).digest('hex');
    return withLock(`${this.file}.${id.slice(0, 16)}.lock`, fn, { onBusy: () => void this.reached(`${op}:waiting`) });
  }

  /**
   * A point a put or an erase has reached; nothing happens here. Tests override it to pause a
   * writer there (a promise returned is awaited) and interleave writers deterministically.
   */
  protected reached(_point: WritePoint): Promise<void> | void {}

  async updateEntries(fn: (entries: StoredEntry[]) => StoredEntry[]): Promise<void> {
    await this.mutate((data) => {
      const updated = fn(data.entries.map(withoutSecrets));
      data.entries = data.entries.map((old) => {
        const next = updated.find((u) => sameKey(u, old));
        return next
          ? {
              ...next,
              hasPassword: old.hasPassword,
              hasCredential: old.hasCredential,
              ...(old.secrets ? { secrets: old.secrets } : {}),
            }
          : old;
      });
      return [];
    });
  }

  /** Undoes `storeSecrets` for an entry the index never gained; must not throw. */
  protected rollBack(entry: DiskEntry): void {
    try {
      this.dropSecrets(entry);
    } catch {
      // nothing more can be done; the caller reports the original failure
    }
  }

  /**
   * Read-modify-write of the index under the lock. `fn` edits `data` in place and returns the
   * entries it removed, or null when it changed nothing, in which case nothing is written.
   * Nothing slow happens while the lock is held: conf is loaded before, and secrets are put
   * and dropped by the callers before (see put and erase), under the key's lock only.
   */
  private async mutate(fn: (data: StoreFileData) => DiskEntry[] | null): Promise<DiskEntry[] | null> {
    ensurePrivateDir(path.dirname(this.file), 'data directory');
    this.snapshot = undefined;
    await loadConf();
    return withLock(`${this.file}.lock`, async () => {
      const data = readStoreFile(this.file);
      const removed = fn(data);
      if (removed === null) return null;
      await writeStoreFile(this.file, data);
      return removed;
    });
  }
}

/** The entry as callers see it: never with its secrets. */
export function withoutSecrets(e: DiskEntry): StoredEntry {
  const { secrets: _secrets, ...rest } = e;
  return rest;
}
