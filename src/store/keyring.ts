/**
 * The OS keyring backend (Secret Service on Linux, Keychain on macOS, Credential Manager on
 * Windows) through @napi-rs/keyring. Secrets live in the keyring, one item per entry under
 * the service `git-credential-bitbucket`; the non-secret metadata lives in an index file
 * beside the file store, so that listing and matching never unlock anything.
 */
import fs from 'node:fs';
import { PROGRAM } from '../settings.js';
import { pingSecretService } from './bus-ping.js';
import { IndexedStore } from './indexed.js';
import type { DiskEntry } from './storefile.js';
import { keyLabel, StoreError, type Secrets, type StoredEntry } from './types.js';

export const KEYRING_SERVICE = PROGRAM;

interface KeyringEntry {
  getPassword(): string | null;
  setPassword(password: string): void;
  deletePassword(): unknown;
}
interface KeyringModule {
  Entry: new (service: string, account: string) => KeyringEntry;
}

let binding: KeyringModule | undefined;

/** Loads the native binding on first use only: `get` on the file backend never pays for it. */
function keyring(): KeyringModule {
  if (!binding) {
    try {
      // node:module only now: loading it loads Node's ES module loader too, a cost to every `get`
      binding = process.getBuiltinModule('node:module').createRequire(import.meta.url)(
        '@napi-rs/keyring',
      ) as KeyringModule;
    } catch (err) {
      throw new StoreError(`the OS keyring binding could not be loaded: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return binding;
}

function entryFor(service: string, account: string): KeyringEntry {
  return new (keyring().Entry)(service, account);
}

function describe(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}

type Probe = { ok: true } | { ok: false; reason: string; silent?: true };

/** How long the Secret Service has to answer the ping before a keyring call (see bus-ping.ts). */
export const KEYRING_ANSWER_MS = 5000;

/** The one ping per process and bus address: every keyring call after it is safe from a silent bus. */
const pinged = new Map<string, Promise<Probe>>();

/** On Linux, why there is no session bus to ask; undefined when there may be one (or elsewhere). */
function busProblem(): Probe | undefined {
  if (process.platform !== 'linux') return undefined;
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (!address)
    return { ok: false, reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service' };
  // A stale address (an old SSH or tmux session) makes lookups answer "no such item" rather
  // than fail, so a lookup would call such a keyring usable; writes then fail.
  const dead = deadBusSocket(address);
  if (dead)
    return {
      ok: false,
      reason: `the D-Bus session bus socket ${dead} does not exist (stale DBUS_SESSION_BUS_ADDRESS), so no Secret Service`,
    };
  return undefined;
}

/**
 * Whether a keyring call can be made without blocking for good: on Linux, a session bus whose
 * Secret Service answers a ping within KEYRING_ANSWER_MS (asked once per process).
 */
function reachKeyring(): Promise<Probe> {
  const problem = busProblem();
  const address = process.env.DBUS_SESSION_BUS_ADDRESS;
  if (problem || process.platform !== 'linux' || !address) return Promise.resolve(problem ?? { ok: true });
  let asked = pinged.get(address);
  if (!asked) {
    asked = pingSecretService(address, KEYRING_ANSWER_MS).then((heard): Probe =>
      heard === 'silent'
        ? { ok: false, reason: `the OS keyring did not answer within ${KEYRING_ANSWER_MS} ms`, silent: true }
        : { ok: true },
    );
    pinged.set(address, asked);
  }
  return asked;
}

/** Whether the keyring answers at all: one lookup of an item that does not exist. */
export async function probeKeyring(service = KEYRING_SERVICE): Promise<Probe> {
  const reach = await reachKeyring();
  return reach.ok ? lookup(service) : reach;
}

/**
 * Whether an item can really be written: a locked keyring (no display to unlock it) and an
 * empty one (no login collection) still answer lookups, with nothing. Writes and removes an
 * item; what `auto` and doctor decide by.
 */
export async function probeWritable(service = KEYRING_SERVICE): Promise<Probe> {
  const reach = await reachKeyring();
  return reach.ok ? writableNow(service) : reach;
}

function lookup(service: string): Probe {
  try {
    entryFor(service, '__probe__').getPassword();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describe(err) };
  }
}

/** probeWritable once the keyring was reached (reachKeyring). */
function writableNow(service: string): Probe {
  const looked = busProblem() ?? lookup(service);
  if (!looked.ok) return looked;
  try {
    const probe = entryFor(service, '__probe__');
    probe.setPassword('probe');
    probe.deletePassword();
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: describe(err) };
  }
}

/**
 * The socket path when every address in a D-Bus address list is a `unix:path=` socket that does
 * not exist; undefined when some address may work (or is of a kind we cannot check cheaply).
 */
function deadBusSocket(address: string): string | undefined {
  const paths: string[] = [];
  for (const one of address.split(';').filter((a) => a !== '')) {
    if (!one.startsWith('unix:')) return undefined;
    const p = one
      .slice(5)
      .split(',')
      .find((kv) => kv.startsWith('path='))
      ?.slice(5);
    if (p === undefined) return undefined;
    let decoded = p;
    try {
      decoded = decodeURIComponent(p);
    } catch {
      // D-Bus escapes like URIs; keep the raw text if it is not such an escape
    }
    paths.push(decoded);
  }
  if (paths.length === 0 || paths.some((p) => fs.existsSync(p))) return undefined;
  return paths[0];
}

export class KeyringStore extends IndexedStore {
  readonly kind = 'keyring' as const;

  constructor(
    indexFile: string,
    private readonly service = KEYRING_SERVICE,
  ) {
    super(indexFile);
  }

  get location(): string {
    return `OS keyring (service "${this.service}"), index ${this.file}`;
  }

  async whyNotErasable(): Promise<string | undefined> {
    const usable = await probeWritable(this.service);
    return usable.ok ? undefined : usable.reason;
  }

  /** Before any keyring call: a silent bus ends in one line here rather than hang the process. */
  protected override async reachSecrets(): Promise<void> {
    const reach = await reachKeyring();
    if (!reach.ok && reach.silent) throw new StoreError(reach.reason);
  }

  protected readSecrets(entry: DiskEntry): Secrets | undefined {
    let raw: string | null;
    try {
      raw = entryFor(this.service, keyLabel(entry)).getPassword();
    } catch (err) {
      throw new StoreError(`cannot read from the OS keyring: ${describe(err)}`);
    }
    if (raw === null) return undefined;
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (typeof parsed === 'object' && parsed !== null) return parsed as Secrets;
    } catch {
      // fall through
    }
    throw new StoreError(
      `the OS keyring item "${keyLabel(entry)}" is not in our format; remove it with your keyring manager`,
    );
  }

  protected storeSecrets(entry: StoredEntry, secrets: Secrets): DiskEntry {
    try {
      entryFor(this.service, keyLabel(entry)).setPassword(JSON.stringify(secrets));
    } catch (err) {
      throw new StoreError(`cannot write to the OS keyring: ${describe(err)}`);
    }
    return { ...entry };
  }

  protected dropSecrets(entry: DiskEntry): void {
    const label = keyLabel(entry);
    let deleted: unknown;
    try {
      deleted = entryFor(this.service, label).deletePassword();
    } catch (err) {
      throw new StoreError(`cannot remove "${label}" from the OS keyring: ${describe(err)}; the entry was kept`);
    }
    if (deleted !== false) return;
    // "No such item" is also what a locked or unreachable keyring answers: removing the entry
    // from the index then would leave the token in the keyring with nothing pointing at it.
    const usable = writableNow(this.service);
    if (!usable.ok) {
      throw new StoreError(
        `cannot remove "${label}" from the OS keyring (${usable.reason}); the entry was kept: unlock the keyring and try again`,
      );
    }
  }
}
