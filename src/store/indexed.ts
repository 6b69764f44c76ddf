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
  sameKey,
  type BackendKind,
  type CredentialKey,
  type Secrets,
  type StoredEntry,
  type TokenStore,
} from './types.js';

/** The stamp of a file that is not there. */
const NONE = 'none';

export abstract class IndexedStore implements TokenStore {
  abstract readonly kind: BackendKind;
  abstract readonly location: string;

  /** The index as last read, with the file's identity then: `get` lists and reads from one parse. */
  private snapshot: { stamp: string; view: StoreFileView } | undefined;

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
    return entry ? this.readSecrets(entry) : undefined;
  }

  /**
   * Keeps `secrets` for `entry`. The secret goes to its place (the keyring) *before* the lock is
   * taken, so no keyring round trip (which may wait on an unlock prompt) holds up other writers;
   * under the lock only the index changes.
   */
  async put(entry: StoredEntry, secrets: Secrets): Promise<void> {
    const isNew = !(await this.list()).some((e) => sameKey(e, entry));
    const kept = this.storeSecrets(entry, secrets);
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
  }

  /**
   * Forgets `key`. Its secret is removed *before* the lock is taken (see put); if that fails
   * nothing changes and the entry stays listed, instead of leaving a secret behind that no
   * index points at (invisible to list, logout and erase). Under the lock the entry leaves the
   * index only if it is still the one whose secret was removed: one stored again meanwhile
   * (a concurrent `store`) stays, with its new secret.
   */
  async erase(key: CredentialKey): Promise<boolean> {
    const seen = readStoreFile(this.file).entries.filter((e) => sameKey(e, key));
    if (seen.length === 0) return false;
    for (const e of seen) this.dropSecrets(e);
    const gone = await this.mutate((data) => {
      const removed = data.entries.filter((e) => sameKey(e, key) && seen.some((s) => s.storedAt === e.storedAt));
      if (removed.length === 0) return null;
      data.entries = data.entries.filter((e) => !removed.includes(e));
      return removed;
    });
    return gone !== null && gone.length > 0;
  }

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
   * and dropped by the callers before (see put and erase).
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
