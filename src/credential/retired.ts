/**
 * Tokens that `login`, `rotate` or `logout` took out of the store for a host, so that git's
 * `store` cannot put them back.
 *
 * With `setup --cache`, git's credential-cache answers before this helper. After a login, rotate
 * or logout the cache may still hold the token that was replaced or removed (the commands erase
 * it there, see src/commands/shared/cache.ts, but a daemon on another socket, or another git's,
 * is out of their reach). git then authenticates with it and, on success, sends `store` of that
 * old token to every helper (gitcredentials(7)): without this record the old token would
 * overwrite the new one, and a removed one would come back.
 *
 * The `retired` file in the data directory (0600) holds a random salt and SHA-256 digests of
 * `salt\nprotocol\nhost\nsecret`, never a secret, newest first and at most MAX_DIGESTS of them.
 * Only hosts with a `setup --cache` are recorded: without a cache in front nothing can hand git
 * an old token, and a token typed at a prompt must always be stored. A digest is dropped when
 * `login` stores that token again. A retired token typed at a prompt later is refused like a
 * cached one (`store` cannot tell them apart); `login` with it stores it again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialRequest } from './protocol.js';
import { sha256Hex } from '../prepush/sha256.js';
import { isLowerHex } from '../prepush/chars.js';
import { ensurePrivateDir } from '../private-dir.js';
import { withLock } from '../store/lock.js';

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
export async function updateRetired(
  dir: string,
  where: TokenHost,
  change: { retire?: readonly string[]; restore?: readonly string[] },
): Promise<void> {
  const retire = (change.retire ?? []).filter(Boolean);
  const restore = (change.restore ?? []).filter(Boolean);
  if (retire.length === 0 && (restore.length === 0 || !fs.existsSync(retiredPath(dir)))) return;
  ensurePrivateDir(dir, 'data directory');
  const file = retiredPath(dir);
  await withLock(`${file}.lock`, () => {
    const before = readRecord(dir);
    const salt = before?.salt ?? newSalt();
    const old = before?.digests ?? [];
    const drop = new Set(restore.map((s) => retiredDigest(salt, where, s)));
    const added = retire.map((s) => retiredDigest(salt, where, s)).filter((d) => !drop.has(d));
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
  });
}

function newSalt(): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  return randomBytes(16).toString('hex');
}
