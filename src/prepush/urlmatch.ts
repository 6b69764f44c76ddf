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
  // git refuses a missing host (but in file:) and a port out of 1..65535 (leading zeros dropped);
  // for credential.* it then takes the key as a partial URL (see credentialParts)
  if (host === '' && scheme !== 'file') return undefined;
  if (rest !== '' && !'/?#'.includes(rest[0]!)) return undefined; // a port that is not digits only
  if (port !== '') {
    port = String(Number(port));
    if (Number(port) < 1 || Number(port) > 65535) return undefined;
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

/**
 * A credential as git takes it apart from a URL (credential.c credential_from_url_1): the fields
 * as written (not lower-cased), percent-decoded, the host with its port, the path without its
 * leading and trailing slashes. `partial` (a `credential.<url>.*` key git cannot normalise, the
 * partial-URL form `bb.example.com`, `127.0.0.1:7990`, `https://`): any part may be missing, and a
 * field left out matches anything (credential_match). undefined where git refuses the URL.
 */
export interface CredentialParts {
  protocol?: string;
  host?: string;
  path?: string;
  username?: string;
}

export function credentialParts(url: string, partial: boolean): CredentialParts | undefined {
  const protoEnd = url.indexOf('://');
  if (!partial && protoEnd <= 0) return undefined;
  const rest = protoEnd >= 0 ? url.slice(protoEnd + 3) : url;
  const out: CredentialParts = {};
  const at = rest.indexOf('@');
  const colon = rest.indexOf(':');
  const slash = firstOf(rest, '/?#');
  let host = 0;
  if (at >= 0 && at < slash) {
    out.username = decodeOrKeep(rest.slice(0, colon < 0 || at <= colon ? at : colon));
    host = at + 1;
  }
  if (protoEnd > 0) out.protocol = url.slice(0, protoEnd);
  if (!partial || slash > host) out.host = decodeOrKeep(rest.slice(host, slash));
  let p = slash;
  while (rest[p] === '/') p++;
  let end = rest.length;
  while (end > p + 1 && rest[end - 1] === '/') end--;
  if (p < rest.length) out.path = decodeOrKeep(rest.slice(p, end));
  // check_url_component: a newline in any part is refused
  for (const v of Object.values(out)) if ((v as string).includes('\n')) return undefined;
  return out;
}

/** credential.c credential_match: each field `want` has must be the same in `have`. */
function credentialMatches(want: CredentialParts, have: CredentialParts): boolean {
  const same = (k: keyof CredentialParts) => want[k] === undefined || want[k] === have[k];
  return same('protocol') && same('host') && same('path') && same('username');
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

function matchUrl(c: Parts, url: Parts): Match | undefined {
  if (c.scheme !== url.scheme || c.port !== url.port || !hostMatches(c.host, url.host)) return undefined;
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
  // credential.c: a key git cannot normalise is matched as a partial URL against the credential
  // (match_partial_url), whose username a `credential.username` applied before it may have set
  const have = section === 'credential' ? credentialParts(url, false) : undefined;
  const userFromUrl = have?.username !== undefined && have.username !== '';
  const out = new Map<string, Array<string | null>>();
  const best = new Map<string, Match>();
  for (const e of entries) {
    if (e.section !== section) continue;
    let m: Match | undefined = NONE;
    if (e.url !== undefined) {
      const c = normaliseUrl(e.url);
      if (c) m = target ? matchUrl(c, target) : undefined;
      else {
        const want = have && credentialParts(e.url, true);
        m = want && credentialMatches(want, have) ? NONE : undefined;
      }
    }
    if (!m) continue;
    if (have && !userFromUrl && e.name === 'username' && e.value !== null) have.username = e.value;
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

/**
 * The repositories under `baseUrl` (the server's URL, no trailing slash) that a `section.<url>.*`
 * key applies to although it does not apply to `<baseUrl>/` itself: one URL for each such key's
 * path (a section for `<base>/scm/prj`, or the partial form `host:port/<context>/scm/prj/app.git`),
 * in file order. git matches credential.<url> against the repository's URL, path included, also
 * when credential.useHttpPath is off (that only decides whether helpers are sent the path), so
 * these sections change what git asks for the repositories under them. Keys naming a user are
 * left out (setup and doctor speak of the server, not of one account's URLs).
 */
export function scopesUnder(entries: readonly ConfigEntry[], section: string, baseUrl: string): string[] {
  const base = normaliseUrl(`${baseUrl}/`);
  const have = credentialParts(baseUrl, false);
  if (!base || !have) return [];
  const slash = baseUrl.indexOf('/', baseUrl.indexOf('://') + 3);
  const origin = slash < 0 ? baseUrl : baseUrl.slice(0, slash);
  const context = base.path.slice(1, -1);
  const out = new Set<string>();
  for (const e of entries) {
    if (e.section !== section || e.url === undefined) continue;
    const c = normaliseUrl(e.url);
    let path: string | undefined;
    if (c) {
      const same = c.scheme === base.scheme && c.port === base.port && hostMatches(c.host, base.host);
      if (same && c.user === undefined) path = c.path.endsWith('/') ? c.path.slice(1, -1) : c.path.slice(1);
    } else if (section === 'credential') {
      const want = credentialParts(e.url, true);
      const same = want && want.username === undefined && (want.protocol ?? have.protocol) === have.protocol;
      if (same && (want.host ?? have.host) === have.host) path = want.path;
    }
    if (path !== undefined && path !== context && (context === '' || path.startsWith(`${context}/`)))
      out.add(`${origin}/${path}`);
  }
  return [...out];
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
