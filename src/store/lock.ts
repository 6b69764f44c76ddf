/**
 * A cross-process lock file beside the store, so that parallel git processes running
 * `store`/`erase` at once never lose an entry.
 *
 * The lock is a file created with O_EXCL holding `pid timestamp nonce host`. A lock whose
 * process is gone (on this host) is taken over at once (a crashed writer must not block anyone);
 * one whose process lives, or runs on another host sharing the directory, only once it is older
 * than `staleMs`. Releasing removes the file only while it still holds our nonce, so a lock that
 * was taken over is never deleted from under its new holder.
 *
 * Holders keep the lock for milliseconds: nothing slow happens under it (no module import, no
 * keyring round trip; see src/store/indexed.ts). The wait is still sized for a loaded machine,
 * where fifty writers at once each get the CPU only now and then.
 */
import fs from 'node:fs';
import { lockTimeoutMs, PROGRAM } from '../settings.js';
import { StoreError } from './types.js';
import { assertPrivate } from '../private-dir.js';

/** A lock older than this is abandoned even if its process seems alive. */
export const LOCK_STALE_MS = 600_000;

export interface LockOptions {
  /** How long to wait for another writer, in milliseconds (default: `lockTimeoutMs` in src/settings.ts). */
  timeoutMs?: number;
  /** A lock held by a live process older than this is considered abandoned. */
  staleMs?: number;
  /** Called once, when the lock is found held by someone else (and waited for). */
  onBusy?: () => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding `lockPath`; always releases it. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? lockTimeoutMs();
  const staleMs = opts.staleMs ?? LOCK_STALE_MS;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  let mine: string | undefined;
  let busy = false;
  for (;;) {
    mine = tryAcquire(lockPath);
    if (mine !== undefined) break;
    checkLockFile(lockPath);
    if (!busy) {
      busy = true;
      opts.onBusy?.();
    }
    const stale = staleSnapshot(lockPath, staleMs);
    if (stale !== undefined) {
      breakStaleLock(lockPath, stale);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StoreError(
        `could not lock ${lockPath} within ${timeoutMs} ms: ${describeHolder(lockPath)}; remove the file if no other ${PROGRAM} is running`,
      );
    }
    await sleep(delay + Math.floor(Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
  try {
    return await fn();
  } finally {
    release(lockPath, mine);
  }
}

function release(lockPath: string, mine: string): void {
  try {
    if (fs.readFileSync(lockPath, 'utf8') === mine) fs.unlinkSync(lockPath);
  } catch {
    // already gone: nothing to release
  }
}

/** Creates the lock; its content (with a random nonce) when we got it, undefined when taken. */
function tryAcquire(lockPath: string): string | undefined {
  const content = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)} ${hostName()}\n`;
  try {
    const fd = fs.openSync(lockPath, 'wx', 0o600);
    try {
      fs.writeSync(fd, content);
    } finally {
      fs.closeSync(fd);
    }
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new StoreError(`cannot create lock file ${lockPath}: ${(err as Error).message}`);
  }
}

/**
 * A lock file that is there must be one this user made (src/private-dir.ts): a link or a file
 * of another user is refused, never read, waited for or removed.
 */
function checkLockFile(lockPath: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(lockPath);
  } catch {
    return; // gone meanwhile: tried again at once
  }
  assertPrivate(lockPath, st, false, 'lock file');
}

/** This machine's name, as written in lock files (spaces cannot occur in it there); node:os only when a lock is taken. */
function hostName(): string {
  return process.getBuiltinModule('node:os').hostname().replace(/\s/g, '') || 'unknown';
}

/** Who holds the lock: pid, when it was taken, and the host (absent in older lock files). */
function readHolder(lockPath: string): { pid: number; at: number; host?: string } | undefined {
  try {
    const fields = fs.readFileSync(lockPath, 'utf8').trim().split(' ');
    const [pid, at] = fields.slice(0, 2).map(Number);
    if (pid === undefined || at === undefined || !Number.isInteger(pid) || !Number.isFinite(at)) return undefined;
    return { pid, at, ...(fields[3] ? { host: fields[3] } : {}) };
  } catch {
    return undefined;
  }
}

function onThisHost(holder: { host?: string }): boolean {
  return holder.host === undefined || holder.host === hostName();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's content when the lock is abandoned, else undefined. */
function staleSnapshot(lockPath: string, staleMs: number): string | undefined {
  let content: string;
  let mtimeMs: number;
  try {
    content = fs.readFileSync(lockPath, 'utf8');
    mtimeMs = fs.statSync(lockPath).mtimeMs;
  } catch {
    return undefined; // vanished: retry at once
  }
  const holder = readHolder(lockPath);
  if (holder)
    return (onThisHost(holder) && !processAlive(holder.pid)) || Date.now() - holder.at > staleMs ? content : undefined;
  // Unreadable or half-written: judge by age, so a writer between open and write is not robbed.
  return Date.now() - mtimeMs > Math.min(staleMs, 2_000) ? content : undefined;
}

/**
 * Removes a stale lock, but only the one we judged stale: it is renamed aside atomically and,
 * if what was moved turns out to be a fresh lock another process took meanwhile, put back.
 */
function breakStaleLock(lockPath: string, staleContent: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch {
    return; // another process broke it first
  }
  try {
    if (fs.readFileSync(aside, 'utf8') !== staleContent) fs.linkSync(aside, lockPath);
  } catch {
    // the lock path was taken again meanwhile: the fresh holder keeps it
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function describeHolder(lockPath: string): string {
  const holder = readHolder(lockPath);
  if (!holder) return 'held by another process';
  const where = holder.host && !onThisHost(holder) ? ` on host ${holder.host}` : '';
  const since = Math.max(0, Math.round((Date.now() - holder.at) / 1000));
  return `held by process ${holder.pid}${where} since ${since} s ago`;
}
