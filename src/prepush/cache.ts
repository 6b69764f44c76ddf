/**
 * A small cache of server facts per (token fingerprint, server, repository), so that a warm
 * push makes no network call. One JSON file per key, mode 0600, in a 0700 directory:
 * `prepush/` in the cache directory (`cacheDir` in src/settings.ts).
 * Files hold a fingerprint of the token (a truncated SHA-256), never the token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../settings.js';
import { ensurePrivateDir } from '../private-dir.js';
import type { ServerFacts } from './facts.js';
import { sha256Hex } from './sha256.js';

const VERSION = 1;

export interface CacheKey {
  /** `fingerprint(token)` (= `tokenFingerprint(token)`): never the token itself. */
  fingerprint: string;
  baseUrl: string;
  repo: string;
}

interface CacheFile {
  version: number;
  fingerprint: string;
  baseUrl: string;
  repo: string;
  storedAt: number;
  facts: ServerFacts;
}

/** Where the guard's cache files live. */
export function factsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'prepush');
}

/** The file name for a key: a hash of the whole key, so no name or URL appears on disk. */
export function cacheFileName(key: CacheKey): string {
  return sha256Hex(`${key.fingerprint}\n${key.baseUrl}\n${key.repo}`).slice(0, 32) + '.json';
}

/** Pure: whether an entry stored at `storedAt` is still usable at `now`. */
export function isFresh(storedAt: number, now: number, ttlSec: number): boolean {
  return ttlSec > 0 && storedAt <= now + 60_000 && now - storedAt < ttlSec * 1000;
}

/**
 * Pure: facts worth keeping. A refusal to write is looked up again, so a fix takes effect at once;
 * so is a repository that did not exist (it may be created next), and an answer the time budget or
 * page cap left incomplete.
 */
export function worthCaching(facts: ServerFacts): boolean {
  return facts.writable !== false && facts.repositoryMissing === undefined && !facts.unchecked?.length;
}

/** The cached facts for a key, or undefined (missing, stale, unreadable, or for another key). */
export function readCache(dir: string, key: CacheKey, now: number, ttlSec: number): ServerFacts | undefined {
  if (ttlSec <= 0) return undefined;
  let data: CacheFile;
  try {
    data = JSON.parse(fs.readFileSync(path.join(dir, cacheFileName(key)), 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }
  if (
    data?.version !== VERSION ||
    data.fingerprint !== key.fingerprint ||
    data.baseUrl !== key.baseUrl ||
    data.repo !== key.repo
  )
    return undefined;
  if (typeof data.storedAt !== 'number' || !isFresh(data.storedAt, now, ttlSec) || typeof data.facts !== 'object')
    return undefined;
  return data.facts;
}

/**
 * Stores facts (atomically: temp file + rename) and removes entries older than `ttlSec`.
 * Best effort: a cache that cannot be written only costs a network call next time.
 */
export function writeCache(dir: string, key: CacheKey, facts: ServerFacts, now: number, ttlSec: number): boolean {
  if (ttlSec <= 0 || !worthCaching(facts)) return false;
  try {
    ensurePrivateDir(dir);
    const file = path.join(dir, cacheFileName(key));
    const tmp = `${file}.${process.pid}.tmp`;
    const body: CacheFile = { version: VERSION, ...key, storedAt: now, facts };
    fs.writeFileSync(tmp, JSON.stringify(body), { mode: 0o600 });
    fs.renameSync(tmp, file);
    prune(dir, now, ttlSec, file);
    return true;
  } catch {
    return false;
  }
}

/** Removes a key's entry (e.g. when the server refused the token). */
export function dropCache(dir: string, key: CacheKey): void {
  fs.rmSync(path.join(dir, cacheFileName(key)), { force: true });
}

function prune(dir: string, now: number, ttlSec: number, keep: string): void {
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file === keep || !name.endsWith('.json')) continue;
    try {
      if (now - fs.statSync(file).mtimeMs > ttlSec * 1000) fs.rmSync(file, { force: true });
    } catch {
      // another process removed it
    }
  }
}
