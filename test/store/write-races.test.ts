/**
 * A put and an erase of the same key at once, interleaved at the worst points on purpose (the
 * stores' `reached` pause points): the end state is one of the two orders, never an entry listed
 * without its secret nor a secret no entry points at. Two store objects on one index stand for two
 * processes (they share nothing but the files and the secrets' place). Run against a store whose
 * secrets live apart in memory, and against the real OS keyring (GNOME keyring on a private
 * D-Bus session started by test/run.sh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexedStore, type WritePoint } from '../../src/store/indexed.js';
import { KeyringStore } from '../../src/store/keyring.js';
import type { DiskEntry } from '../../src/store/storefile.js';
import { keyLabel, type CredentialKey, type Secrets, type StoredEntry } from '../../src/store/types.js';

const privateKeyring = process.env.GCB_TEST_PRIVATE_KEYRING === '1';
if (process.env.CI && !privateKeyring) throw new Error('CI must run the keyring tests: run them through test/run.sh');

type Hook = (p: WritePoint) => Promise<void> | void;
interface Hooked extends IndexedStore {
  hook?: Hook;
  /** The secret in its place, read directly (not through the index). */
  raw(key: CredentialKey): string | undefined;
}

/** Secrets in a map shared by the store objects of one test, as a keyring is shared by processes. */
class ApartStore extends IndexedStore implements Hooked {
  readonly kind = 'keyring' as const;
  readonly location = 'memory, apart from the index';
  hook?: Hook;
  constructor(
    file: string,
    private readonly place: Map<string, string>,
  ) {
    super(file);
  }
  raw(key: CredentialKey): string | undefined {
    return this.place.get(keyLabel(key));
  }
  protected override reached(p: WritePoint): Promise<void> | void {
    return this.hook?.(p);
  }
  protected readSecrets(e: DiskEntry): Secrets | undefined {
    const s = this.place.get(keyLabel(e));
    return s === undefined ? undefined : (JSON.parse(s) as Secrets);
  }
  protected storeSecrets(e: StoredEntry, s: Secrets): DiskEntry {
    this.place.set(keyLabel(e), JSON.stringify(s));
    return { ...e };
  }
  protected dropSecrets(e: DiskEntry): void {
    this.place.delete(keyLabel(e));
  }
}

const service = `gcb-races-${process.pid}-${Date.now()}`;

class HookedKeyring extends KeyringStore implements Hooked {
  hook?: Hook;
  raw(key: CredentialKey): string | undefined {
    const { Entry } = createRequire(import.meta.url)('@napi-rs/keyring') as {
      Entry: new (s: string, a: string) => { getPassword(): string | null };
    };
    return new Entry(service, keyLabel(key)).getPassword() ?? undefined;
  }
  protected override reached(p: WritePoint): Promise<void> | void {
    return this.hook?.(p);
  }
}

let dir = '';
let place = new Map<string, string>();
const backends: Array<[string, () => Hooked, boolean]> = [
  ['secrets apart in memory', () => new ApartStore(path.join(dir, 'index.json'), place), true],
  ['OS keyring', () => new HookedKeyring(path.join(dir, 'keyring-index.json'), service), privateKeyring],
];

const key: CredentialKey = { protocol: 'https', host: 'bb.example.com', username: 'alice' };
const entry = (storedAt: number): StoredEntry => ({ ...key, hasPassword: true, hasCredential: false, storedAt });

/** A promise and the function that settles it. */
function signal(): [Promise<void>, () => void] {
  let go!: () => void;
  const p = new Promise<void>((r) => (go = r));
  return [p, go];
}

describe.each(backends)('a put and an erase of one key at once: %s', (_name, make, enabled) => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-races-'));
    place = new Map();
  });
  afterEach(async () => {
    await make().erase(key); // the keyring item, if a test left one
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(enabled)('an erase that read the old entry leaves the secret a store puts meanwhile', async () => {
    const [eraser, putter] = [make(), make()];
    await eraser.put(entry(1), { password: 'old-token' });
    const [seen, atSeen] = signal();
    const [resume, go] = signal();
    eraser.hook = (p) => {
      if (p !== 'erase:seen') return;
      atSeen();
      return resume;
    };
    // the erase goes on once the store waits for it, or (were the two not kept apart) has put its secret
    putter.hook = (p) => void (p === 'put:waiting' || p === 'put:stored' ? go() : undefined);
    const erasing = eraser.erase(key);
    await seen;
    const putting = putter.put(entry(2), { password: 'new-token' });
    expect(await erasing).toBe(true);
    await putting;
    const after = make();
    expect((await after.list()).map((e) => e.storedAt)).toEqual([2]);
    expect(await after.read(key)).toEqual({ password: 'new-token' });
  });

  it.runIf(enabled)('a store that put its secret is not undone half-way by an erase', async () => {
    const [putter, eraser] = [make(), make()];
    await putter.put(entry(1), { password: 'old-token' });
    const [stored, atStored] = signal();
    const [resume, go] = signal();
    putter.hook = (p) => {
      if (p !== 'put:stored') return;
      atStored();
      return resume;
    };
    eraser.hook = (p) => void (p === 'erase:waiting' ? go() : undefined);
    const putting = putter.put(entry(2), { password: 'new-token' });
    await stored;
    const erasing = eraser.erase(key);
    void erasing.finally(go);
    await putting;
    expect(await erasing).toBe(true);
    // the erase came second: nothing listed, and no secret left that nothing lists
    const after = make();
    expect(await after.list()).toEqual([]);
    expect(after.raw(key)).toBeUndefined();
  });

  it.runIf(enabled)('leaves no lock file behind, and an erase of an absent key makes none', async () => {
    const s = make();
    expect(await s.erase(key)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
    await s.put(entry(1), { password: 't' });
    expect(await s.erase(key)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
});
