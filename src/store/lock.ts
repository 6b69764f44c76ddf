/**
 * A cross-process lock file beside the store, so that parallel git processes running
 * `store`/`erase` at once never lose an entry.
 *
 * The lock is a file created with O_EXCL holding `pid timestamp nonce`. A lock whose process is
 * gone is taken over at once (a crashed writer must not block anyone); one whose process lives
 * only once it is older than `staleMs` (10 minutes: a writer may wait on a keyring unlock
 * prompt). Releasing removes the file only while it still holds our nonce, so a lock that was
 * taken over is never deleted from under its new holder.
 */
import fs from 'node:fs';
import { StoreError } from './types.js';

export interface LockOptions {
  /** How long to wait for another writer, in milliseconds. */
  timeoutMs?: number;
  /** A lock held by a live process older than this is considered abandoned. */
  staleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn` while holding `lockPath`; always releases it. */
export async function withLock<T>(lockPath: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const staleMs = opts.staleMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  let mine: string | undefined;
  for (;;) {
    mine = tryAcquire(lockPath);
    if (mine !== undefined) break;
    const stale = staleSnapshot(lockPath, staleMs);
    if (stale !== undefined) {
      breakStaleLock(lockPath, stale);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new StoreError(
        `could not lock ${lockPath} within ${timeoutMs} ms: ${describeHolder(lockPath)}; remove the file if no other git-credential-bitbucket is running`,
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
  const content = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}\n`;
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

function readHolder(lockPath: string): { pid: number; at: number } | undefined {
  try {
    const [pid, at] = fs.readFileSync(lockPath, 'utf8').trim().split(' ').slice(0, 2).map(Number);
    if (pid === undefined || at === undefined || !Number.isInteger(pid) || !Number.isFinite(at)) return undefined;
    return { pid, at };
  } catch {
    return undefined;
  }
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
  if (holder) return !processAlive(holder.pid) || Date.now() - holder.at > staleMs ? content : undefined;
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
  return holder ? `held by process ${holder.pid}` : 'held by another process';
}
