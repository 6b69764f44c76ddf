import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexedStore } from '../../src/store/indexed.js';
import { withLock } from '../../src/store/lock.js';
import { LOCK_TIMEOUT_MS, lockTimeoutMs } from '../../src/settings.js';
import type { DiskEntry } from '../../src/store/storefile.js';
import type { Secrets, StoredEntry } from '../../src/store/types.js';

let dir = '';
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('withLock', () => {
  it('serialises callers and releases the lock', async () => {
    const lock = path.join(dir, 'x.lock');
    const order: string[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        withLock(lock, async () => {
          order.push(`in${i}`);
          await new Promise((r) => setTimeout(r, 20));
          order.push(`out${i}`);
        }),
      ),
    );
    for (let i = 0; i < order.length; i += 2) expect(order[i]!.replace('in', 'out')).toBe(order[i + 1]);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('takes over a lock left by a crashed process', async () => {
    const lock = path.join(dir, 'x.lock');
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()}\n`);
    expect(await withLock(lock, () => 'ran', { timeoutMs: 2000 })).toBe('ran');
  });

  it('takes over a lock older than the stale limit even if its pid is alive', async () => {
    const lock = path.join(dir, 'x.lock');
    fs.writeFileSync(lock, `${process.pid} ${Date.now() - 60_000}\n`);
    expect(await withLock(lock, () => 'ran', { timeoutMs: 2000, staleMs: 30_000 })).toBe('ran');
  });

  it('gives up with a message naming the lock and its holder when a live writer keeps it', async () => {
    const lock = path.join(dir, 'x.lock');
    fs.writeFileSync(lock, `${process.pid} ${Date.now()}\n`);
    await expect(withLock(lock, () => 'ran', { timeoutMs: 200 })).rejects.toThrow(
      new RegExp(`${lock}.*held by process ${process.pid}`),
    );
  });

  it('releases the lock when the work throws', async () => {
    const lock = path.join(dir, 'x.lock');
    await expect(
      withLock(lock, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('writes pid, time and host, and names them when it gives up', async () => {
    const lock = path.join(dir, 'x.lock');
    let content = '';
    await withLock(lock, () => {
      content = fs.readFileSync(lock, 'utf8');
    });
    const [pid, at, nonce, host] = content.trim().split(' ');
    expect(Number(pid)).toBe(process.pid);
    expect(Math.abs(Number(at) - Date.now())).toBeLessThan(LOCK_TIMEOUT_MS);
    expect(nonce).toMatch(/^[a-z0-9]+$/);
    expect(host).toBe(os.hostname().replace(/\s/g, ''));
  });

  it('does not take over a lock of another host by its pid, and says which host holds it', async () => {
    const lock = path.join(dir, 'x.lock');
    fs.writeFileSync(lock, `${deadPid()} ${Date.now()} abc other-host.invalid\n`);
    await expect(withLock(lock, () => 'ran', { timeoutMs: 200 })).rejects.toThrow(
      /held by process \d+ on host other-host\.invalid since \d+ s ago/,
    );
    fs.writeFileSync(lock, `${deadPid()} ${Date.now() - 60_000} abc other-host.invalid\n`);
    expect(await withLock(lock, () => 'ran', { timeoutMs: 2000, staleMs: 30_000 })).toBe('ran');
  });

  it('waits, by default, long enough for a loaded machine; the wait can be set', () => {
    expect(LOCK_TIMEOUT_MS).toBeGreaterThanOrEqual(30_000);
    expect(lockTimeoutMs({})).toBe(LOCK_TIMEOUT_MS);
    expect(lockTimeoutMs({ GIT_CREDENTIAL_BITBUCKET_LOCK_TIMEOUT: '2500' })).toBe(2500);
    expect(lockTimeoutMs({ GIT_CREDENTIAL_BITBUCKET_LOCK_TIMEOUT: 'soon' })).toBe(LOCK_TIMEOUT_MS);
  });
});

/** A store whose "secret place" records whether the index lock was held while it was used. */
class ProbeStore extends IndexedStore {
  readonly kind = 'keyring' as const;
  readonly location = 'probe';
  readonly underLock: string[] = [];
  private readonly secrets = new Map<string, Secrets>();
  private note(op: string): void {
    if (fs.existsSync(`${this.file}.lock`)) this.underLock.push(op);
  }
  protected readSecrets(e: DiskEntry): Secrets | undefined {
    return this.secrets.get(e.host);
  }
  protected storeSecrets(e: StoredEntry, s: Secrets): DiskEntry {
    this.note('store');
    this.secrets.set(e.host, s);
    return { ...e };
  }
  protected dropSecrets(e: DiskEntry): void {
    this.note('drop');
    this.secrets.delete(e.host);
  }
}

describe('store writes', () => {
  it('put and drop secrets without holding the lock, and leave no lock behind', async () => {
    const store = new ProbeStore(path.join(dir, 'index.json'));
    const entry = (host: string): StoredEntry => ({
      protocol: 'https',
      host,
      username: 'u',
      hasPassword: true,
      hasCredential: false,
      storedAt: Date.now(),
    });
    await Promise.all(['a', 'b', 'c', 'd'].map((h) => store.put(entry(h), { password: `p-${h}` })));
    expect((await store.list()).map((e) => e.host).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(await store.erase({ protocol: 'https', host: 'b', username: 'u' })).toBe(true);
    expect(await store.erase({ protocol: 'https', host: 'zz', username: 'u' })).toBe(false);
    expect((await store.list()).map((e) => e.host).sort()).toEqual(['a', 'c', 'd']);
    expect(await store.read({ protocol: 'https', host: 'b', username: 'u' })).toBeUndefined();
    expect(store.underLock).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'index.json.lock'))).toBe(false);
  });
});
