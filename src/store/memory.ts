/** An in-memory store, for unit tests of the logic above the store. */
import { sameKey, type CredentialKey, type Secrets, type StoredEntry, type TokenStore } from './types.js';

export class MemoryStore implements TokenStore {
  readonly kind = 'memory' as const;
  readonly location = 'memory';
  private entries: Array<{ entry: StoredEntry; secrets: Secrets }> = [];

  async list(): Promise<StoredEntry[]> {
    return this.entries.map((e) => structuredClone(e.entry));
  }

  async read(key: CredentialKey): Promise<Secrets | undefined> {
    const found = this.entries.find((e) => sameKey(e.entry, key));
    return found ? { ...found.secrets } : undefined;
  }

  async put(entry: StoredEntry, secrets: Secrets): Promise<void> {
    this.entries = this.entries.filter((e) => !sameKey(e.entry, entry));
    this.entries.push({ entry: structuredClone(entry), secrets: { ...secrets } });
  }

  async erase(key: CredentialKey): Promise<boolean> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !sameKey(e.entry, key));
    return this.entries.length < before;
  }

  async updateEntries(fn: (entries: StoredEntry[]) => StoredEntry[]): Promise<void> {
    const updated = fn(await this.list());
    for (const e of this.entries) {
      const next = updated.find((u) => sameKey(u, e.entry));
      if (next)
        e.entry = { ...structuredClone(next), hasPassword: e.entry.hasPassword, hasCredential: e.entry.hasCredential };
    }
  }
}
