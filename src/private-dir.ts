/**
 * The one rule for the directories the product writes into (data, state, cache): created 0700,
 * tightened when they exist with group or other permissions, never widened for the owner.
 */
import fs from 'node:fs';

/**
 * Creates `dir` with mode 0700, and tightens it when it exists with group or other
 * permissions. It never widens the owner's: a directory made read-only (0500) stays so.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') {
    const mode = fs.statSync(dir).mode & 0o777;
    if (mode & 0o077) fs.chmodSync(dir, mode & 0o700);
  }
}
