/**
 * git's `<section>.<url>.<key>` matching (git-config(1) "http.<url>.*", urlmatch.c), pure, so
 * that one `git config --get-regexp` call can serve every section the hook needs. Two ways of
 * combining matches, as git has them:
 * - `best`: an entry is applied only when its URL matches at least as well as the best applied
 *   so far for that key (host length, then path length, then user); single-valued keys end
 *   with the last applied value (what `git config --get-urlmatch` prints). Used for `http.*`
 *   and our own `bitbucket.*`.
 * - `all`: every matching entry applies in file order (credential.c `select_all`), for
 *   `credential.*`.
 */
import { decodeOrKeep } from '../decode.js';
import { isDigits } from './chars.js';

/** One raw config entry, in file order. `url` is the subsection, when the key has one. */
export interface ConfigEntry {
  section: string;
  url?: string;
  name: string;
  /** null for a key written without `=` (boolean true). */
  value: string | null;
}

interface Parts {
  scheme: string;
  user?: string;
  host: string;
  port: string;
  path: string;
}

interface Match {
  host: number;
  path: number;
  user: boolean;
}

/** Parses `git config -z --get-regexp` / `-l -z` output into entries (`key\nvalue\0` or `key\0`). */
export function parseConfigListing(out: string): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const item of out.split('\0')) {
    if (item === '') continue;
    const nl = item.indexOf('\n');
    const key = nl < 0 ? item : item.slice(0, nl);
    const first = key.indexOf('.');
    const last = key.lastIndexOf('.');
    if (first < 0) continue;
    const e: ConfigEntry = {
      section: key.slice(0, first).toLowerCase(),
      name: key.slice(last + 1).toLowerCase(),
      value: nl < 0 ? null : item.slice(nl + 1),
    };
    if (last > first) e.url = key.slice(first + 1, last);
    entries.push(e);
  }
  return entries;
}

const DEFAULT_PORTS: Record<string, string> = {
  http: '80',
  https: '443',
  ftp: '21',
  ftps: '990',
  ssh: '22',
  git: '9418',
};

/**
 * git's url_normalize, reduced to what matching compares. undefined when not a URL. The parts
 * are those of `^(scheme)://(?:(user-info)@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?([^?#]*)`, taken
 * apart by hand (see ./chars.ts for why not with that RegExp).
 */
export function normaliseUrl(url: string): Parts | undefined {
  const sep = url.indexOf('://');
  if (sep < 1 || !isScheme(url.slice(0, sep))) return undefined;
  const scheme = url.slice(0, sep).toLowerCase();
  let rest = url.slice(sep + 3);
  let info: string | undefined;
  const at = firstOf(rest, '@/?#');
  if (rest[at] === '@') {
    info = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const close = rest.startsWith('[') ? rest.indexOf(']') : -1;
  const host = close >= 0 ? rest.slice(0, close + 1) : rest.slice(0, firstOf(rest, ':/?#'));
  rest = rest.slice(host.length);
  let port = '';
  if (rest.startsWith(':')) {
    let end = 1;
    while (isDigits(rest.charAt(end))) end++;
    port = rest.slice(1, end);
    rest = rest.slice(end);
  }
  if (port === DEFAULT_PORTS[scheme]) port = '';
  const parts: Parts = {
    scheme,
    host: host.toLowerCase(),
    port,
    path: dotSegments(rest.slice(0, firstOf(rest, '?#')) || '/'),
  };
  if (info !== undefined) parts.user = decodeOrKeep(info.split(':')[0] ?? '');
  return parts;
}

/** [A-Za-z][A-Za-z0-9+.-]* */
function isScheme(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
    if (!letter && (i === 0 || !(isDigits(ch) || ch === '+' || ch === '.' || ch === '-'))) return false;
  }
  return s !== '';
}

/** The index of the first character of `s` that is one of `chars`; `s.length` when there is none. */
function firstOf(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i]!)) return i;
  return s.length;
}

function dotSegments(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/').slice(1)) {
    if (seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/** urlmatch.c match_host: same number of labels, `*` matching within one label. */
function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.split('.');
  const h = host.split('.');
  if (p.length !== h.length) return false;
  return p.every((label, i) => labelMatches(label, h[i]!));
}

/** One host label; `*` matches any run of characters within it. A RegExp only for a `*` (rare, see ./chars.ts). */
function labelMatches(pattern: string, label: string): boolean {
  if (!pattern.includes('*')) return pattern === label;
  return new RegExp('^' + pattern.split('*').map(escape).join('[^.]*') + '$').test(label);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** urlmatch.c url_match_prefix: path prefix on `/` boundaries; 0 = no match. */
function pathMatch(url: string, prefix: string): number {
  if (prefix === '/' || prefix === '') return 1;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (!url.startsWith(p)) return 0;
  return url.length === p.length || url[p.length] === '/' ? p.length + 1 : 0;
}

function matchUrl(configUrl: string, url: Parts): Match | undefined {
  const c = normaliseUrl(configUrl);
  if (!c || c.scheme !== url.scheme || c.port !== url.port || !hostMatches(c.host, url.host)) return undefined;
  if (c.user !== undefined && c.user !== url.user) return undefined;
  const path = pathMatch(url.path, c.path);
  if (path === 0) return undefined;
  return { host: c.host.length, path, user: c.user !== undefined };
}

function compare(a: Match, b: Match): number {
  if (a.host !== b.host) return a.host - b.host;
  if (a.path !== b.path) return a.path - b.path;
  return Number(a.user) - Number(b.user);
}

const NONE: Match = { host: 0, path: 0, user: false };

/**
 * The values of `section.*` keys that apply to `url`, per key (lower-cased `section.name`), in the
 * order git applies them. For `best`, a value is dropped when a better-matching one came before.
 */
export function valuesFor(
  entries: readonly ConfigEntry[],
  section: string,
  url: string,
  mode: 'best' | 'all',
): Map<string, Array<string | null>> {
  const target = normaliseUrl(url);
  const out = new Map<string, Array<string | null>>();
  const best = new Map<string, Match>();
  for (const e of entries) {
    if (e.section !== section) continue;
    const m = e.url === undefined ? NONE : target ? matchUrl(e.url, target) : undefined;
    if (!m) continue;
    const key = `${section}.${e.name}`;
    const prev = best.get(key);
    if (mode === 'best' && prev && compare(m, prev) < 0) continue;
    best.set(key, m);
    const list = out.get(key) ?? [];
    list.push(e.value);
    out.set(key, list);
  }
  return out;
}

/** Single-valued view: the last applied value per key (what `git config --get-urlmatch` shows). */
export function lastValues(values: ReadonlyMap<string, Array<string | null>>): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const [k, v] of values) if (v.length > 0) out.set(k, v[v.length - 1]!);
  return out;
}

/** A multi-valued list as git builds it: an empty value clears what came before. */
export function listWithResets(values: ReadonlyArray<string | null> | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v === null) continue;
    if (v === '') out.length = 0;
    else out.push(v);
  }
  return out;
}
