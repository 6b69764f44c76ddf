/**
 * Tokens that `login`, `rotate` or `logout` took out of the store for a host, so that git's
 * `store` cannot put them back.
 *
 * git remembers the credential `get` gave it and, after its first successful request, sends
 * `store` of it to every helper (gitcredentials(7)). A git already running when one of these
 * commands replaces or removes the token (a fetch waiting for the server) sends that old token
 * afterwards; so does git's credential-cache after `setup --cache`, when a daemon out of the
 * commands' reach still holds it (src/commands/shared/cache.ts). Without this record the old
 * token would overwrite the new one (after rotate: a revoked one, which git's next 401 then
 * erases, leaving nothing stored), and a removed one would come back.
 *
 * The `retired` file in the data directory (0600) holds a random salt and SHA-256 digests of
 * `salt\nprotocol\nhost\nsecret`, never a secret, newest first and at most MAX_DIGESTS of them.
 * Every login, rotate and logout records the tokens it replaces or removes. A digest is dropped
 * when `login` stores that token again. A retired token typed at a prompt later is refused like
 * one from a running git (`store` cannot tell them apart); `login` with it stores it again.
 *
 * The commands replace and remove tokens under this file's lock (withRetiredLock), so that the
 * record is written before the store and `rotate` can compare the stored token with the one it
 * read, with no other login, rotate or logout in between. The lock is held for the writes only
 * (the keyring's included), never across a request to a server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialRequest } from './protocol.js';
import { sha256Hex } from '../prepush/sha256.js';
import { isLowerHex } from '../prepush/chars.js';
import { ensurePrivateDir } from '../private-dir.js';
import { withLock, type LockOptions } from '../store/lock.js';

export const RETIRED_FILE = 'retired';
const HEADER = 'v1 ';
/** Several rotations of several accounts; older digests fall off. */
export const MAX_DIGESTS = 64;

/** Where a token was used: the host part of a credential key. */
export interface TokenHost {
  protocol: string;
  host: string;
}

export function retiredPath(dir: string): string {
  return path.join(dir, RETIRED_FILE);
}

/** Pure: the digest of one secret for one host (host names compare without case, as git's URLs). */
export function retiredDigest(salt: string, where: TokenHost, secret: string): string {
  return sha256Hex(`${salt}\n${where.protocol}\n${where.host.toLowerCase()}\n${secret}`);
}

interface RetiredRecord {
  salt: string;
  digests: string[];
}

function readRecord(dir: string): RetiredRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(retiredPath(dir), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter(Boolean);
  const salt = lines[0]?.startsWith(HEADER) ? lines[0].slice(HEADER.length) : '';
  if (!isLowerHex(salt, 32)) return undefined;
  return { salt, digests: lines.slice(1).filter((d) => isLowerHex(d, 64)) };
}

/** Whether `store` of this request would put back a retired token (its password or credential). */
export function isRetired(dir: string, req: CredentialRequest): boolean {
  if (req.protocol === undefined || req.host === undefined) return false;
  const secrets = [req.password, req.credential].filter((s): s is string => s !== undefined && s !== '');
  if (secrets.length === 0) return false;
  const record = readRecord(dir);
  if (!record || record.digests.length === 0) return false;
  const where = { protocol: req.protocol, host: req.host };
  return secrets.some((s) => record.digests.includes(retiredDigest(record.salt, where, s)));
}

/**
 * Updates the record under its lock: `retire` adds these secrets' digests, `restore` drops
 * theirs. Writes only on a change (atomic replace, mode 0600).
 */
export async function updateRetired(dir: string, where: TokenHost, change: RetiredChange): Promise<void> {
  if (!changesSomething(dir, change)) return;
  await withRetiredLock(dir, (edit) => edit(where, change));
}

/** What one update of the record does: secrets to add, secrets to drop. */
export interface RetiredChange {
  retire?: readonly string[];
  restore?: readonly string[];
}

/**
 * Runs `fn` holding the record's lock; `fn` changes the record through `edit` (as updateRetired,
 * without taking the lock again). The commands that replace or remove tokens do their store
 * writes inside, so that they never interleave (see the file's comment); git's `store` checks
 * the record and writes inside too, so that it cannot read the record just before a command
 * retires the token and write it just after (src/credential/run.ts).
 */
export async function withRetiredLock<T>(
  dir: string,
  fn: (edit: (where: TokenHost, change: RetiredChange) => void) => Promise<T> | T,
  opts: LockOptions = {},
): Promise<T> {
  ensurePrivateDir(dir, 'data directory');
  return withLock(`${retiredPath(dir)}.lock`, () => fn((where, change) => writeChange(dir, where, change)), opts);
}

function changesSomething(dir: string, change: RetiredChange): boolean {
  const retire = (change.retire ?? []).filter(Boolean);
  const restore = (change.restore ?? []).filter(Boolean);
  return retire.length > 0 || (restore.length > 0 && fs.existsSync(retiredPath(dir)));
}

/** The read-modify-write of the record; the caller holds the lock. */
function writeChange(dir: string, where: TokenHost, change: RetiredChange): void {
  if (!changesSomething(dir, change)) return;
  const file = retiredPath(dir);
  const before = readRecord(dir);
  const salt = before?.salt ?? newSalt();
  const old = before?.digests ?? [];
  const drop = new Set((change.restore ?? []).filter(Boolean).map((s) => retiredDigest(salt, where, s)));
  const added = (change.retire ?? [])
    .filter(Boolean)
    .map((s) => retiredDigest(salt, where, s))
    .filter((d) => !drop.has(d));
  const kept = old.filter((d) => !drop.has(d) && !added.includes(d));
  const digests = [...new Set(added), ...kept].slice(0, MAX_DIGESTS);
  if (before && digests.join('\n') === old.join('\n')) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, [`${HEADER}${salt}`, ...digests, ''].join('\n'), { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function newSalt(): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  return randomBytes(16).toString('hex');
}
