// `get` with many stored accounts reads and parses the store file once (src/store/indexed.ts):
// it lists the entries and then reads the secrets of one, from the same parse, until the file
// changes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import {
  entrySpans,
  onUnreadableEntries,
  readStoreFile,
  serialize,
  StoreFileView,
  writeStoreFile,
  type DiskEntry,
} from '../../src/store/storefile.js';
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

describe('get scans for the request host instead of parsing every entry', () => {
  const entry = (host: string, username: string, extra: Record<string, unknown> = {}) => ({
    protocol: 'https',
    host,
    username,
    hasPassword: true,
    hasCredential: false,
    storedAt: 1,
    secrets: { password: `p-${username}` },
    ...extra,
  });
  // tab-indented, as earlier versions wrote it (and conf would)
  const written = (entries: unknown[]) => JSON.stringify({ version: 1, entries }, undefined, '\t');
  // the layout our writer makes now: one entry per line
  const lines = (entries: unknown[], unreadable: string[] = []) =>
    serialize({
      version: 1,
      entries: entries as DiskEntry[],
      unreadable: unreadable.map((raw) => ({ raw, label: 'x', why: 'y' })),
    });

  function view(text: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-parse-once-'));
    dirs.push(dir);
    const file = path.join(dir, 'credentials.json');
    fs.writeFileSync(file, text, { mode: 0o600 });
    return { file, scan: new StoreFileView(file), whole: () => new StoreFileView(file).all() };
  }
  const on = { protocol: 'https', host: 'a.invalid' };
  const same = (e: { protocol: string; host: string }) => e.protocol === on.protocol && e.host === on.host;

  it.each([
    [
      'tab-indented, as earlier versions wrote it',
      written([entry('a.invalid', 'x'), entry('b.invalid', 'a.invalid'), entry('a.invalid', 'y')]),
    ],
    [
      'one entry per line, as our writer makes it',
      lines([entry('a.invalid', 'x'), entry('b.invalid', 'a.invalid'), entry('a.invalid', 'y')]),
    ],
    ['one entry per line, empty', lines([])],
    [
      'one entry per line, with an unreadable entry kept as it was',
      lines([entry('a.invalid', 'x')], ['{"protocol":"https","host":"a.invalid","hasPassword":"no"}']),
    ],
    [
      'one entry per line, an unreadable entry across lines (tab-indented instead)',
      lines([entry('a.invalid', 'x')], ['{"protocol":"https",\n"host":"a.invalid"}']),
    ],
    [
      'one entry per line, with an escape somewhere (whole parse)',
      lines([entry('a.invalid', 'x'), entry('a.invalid', 'z', { meta: { displayName: 'A "B"' } })]),
    ],
    [
      'one entry per line, nested lists and literals',
      lines([entry('a.invalid', 'x', { meta: { permissions: ['REPO_WRITE'], allowHttp: true } })]),
    ],
    [
      'compact, the host only as another field',
      JSON.stringify({ entries: [entry('b.invalid', 'a.invalid')], version: 1 }),
    ],
    ['with an escape somewhere (whole parse)', written([entry('a.invalid', 'x', { meta: { displayName: 'A "B"' } })])],
    [
      'a host written with an escape (whole parse)',
      written([entry('a.invalid', 'x')]).replace('"a.invalid"', '"\\u0061.invalid"'),
    ],
    [
      'nested lists and literals',
      written([entry('a.invalid', 'x', { meta: { permissions: ['REPO_WRITE'], allowHttp: true } })]),
    ],
  ])('%s: the same entries as the whole parse', (_name, text) => {
    const v = view(text);
    expect(v.scan.on(on)).toEqual(v.whole().filter(same));
  });

  it.each([
    ['truncated', written([entry('a.invalid', 'x')]).slice(0, -3)],
    ['two entries lists', '{"version":1,"entries":[],"entries":[]}'],
    ['an unknown version', '{"version":2,"entries":[]}'],
    ['unbalanced brackets', '{"version":1,"entries":[{"host":"a.invalid"]]}'],
    ['text after the object', '{"version":1,"entries":[]} x'],
  ])('%s: no scan (the whole parse says what is wrong)', (_name, text) => {
    expect(entrySpans(text)).toBeUndefined();
  });

  it('a corrupt file is refused by the scanning path as by the whole parse', () => {
    const v = view(written([entry('a.invalid', 'x')]).slice(0, -3));
    expect(() => v.scan.on(on)).toThrow(/is corrupt/);
    for (const cut of [3, 4, 10])
      expect(() => view(lines([entry('a.invalid', 'x')]).slice(0, -cut)).scan.on(on), `${cut}`).toThrow(/is corrupt/);
  });

  it('one entry per line: only the lines holding the host are read; an unreadable one is named by its number', () => {
    const text = lines(
      [entry('b.invalid', 'u'), entry('a.invalid', 'x')],
      ['{"protocol":"https","host":"a.invalid","hasPassword":"no"}'],
    );
    expect(text.split('\n')).toHaveLength(5); // head, 3 entries, tail
    const v = view(text);
    const decoded = vi.spyOn(Buffer.prototype, 'toString');
    const said: string[] = [];
    const previous = onUnreadableEntries((l) => said.push(l));
    try {
      expect(v.scan.on(on).map((e) => e.username)).toEqual(['x']);
    } finally {
      onUnreadableEntries(previous);
    }
    // the head, the tail and the two lines that hold "a.invalid"; never the whole file
    expect(decoded.mock.calls.every(([, start, end]) => start !== undefined && end !== undefined)).toBe(true);
    expect(said).toEqual([expect.stringContaining('entry 3 (https://a.invalid): hasPassword/hasCredential missing')]);
  });

  it('spans are the exact text of each entry', () => {
    const text = '{"version":1,"entries":[ {"a":[1,{"b":2}]} ,3,"s,]"]}';
    const spans = entrySpans(text)!;
    const parts = [];
    for (let i = 0; i < spans.length; i += 2) parts.push(text.slice(spans[i], spans[i + 1]));
    expect(parts).toEqual(['{"a":[1,{"b":2}]}', '3', '"s,]"']);
  });
});
