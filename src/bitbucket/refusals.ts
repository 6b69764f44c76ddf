/**
 * Which secrets the server has refused as Basic. Every failed Basic attempt counts towards the
 * user's CAPTCHA lock (docs/bitbucket-server.md section 2), so the whole product spends at most
 * one failed Basic attempt per secret, ever: once refused, a secret is never sent as Basic again
 * by any command until the user changes it (a new token has a new fingerprint) or deletes the file.
 *
 * Only a verdict on the secret is remembered: a 401 authentication failure on the sign-in check
 * (`GET /rest/api/1.0/users`). A CAPTCHA answer is not one (the lock refuses correct secrets too,
 * until the user solves it), nor is a 401 on a later call (the create request, say), which may be
 * about permission or a lock that came meanwhile.
 *
 * The memory holds fingerprints only: scrypt of the secret under a random salt kept beside them,
 * so that a short password is not exposed to a dictionary the way a plain hash would be.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from '../private-dir.js';

/** Where refusals are remembered. */
export interface RefusalMemory {
  /** When the server refused `secret` as Basic (epoch ms), or undefined. */
  refusedAt(secret: string): number | undefined;
  /** Records a refusal; best effort (a memory that cannot be written is no reason to fail). */
  remember(secret: string, host: string, now: number): void;
  /** Where the memory is kept, for messages: deleting it forgets every refusal. */
  readonly where?: string;
}

interface RefusalFile {
  version: 1;
  salt: string;
  refused: Record<string, { host: string; at: number }>;
}

export const REFUSALS_FILE = 'refused-basic.json';
/** Oldest entries go first beyond this many. */
const MAX_ENTRIES = 500;

/** The memory in `dir` (the state directory), file `refused-basic.json`, 0600. */
export function fileRefusals(dir: string): RefusalMemory {
  const file = path.join(dir, REFUSALS_FILE);
  const prints = new Map<string, string>();
  const fingerprint = (secret: string, salt: string): string => {
    const key = `${salt}\0${secret}`;
    let fp = prints.get(key);
    if (fp === undefined) {
      fp = scryptSync(secret, Buffer.from(salt, 'hex'), 16).toString('hex');
      prints.set(key, fp);
    }
    return fp;
  };
  return {
    where: file,
    refusedAt(secret) {
      const data = read(file);
      return data ? data.refused[fingerprint(secret, data.salt)]?.at : undefined;
    },
    remember(secret, host, now) {
      const data = read(file) ?? { version: 1, salt: randomBytes(16).toString('hex'), refused: {} };
      data.refused[fingerprint(secret, data.salt)] = { host, at: now };
      const entries = Object.entries(data.refused).sort((a, b) => b[1].at - a[1].at);
      data.refused = Object.fromEntries(entries.slice(0, MAX_ENTRIES));
      try {
        write(file, data);
      } catch {
        // best effort, see the interface
      }
    },
  };
}

function read(file: string): RefusalFile | undefined {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RefusalFile>;
    if (data.version !== 1 || typeof data.salt !== 'string' || !/^[0-9a-f]{32}$/.test(data.salt)) return undefined;
    if (typeof data.refused !== 'object' || data.refused === null) return undefined;
    return data as RefusalFile;
  } catch {
    return undefined;
  }
}

function write(file: string, data: RefusalFile): void {
  ensurePrivateDir(path.dirname(file));
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data) + '\n', { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
