// `get` with many stored accounts reads and parses the store file once (src/store/indexed.ts):
// it lists the entries and then reads the secrets of one, from the same parse, until the file
// changes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { onUnreadableEntries, readStoreFile, writeStoreFile, type DiskEntry } from '../../src/store/storefile.js';
import { getCredential } from '../../src/credential/helper.js';
import { parseCredential } from '../../src/credential/protocol.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function request(text: string) {
  const r = parseCredential(text);
  if (!r.ok) throw new Error(r.error);
  return r.request;
}

describe('the file store with 10,000 accounts', () => {
  it('get parses the file once; a change to the file is seen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-parse-once-'));
    dirs.push(dir);
    const file = path.join(dir, 'credentials.json');
    const entries: DiskEntry[] = Array.from({ length: 10_000 }, (_, i) => ({
      protocol: 'https',
      host: `h${i % 100}.invalid`,
      username: `user${i}`,
      hasPassword: true,
      hasCredential: false,
      storedAt: i,
      secrets: { password: `secret-${i}` },
    }));
    await writeStoreFile(file, { version: 1, entries });
    const store = new FileStore(file);
    const opens = vi.spyOn(fs, 'openSync');
    const parsesOf = () => opens.mock.calls.filter(([f]) => f === file).length;

    const answer = await getCredential(request('protocol=https\nhost=h7.invalid\nusername=user9907\n'), [store], 0);
    expect(answer).toContainEqual(['password', 'secret-9907']);
    expect(parsesOf()).toBe(1);
    await store.list();
    expect(parsesOf()).toBe(1);

    await store.put(
      {
        protocol: 'https',
        host: 'h7.invalid',
        username: 'user9907',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
      },
      { password: 'changed' },
    );
    const again = await getCredential(request('protocol=https\nhost=h7.invalid\nusername=user9907\n'), [store], 0);
    expect(again).toContainEqual(['password', 'changed']);
    // written by another process: seen too
    entries[9907]!.secrets = { password: 'from elsewhere' };
    await writeStoreFile(file, { version: 1, entries });
    const third = await getCredential(request('protocol=https\nhost=h7.invalid\nusername=user9907\n'), [store], 0);
    expect(third).toContainEqual(['password', 'from elsewhere']);
  }, 60_000);
});

describe('the store file check for line breaks', () => {
  it.each([
    ['\\n', '{"protocol":"https","host":"h.invalid","username":"a\\nb"'],
    ['\\u000d', '{"protocol":"https","host":"h.invalid","username":"a\\u000db"'],
    ['\\u0000', '{"protocol":"https","host":"h\\u0000.invalid","username":"a"'],
  ])('skips an entry with %s in a field however it is escaped', (_what, start) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-parse-once-'));
    dirs.push(dir);
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(
      file,
      `{"version":1,"entries":[${start},"hasPassword":true,"hasCredential":false,"storedAt":1,"secrets":{"password":"p"}}]}`,
    );
    const lines: string[] = [];
    const previous = onUnreadableEntries((l) => lines.push(l));
    try {
      const data = readStoreFile(file);
      expect(data.entries).toEqual([]);
      expect(data.unreadable).toHaveLength(1);
      expect(lines).toEqual([expect.stringMatching(/entry 1 \(https:\/\/.*\): a field contains a line break or NUL/)]);
    } finally {
      onUnreadableEntries(previous);
    }
  });
});
