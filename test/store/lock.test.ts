import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../../src/store/lock.js';

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
});
