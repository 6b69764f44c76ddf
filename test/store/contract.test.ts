/**
 * One contract suite, run against every backend: memory, file, and the real OS keyring
 * (GNOME keyring on a private D-Bus session started by test/run.sh).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { onUnreadableEntries } from '../../src/store/storefile.js';
import { KeyringStore, probeKeyring, probeWritable } from '../../src/store/keyring.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { StoredEntry, TokenStore } from '../../src/store/types.js';

const privateKeyring = process.env.GCB_TEST_PRIVATE_KEYRING === '1';
if (process.env.CI && !privateKeyring) {
  throw new Error('CI must run the keyring contract tests: run the suite through test/run.sh');
}

let dir = '';
const service = `gcb-contract-${process.pid}-${Date.now()}`;

const backends: Array<[string, () => TokenStore, boolean]> = [
  ['memory', () => new MemoryStore(), true],
  ['file', () => new FileStore(path.join(dir, 'credentials.json')), true],
  ['keyring', () => new KeyringStore(path.join(dir, 'keyring-index.json'), service), privateKeyring],
];

function entry(over: Partial<StoredEntry> = {}): StoredEntry {
  return {
    protocol: 'https',
    host: 'bb.example.com',
    username: 'alice',
    hasPassword: true,
    hasCredential: false,
    storedAt: 1,
    ...over,
  };
}

describe.each(backends)('TokenStore contract: %s', (name, make, enabled) => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-store-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.runIf(enabled)('starts empty', async () => {
    const s = make();
    expect(await s.list()).toEqual([]);
    expect(await s.read(entry())).toBeUndefined();
  });

  it.runIf(enabled)('keeps an entry and its secrets apart: list never shows secrets', async () => {
    const s = make();
    await s.put(entry({ meta: { userSlug: 'alice', kind: 'personal' } }), {
      password: 'pw-1',
      oauthRefreshToken: 'rt-1',
    });
    const listed = await s.list();
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ host: 'bb.example.com', username: 'alice', meta: { userSlug: 'alice' } });
    expect(JSON.stringify(listed)).not.toContain('pw-1');
    expect(await s.read(entry())).toEqual({ password: 'pw-1', oauthRefreshToken: 'rt-1' });
  });

  it.runIf(enabled)('replaces an entry with the same key', async () => {
    const s = make();
    await s.put(entry(), { password: 'old' });
    await s.put(entry({ storedAt: 2 }), { password: 'new' });
    expect(await s.list()).toHaveLength(1);
    expect((await s.read(entry()))?.password).toBe('new');
  });

  it.runIf(enabled)('keeps users, paths, ports, protocols and the empty username apart', async () => {
    const s = make();
    const keys = [
      entry(),
      entry({ username: 'bob' }),
      entry({ username: '' }),
      entry({ username: undefined }),
      entry({ path: 'scm/p/r.git' }),
      entry({ host: 'bb.example.com:8443' }),
      entry({ protocol: 'http' }),
    ];
    for (const [i, k] of keys.entries()) await s.put(k, { password: `pw-${i}` });
    expect(await s.list()).toHaveLength(keys.length);
    for (const [i, k] of keys.entries()) expect((await s.read(k))?.password).toBe(`pw-${i}`);
  });

  it.runIf(enabled)('erases only the named entry', async () => {
    const s = make();
    await s.put(entry(), { password: 'a' });
    await s.put(entry({ username: 'bob' }), { password: 'b' });
    expect(await s.erase(entry())).toBe(true);
    expect(await s.erase(entry())).toBe(false);
    expect(await s.read(entry())).toBeUndefined();
    expect((await s.read(entry({ username: 'bob' })))?.password).toBe('b');
  });

  it.runIf(enabled)('updates metadata without touching secrets', async () => {
    const s = make();
    await s.put(entry(), { password: 'a' });
    await s.put(entry({ username: 'bob' }), { password: 'b' });
    await s.updateEntries((es) => es.map((e) => ({ ...e, isDefault: e.username === 'bob' })));
    const listed = await s.list();
    expect(listed.find((e) => e.username === 'bob')?.isDefault).toBe(true);
    expect(listed.find((e) => e.username === 'alice')?.isDefault).toBe(false);
    expect((await s.read(entry({ username: 'bob' })))?.password).toBe('b');
  });

  it.runIf(enabled && name !== 'memory')('persists across instances (another process would see it)', async () => {
    await make().put(entry(), { password: 'kept', credential: 'cred' });
    const again = make();
    expect(await again.list()).toHaveLength(1);
    expect(await again.read(entry())).toEqual({ password: 'kept', credential: 'cred' });
  });

  it.runIf(enabled && name !== 'memory')('serialises concurrent writers: no entry lost', async () => {
    const writers = Array.from({ length: 15 }, (_, i) =>
      make().put(entry({ username: `user${i}` }), { password: `pw${i}` }),
    );
    await Promise.all(writers);
    const listed = await make().list();
    expect(listed.map((e) => e.username).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `user${i}`).sort());
  });
});

describe('file backend specifics', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-store-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes mode 0600 in a 0700 directory, and tightens a wider directory', async () => {
    const d = path.join(dir, 'data');
    fs.mkdirSync(d, { mode: 0o755 });
    fs.chmodSync(d, 0o755);
    await new FileStore(path.join(d, 'credentials.json')).put(entry(), { password: 'x' });
    expect(fs.statSync(d).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(d, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(d)).toEqual(['credentials.json']); // no temp or lock file left behind
  });

  it.each([
    ['not JSON', '{"version":1,"entries":['],
    ['wrong shape', '{"version":1,"entries":{}}'],
    ['unknown version', '{"version":7,"entries":[]}'],
  ])('a corrupt file (%s) is named in the error and never overwritten', async (_why, content) => {
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(file, content, { mode: 0o600 });
    const s = new FileStore(file);
    await expect(s.list()).rejects.toThrow(file);
    await expect(s.put(entry(), { password: 'x' })).rejects.toThrow(/corrupt/);
    await expect(s.erase(entry())).rejects.toThrow(/corrupt/);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });

  it('an unreadable entry is skipped, named once, and written back byte for byte', async () => {
    const file = path.join(dir, 'credentials.json');
    const bad = '{ "protocol":"https" }';
    fs.writeFileSync(file, `{"version":1,"entries":[${bad}]}`, { mode: 0o600 });
    const lines: string[] = [];
    const previous = onUnreadableEntries((l) => lines.push(l));
    try {
      const s = new FileStore(file);
      expect(await s.list()).toEqual([]);
      await s.put(entry(), { password: 'x' });
      expect(await s.read(entry())).toEqual({ password: 'x' });
      expect(fs.readFileSync(file, 'utf8')).toContain(bad);
      expect(lines).toEqual([
        expect.stringMatching(/skipped 1 unreadable entry of .*entry 1: protocol or host missing/),
      ]);
    } finally {
      onUnreadableEntries(previous);
    }
  });
});

describe('keyring probe', () => {
  it('says why the keyring is unusable without a session bus', async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    delete process.env.DBUS_SESSION_BUS_ADDRESS;
    try {
      for (const p of [await probeKeyring(), await probeWritable()])
        if (process.platform === 'linux') expect(p).toEqual({ ok: false, reason: expect.stringMatching(/D-Bus/) });
    } finally {
      if (saved !== undefined) process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });

  it.runIf(privateKeyring)('answers, and can store, on the private test session', async () => {
    expect(await probeKeyring(service)).toEqual({ ok: true });
    expect(await probeWritable(service)).toEqual({ ok: true });
  });
});
