/**
 * The JSON files behind the file store and the keyring index: their format, a fast
 * validating reader (used by `get`, which must not load conf), and a writer through conf
 * (atomic replace, mode 0600) used under the store lock, loaded before it is taken.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError, type Secrets, type StoredEntry } from './types.js';
import { loadEsm } from '../load-esm.js';
import { PROGRAM } from '../settings.js';
import { assertPrivate, checkPrivateDir, ensurePrivateDir, UnsafePathError } from '../private-dir.js';
import { visible } from '../visible.js';
import { latin1, readWhole, utf8 } from '../bytes.js';
import { hasBreakOrNul } from '../prepush/chars.js';

/** One entry as kept on disk; `secrets` only in the file store, never in the keyring index. */
export type DiskEntry = StoredEntry & { secrets?: Secrets };

/**
 * An entry that is not in our format (a field of the wrong type, a line break in a value, not
 * an object). It is skipped, named once per command, and written back exactly as it was read.
 */
export interface UnreadableEntry {
  /** Its JSON text in the file, byte for byte. */
  raw: string;
  /** `entry N (protocol://user@host)`, controls made visible; never a secret. */
  label: string;
  why: string;
}

export interface StoreFileData {
  version: 1;
  /** The entries in our format. */
  entries: DiskEntry[];
  /** The entries that are not; kept on write, after the others. */
  unreadable?: UnreadableEntry[];
}

export const STORE_FILE_VERSION = 1;

/**
 * Reads and validates a store file. A missing file is an empty store. A file that is not
 * valid JSON or not in our format raises a StoreError naming the file; the file is left
 * untouched so that nothing in it is lost. One entry not in our format does not hide the
 * others: it is left out of `entries`, kept in `unreadable` (written back as it was) and named
 * on stderr once per command.
 *
 * The file and its directory must be private by the rule of src/private-dir.ts: a store
 * planted, or made writable, by another user is refused (UnsafePathError), never read; the file
 * is opened with O_NOFOLLOW, so a link in its place is refused too.
 */
export function readStoreFile(file: string): StoreFileData {
  const parsed = parseStoreFile(file);
  if (!parsed) return { version: 1, entries: [] };
  const { text, data: d } = parsed;
  // A line break or NUL in a value can only be written as an escape (\n, \r, \u0000, ...):
  // without one anywhere in the file, no field needs the per-field check.
  const mayHaveBreaks = /\\[nr]|\\u00/i.test(text);
  let bad: number[] | undefined;
  for (let i = 0; i < d.entries.length; i++) {
    if (validateEntry(d.entries[i], mayHaveBreaks)) (bad ??= []).push(i);
  }
  if (bad) setAside(file, text, d, bad, mayHaveBreaks);
  return d;
}

/**
 * Reads and parses a store file and checks the file as a whole (private, JSON, our version, a
 * list of entries), not the entries; undefined when there is no file.
 */
function parseStoreFile(file: string): { text: string; data: StoreFileData } | undefined {
  const text = readStoreText(file);
  return text === undefined ? undefined : { text, data: parseStoreText(file, text) };
}

/** The file's text (private, never through a link); undefined when there is no file. */
function readStoreText(file: string): string | undefined {
  const bytes = readStoreBytes(file, true);
  return bytes && utf8(bytes);
}

/** The file's bytes (private, never through a link); undefined when there is no file. */
function readStoreBytes(file: string, present: boolean): Uint8Array | undefined {
  checkPrivateDir(path.dirname(file));
  if (!present) return undefined;
  try {
    return readPrivate(file);
  } catch (err) {
    if (err instanceof UnsafePathError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StoreError(`cannot read credential store ${file}: ${code ?? (err as Error).message}`);
  }
}

function parseStoreText(file: string, text: string): StoreFileData {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt(file, 'not valid JSON');
  }
  const problem = validateFile(data);
  if (problem) throw corrupt(file, problem);
  return data as StoreFileData;
}

/**
 * A store file for reading (`get`, `list`): read once, each entry checked when first used.
 * `get` with thousands of stored accounts wants the few on the request's host, and decoding and
 * parsing the whole file would cost more than Node's start. So:
 * - In the layout our writer makes (`serialize`: one entry per line between a fixed head and
 *   tail) and with no escape anywhere in the file, the host's JSON text is searched for in the
 *   file's bytes and only the lines holding it are decoded and parsed (`lineCandidates`). A line
 *   break can only be whitespace between JSON tokens (inside a string it is written `\n`), so
 *   each line of that layout is one entry.
 * - Otherwise, when the file has no escape at all, the entries holding it are found by a scan of
 *   the text (`entrySpans`) and only they are parsed.
 * - Anything else, and `all()`, parse the whole file.
 * An unreadable entry met is skipped and named like readStoreFile does. Writers use
 * readStoreFile (every entry checked, the bad ones kept).
 *
 * Unlike the whole parse, the searches do not check the JSON syntax of entries they do not use:
 * `get` may answer from a file in which another entry is malformed; writers refuse such a file.
 */
export class StoreFileView {
  private readonly bytes: Uint8Array | undefined;
  private decoded: string | undefined;
  /** The bytes as Latin-1 text, for the line layout's search. */
  private byteText: string | undefined;
  private entries: unknown[] | undefined;
  private lines: boolean | undefined;
  private spans: number[] | undefined | null;
  /** Entries checked so far, by index (whole parse, spans) or by line offset (line layout). */
  private checked = new Map<number, DiskEntry | null>();
  /** The candidates found for each host's JSON text. */
  private readonly found = new Map<string, Map<number, unknown>>();

  /**
   * `present`: false when a stat has just found no file, which then reads as none (its directory
   * is still checked) without an open that fails: an exception costs.
   */
  constructor(
    readonly file: string,
    present = true,
  ) {
    this.bytes = readStoreBytes(file, present);
  }

  private get text(): string | undefined {
    if (this.decoded === undefined && this.bytes !== undefined) this.decoded = utf8(this.bytes);
    return this.decoded;
  }

  /** Every usable entry. */
  all(): DiskEntry[] {
    return this.where(this.parsed(), () => true);
  }

  /**
   * The usable entries with this protocol and host (checked only those), or every usable entry
   * when `on` is undefined.
   */
  on(on: { protocol?: string; host?: string } | undefined): DiskEntry[] {
    if (on?.protocol === undefined || on.host === undefined) return this.all();
    const { protocol, host } = on;
    const pre = (e: unknown) => {
      const r = typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : undefined;
      return r?.protocol === protocol && r.host === host;
    };
    const needle = JSON.stringify(host);
    if (this.entries === undefined && this.bytes !== undefined) {
      this.lines ??= inLineLayout(this.bytes);
      if (this.lines) return this.where(this.lineCandidates(needle), pre, (e, at) => this.lineLabel(e, at));
      if (this.spans === undefined) this.spans = this.text!.includes('\\') ? null : (entrySpans(this.text!) ?? null);
      if (this.spans) return this.where(this.candidates(this.spans, needle), pre);
    }
    return this.where(this.parsed(), pre);
  }

  private parsed(): unknown[] {
    if (this.entries === undefined) {
      this.entries = this.text === undefined ? [] : parseStoreText(this.file, this.text).entries;
      this.checked = new Map();
    }
    return this.entries;
  }

  /** The entries (by index, parsed alone) whose text holds `needle`; unparsable ones as undefined. */
  private candidates(spans: number[], needle: string): Map<number, unknown> {
    const known = this.found.get(needle);
    if (known) return known;
    const text = this.text!;
    const out = new Map<number, unknown>();
    this.found.set(needle, out);
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      // the element whose span holds `at` (spans are sorted [start, end) pairs)
      let lo = 0;
      let hi = spans.length / 2 - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (spans[mid * 2]! <= at) lo = mid;
        else hi = mid - 1;
      }
      if (hi < 0 || out.has(lo) || at < spans[lo * 2]! || at >= spans[lo * 2 + 1]!) continue;
      out.set(lo, parseOrUndefined(text.slice(spans[lo * 2], spans[lo * 2 + 1])));
    }
    return out;
  }

  /** In the line layout: the entries (by the offset of their line) whose line holds `needle`. */
  private lineCandidates(needle: string): Map<number, unknown> {
    const known = this.found.get(needle);
    if (known) return known;
    const bytes = this.bytes!;
    // searched as Latin-1 text (one character per byte, so offsets are byte offsets) with the
    // string search built into V8; only the lines found are decoded as UTF-8
    const text = (this.byteText ??= latin1(bytes));
    const pattern = latin1(Buffer.from(needle, 'utf8'));
    const out = new Map<number, unknown>();
    this.found.set(needle, out);
    for (let at = text.indexOf(pattern, LINES_HEAD.length); at >= 0; at = text.indexOf(pattern, at + pattern.length)) {
      const start = text.lastIndexOf('\n', at) + 1;
      if (out.has(start)) continue;
      const end = text.indexOf('\n', at);
      const line = utf8(bytes, start, end < 0 ? bytes.length : end).trim();
      out.set(start, parseOrUndefined(line.endsWith(',') ? line.slice(0, -1) : line));
    }
    return out;
  }

  /** `entry N (…)` for the entry on the line at byte offset `at` (counted only for an unreadable one). */
  private lineLabel(e: unknown, at: number): string {
    let n = 0;
    for (
      let i = this.bytes!.indexOf(NEWLINE, LINES_HEAD.length);
      i >= 0 && i < at;
      i = this.bytes!.indexOf(NEWLINE, i + 1)
    )
      n++;
    return entryLabel(e, n);
  }

  private where(
    entries: unknown[] | Map<number, unknown>,
    pre: (e: unknown) => boolean,
    label: (e: unknown, i: number) => string = entryLabel,
  ): DiskEntry[] {
    const out: DiskEntry[] = [];
    const bad: Array<{ label: string; why: string }> = [];
    const list: Iterable<[number, unknown]> = Array.isArray(entries)
      ? entries.entries()
      : [...entries].sort((a, b) => a[0] - b[0]);
    for (const [i, e] of list) {
      let ok = this.checked.get(i);
      if (ok === undefined) {
        if (e !== undefined && !pre(e)) continue;
        const why = e === undefined ? 'not valid JSON' : validateEntry(e, true);
        ok = why ? null : (e as DiskEntry);
        this.checked.set(i, ok);
        if (why) bad.push({ label: label(e, i), why });
      }
      if (ok && pre(ok)) out.push(ok);
    }
    if (bad.length > 0) announce(this.file, bad);
    return out;
  }
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The layout our writer makes (see `serialize`): this head, one entry per line (all but the last
 * ending in a comma), this tail. Still plain JSON for any reader; no other writer makes this
 * head (JSON.stringify puts no line break after `[` unless it indents, and then it indents the
 * keys too), so a tab-indented file of an earlier version is never taken for it.
 */
const LINES_HEAD = '{"version":1,"entries":[\n';
const LINES_TAIL = '\n]}';
const NEWLINE = 10;
const BACKSLASH = 92;

/** Whether `bytes` is in the line layout, with no escape anywhere (so a host is always written as JSON.stringify writes it). */
function inLineLayout(bytes: Uint8Array): boolean {
  if (bytes.length < LINES_HEAD.length + LINES_TAIL.length) return false;
  if (latin1(bytes, 0, LINES_HEAD.length) !== LINES_HEAD) return false;
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === NEWLINE || bytes[end - 1] === 13 || bytes[end - 1] === 32)) end--;
  if (latin1(bytes, end - LINES_TAIL.length, end) !== LINES_TAIL) return false;
  return bytes.indexOf(BACKSLASH) < 0;
}

/** A character of a JSON number, true, false or null (or of a malformed one, which JSON.parse names). */
function isLiteral(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 46 || c === 43 || c === 45;
}

/**
 * For a text without a backslash (so every `"` opens or closes a string): the [start, end)
 * offsets of each element of the top-level `entries` list, or undefined when the text is not a
 * single object with `"version": 1` and one `entries` list, with balanced brackets and only
 * JSON's characters between strings (the caller then parses it whole, which says what is wrong).
 */
export function entrySpans(text: string): number[] | undefined {
  const n = text.length;
  const stack: number[] = [];
  const spans: number[] = [];
  let prev = 0;
  let key: string | undefined;
  let version: string | undefined;
  let lists = 0;
  let inList = false;
  let start = -1;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) continue;
    const depth = stack.length;
    if (depth === 0 && (c !== 123 || last >= 0)) return undefined;
    if (inList && depth === 2 && start < 0 && c !== 44 && c !== 93) start = i;
    if (c === 34) {
      const j = text.indexOf('"', i + 1);
      if (j < 0) return undefined;
      if (depth === 1 && (prev === 123 || prev === 44)) key = text.slice(i + 1, j);
      i = j;
    } else if (c === 123 || c === 91) {
      if (depth === 1 && c === 91 && prev === 58 && key === 'entries') {
        if (lists++ > 0) return undefined;
        inList = true;
        start = -1;
      }
      stack.push(c === 123 ? 125 : 93);
    } else if (c === 125 || c === 93) {
      if (stack.pop() !== c) return undefined;
      if (inList && depth === 2) {
        if (start >= 0) spans.push(start, last + 1);
        inList = false;
      }
    } else if (c === 44) {
      if (inList && depth === 2) {
        if (start < 0) return undefined;
        spans.push(start, last + 1);
        start = -1;
      }
    } else if (c !== 58) {
      // a literal: number, true, false, null
      let j = i;
      while (j < n && isLiteral(text.charCodeAt(j))) j++;
      if (j === i) return undefined;
      if (depth === 1 && prev === 58 && key === 'version') version = text.slice(i, j);
      i = j - 1;
    }
    if (stack.length === 1) prev = c;
    last = i;
  }
  return stack.length === 0 && last >= 0 && lists === 1 && version === '1' ? spans : undefined;
}

/** Opens without following a link, checks the open file by the rule, reads it. */
function readPrivate(file: string): Uint8Array {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new UnsafePathError(file, 'symlink', 'credential store');
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    assertPrivate(file, st, false, 'credential store');
    return readWhole(fd, st.size);
  } finally {
    fs.closeSync(fd);
  }
}

/** Moves the entries at `bad` from `entries` to `unreadable`, and names them (once per file and command). */
function setAside(file: string, text: string, d: StoreFileData, bad: number[], mayHaveBreaks: boolean): void {
  const sources = entrySources(text);
  const exact = sources?.length === d.entries.length;
  const unreadable: UnreadableEntry[] = bad.map((i) => ({
    raw: exact ? sources[i]! : JSON.stringify(d.entries[i]),
    label: entryLabel(d.entries[i], i),
    why: validateEntry(d.entries[i], mayHaveBreaks)!,
  }));
  const skip = new Set(bad);
  d.entries = d.entries.filter((_, i) => !skip.has(i));
  d.unreadable = unreadable;
  announce(file, unreadable);
}

/** Names the skipped entries in one line, once per file and command. */
function announce(file: string, unreadable: ReadonlyArray<{ label: string; why: string }>): void {
  if (warned.has(file)) return;
  warned.add(file);
  const names = unreadable.map((u) => `${u.label}: ${u.why}`).join('; ');
  const n = unreadable.length;
  warn(
    `${PROGRAM}: skipped ${n} unreadable entr${n === 1 ? 'y' : 'ies'} of ${file} (${names}); the others are used and the file keeps ${n === 1 ? 'it' : 'them'} unchanged: repair or remove ${n === 1 ? 'it' : 'them'}\n`,
  );
}

const warned = new Set<string>();
let warn = (line: string): void => {
  try {
    fs.writeSync(2, line);
  } catch {
    // stderr closed: nothing to tell
  }
};

/** Where the line about skipped entries goes (stderr by default); returns the previous sink. */
export function onUnreadableEntries(sink: (line: string) => void): (line: string) => void {
  const previous = warn;
  warn = sink;
  warned.clear();
  return previous;
}

/** `entry N (protocol://user@host)` from whatever the entry holds; no secret, controls made visible. */
function entryLabel(e: unknown, i: number): string {
  const r = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const host = str(r.host);
  if (host === undefined) return `entry ${i + 1}`;
  const user = str(r.username);
  return `entry ${i + 1} (${visible(`${str(r.protocol) ?? '?'}://${user !== undefined ? `${user}@` : ''}${host}`)})`;
}

/**
 * The JSON text of each element of the top-level `entries` list (the last such key, as
 * JSON.parse takes it), for text JSON.parse accepted; undefined when there is none.
 */
export function entrySources(text: string): string[] | undefined {
  let depth = 0;
  let prev = '';
  let key: string | undefined;
  let out: string[] | undefined;
  let list: string[] | undefined;
  let start = -1;
  let last = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (list && depth === 2 && start < 0 && c !== ',' && c !== ']') start = i;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && (prev === '{' || prev === ',')) key = JSON.parse(text.slice(i, j + 1)) as string;
      i = j;
    } else if (c === '{' || c === '[') {
      if (depth === 1 && c === '[' && prev === ':' && key === 'entries') {
        list = [];
        start = -1;
      }
      depth++;
    } else if (c === '}' || c === ']') {
      if (list && depth === 2) {
        if (start >= 0) list.push(text.slice(start, last + 1));
        out = list;
        list = undefined;
      }
      depth--;
    } else if (c === ',' && list && depth === 2) {
      list.push(text.slice(start, last + 1));
      start = -1;
    }
    if (depth === 1) prev = c;
    last = i;
  }
  return out;
}

function corrupt(file: string, why: string): StoreError {
  return new StoreError(`credential store ${file} is corrupt (${why}); it was left unchanged: repair or remove it`);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isOptStr = (v: unknown) => v === undefined || isStr(v);
const unsafe = (v: unknown) => isStr(v) && hasBreakOrNul(v);

function validateFile(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not an object';
  const d = data as Record<string, unknown>;
  if (d.version !== STORE_FILE_VERSION) return `unknown format version ${JSON.stringify(d.version)}`;
  if (!Array.isArray(d.entries)) return "'entries' is not a list";
  return undefined;
}

function validateEntry(e: unknown, mayHaveBreaks: boolean): string | undefined {
  if (typeof e !== 'object' || e === null) return 'not an object';
  const r = e as Record<string, unknown>;
  if (!isStr(r.protocol) || r.protocol === '' || !isStr(r.host) || r.host === '') return 'protocol or host missing';
  if (!isOptStr(r.path) || !isOptStr(r.username) || !isOptStr(r.authtype))
    return 'path, username or authtype is not text';
  if (mayHaveBreaks && [r.protocol, r.host, r.path, r.username, r.authtype].some(unsafe))
    return 'a field contains a line break or NUL';
  if (typeof r.hasPassword !== 'boolean' || typeof r.hasCredential !== 'boolean')
    return 'hasPassword/hasCredential missing';
  if (typeof r.storedAt !== 'number') return 'storedAt missing';
  if (r.passwordExpiryUtc !== undefined && typeof r.passwordExpiryUtc !== 'number')
    return 'passwordExpiryUtc is not a number';
  if (r.meta !== undefined && (typeof r.meta !== 'object' || r.meta === null)) return 'meta is not an object';
  if (r.meta !== undefined && !isOptStr((r.meta as Record<string, unknown>).baseUrl)) return 'meta.baseUrl is not text';
  if (r.secrets !== undefined) {
    if (typeof r.secrets !== 'object' || r.secrets === null) return 'secrets is not an object';
    const s = r.secrets as Record<string, unknown>;
    if (!isOptStr(s.password) || !isOptStr(s.oauthRefreshToken) || !isOptStr(s.credential))
      return 'a secret is not text';
  }
  return undefined;
}

let conf: Promise<typeof import('conf')> | undefined;

/**
 * Loads conf (once per process). Writers call it *before* taking the store lock: the import
 * alone costs about 0.25 s on a loaded machine, time every other writer would wait. `get`
 * never calls it.
 */
export function loadConf(): Promise<typeof import('conf')> {
  conf ??= loadEsm<typeof import('conf')>('conf');
  return conf;
}

/**
 * Writes a store file through conf: atomic replace (temp file + rename) with mode 0600. conf
 * keeps this role (an atomic, mode-preserving JSON write) because that is what it does best;
 * it is loaded by {@link loadConf}, which callers run before taking the lock.
 */
export async function writeStoreFile(file: string, data: StoreFileData): Promise<void> {
  const { default: Conf } = await loadConf();
  const dir = path.dirname(file);
  ensurePrivateDir(dir, 'data directory');
  try {
    const ext = path.extname(file);
    const conf = new Conf<StoreFileData>({
      cwd: dir,
      configName: path.basename(file, ext),
      fileExtension: ext.replace(/^\./, ''),
      projectName: PROGRAM,
      configFileMode: 0o600,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
      watch: false,
      serialize,
    });
    conf.store = data;
    if (process.platform !== 'win32') fs.chmodSync(file, 0o600);
  } catch (err) {
    // Only the error code: a JSON parser's message can quote the file, and the file holds secrets.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'error';
    throw new StoreError(`cannot write credential store ${file} (${code}); it was left unchanged`);
  }
}

/**
 * The file's text: the line layout (see LINES_HEAD), with the unreadable entries put back at
 * the end of the list exactly as they were read. An unreadable entry that spans lines, or keys
 * other than `version` and `entries`, get conf's serialisation (tab-indented JSON) instead, which
 * readers take just as well, only more slowly.
 */
export function serialize(data: StoreFileData): string {
  const { unreadable, ...rest } = data;
  const raws = (unreadable ?? []).map((u) => u.raw);
  const keys = Object.keys(rest);
  if (keys.length === 2 && rest.version === STORE_FILE_VERSION && raws.every((r) => !/[\r\n]/.test(r)))
    return `${LINES_HEAD}${[...rest.entries.map((e) => JSON.stringify(e)), ...raws].join(',\n')}${LINES_TAIL}`;
  if (!unreadable?.length) return JSON.stringify(rest, undefined, '\t');
  // a place-holder no value can hold (a NUL and a fresh random part), replaced by the raw text
  const nonce = process.getBuiltinModule('node:crypto').randomBytes(8).toString('hex');
  const marks = unreadable.map((_, i) => `\u0000${nonce}-${i}`);
  const text = JSON.stringify({ ...rest, entries: [...rest.entries, ...marks] }, undefined, '\t');
  return text.replace(new RegExp(`"\\\\u0000${nonce}-(\\d+)"`, 'g'), (_m, i: string) => unreadable[Number(i)]!.raw);
}
