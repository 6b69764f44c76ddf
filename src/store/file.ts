/**
 * The file backend: secrets inline in one JSON file, mode 0600 in a 0700 directory, replaced
 * atomically through conf and serialised by a lock file.
 */
import { IndexedStore } from './indexed.js';
import type { DiskEntry } from './storefile.js';
import type { Secrets, StoredEntry } from './types.js';

export class FileStore extends IndexedStore {
  readonly kind = 'file' as const;
  protected override readonly secretsInIndex = true;

  get location(): string {
    return this.file;
  }

  protected readSecrets(entry: DiskEntry): Secrets | undefined {
    return entry.secrets;
  }

  protected storeSecrets(entry: StoredEntry, secrets: Secrets): DiskEntry {
    return { ...entry, secrets };
  }

  protected dropSecrets(): void {
    // the secrets went with the entry
  }
}
