/**
 * Pure parsing of Bitbucket Server / Data Center URLs: server, clone (`/scm/...`), browse
 * (`/projects/.../repos/...`, `/users/.../repos/...`) and SSH remotes. No IO.
 */
import {
  everyChar,
  hasControl,
  hasControlOrSpace,
  indexOfAny,
  isDigits,
  isWordChar,
  schemePrefixLength,
} from '../prepush/chars.js';

/** An http(s) Bitbucket address, split the way the rest of the project needs it. */
export interface BitbucketLocation {
  kind: 'http';
  protocol: 'http' | 'https';
  /** `host[:port]` exactly as git puts it in a credential request (case and port as written). */
  host: string;
  /** `''` or the context path such as `/bitbucket`, percent-encoding kept, no trailing slash. */
  contextPath: string;
  /** `protocol://host` + contextPath, no trailing slash. */
  baseUrl: string;
  /** Upper-cased project key; `~ALICE` for alice's personal project. */
  projectKey?: string;
  repoSlug?: string;
  /** User name from the URL's user info (`https://alice@host/...`), percent-decoded. */
  username?: string;
}

/** An SSH remote: the helper has nothing to check for it. */
export interface SshRemote {
  kind: 'ssh';
  host: string;
  username?: string;
  projectKey?: string;
  repoSlug?: string;
}

/** Anything {@link parseBitbucketUrl} recognises. */
export type ParsedRemote = BitbucketLocation | SshRemote;

/** Path segments that start Bitbucket's own routes; what comes before them is the context path. */
const ROUTE_ROOTS = new Set([
  'rest',
  'plugins',
  'dashboard',
  'login',
  'account',
  'admin',
  'profile',
  'bots',
  'mvc',
  'git',
  'status',
]);
// The pre-push guard parses the remote URL on every push: the character tests below are written
// out (src/prepush/chars.ts says why); each names the RegExp it stands for.

/** /[\u0000-\u001f\u007f/\\?#]/: what a path segment may not hold once decoded. */
const forbiddenInSegment = (s: string) => hasControl(s) || indexOfAny(s, '/\\?#') >= 0;

/** /^~?[A-Za-z0-9_][A-Za-z0-9_.@-]*$/: a project key (`~user` for a personal project). */
export function isProjectKey(key: string): boolean {
  const start = key.startsWith('~') ? 1 : 0;
  return (
    key.length > start &&
    isWordChar(key[start]!) &&
    everyChar(key.slice(start + 1), (ch) => isWordChar(ch) || ch === '.' || ch === '@' || ch === '-')
  );
}

/**
 * Parses a Bitbucket server, clone or browse URL. Returns `{ kind: 'ssh' }` results for SSH remotes
 * (`ssh://git@host:7999/prj/app.git`, `git@host:prj/app.git`) and `null` for anything else:
 * other schemes, local paths, `..` traversal, malformed hosts or ports.
 */
export function parseBitbucketUrl(input: string): ParsedRemote | null {
  const text = input.trim();
  if (text === '' || hasControlOrSpace(text)) return null;
  const schemeEnd = schemePrefixLength(text);
  if (schemeEnd === 0) return parseScpLike(text);
  const name = text.slice(0, schemeEnd - 3).toLowerCase();
  const rest = text.slice(schemeEnd);
  if (name === 'ssh' || name === 'git+ssh' || name === 'ssh+git') return parseSshUrl(rest);
  if (name !== 'http' && name !== 'https') return null;
  return parseHttp(name, rest);
}

function parseHttp(protocol: 'http' | 'https', rest: string): BitbucketLocation | null {
  const { authority, path } = splitAuthority(rest);
  const auth = splitUserInfo(authority);
  if (!auth) return null;
  const host = validHost(auth.host);
  if (host === null) return null;
  const raw = path.split('/').filter((s) => s !== '');
  const decoded = decodeSegments(raw);
  if (!decoded) return null;
  const route = findRoute(decoded);
  if (route === null) return null;
  const contextPath = raw
    .slice(0, route.at)
    .map((s) => '/' + s)
    .join('');
  const location: BitbucketLocation = {
    kind: 'http',
    protocol,
    host,
    contextPath,
    baseUrl: `${protocol}://${host}${contextPath}`,
  };
  if (route.projectKey !== undefined) location.projectKey = route.projectKey;
  if (route.repoSlug !== undefined) location.repoSlug = route.repoSlug;
  if (auth.username !== undefined) location.username = auth.username;
  return location;
}

interface Route {
  at: number;
  projectKey?: string;
  repoSlug?: string;
}

/** Finds where Bitbucket's routes start; `undefined` fields mean "not in this URL"; null = invalid. */
function findRoute(seg: string[]): Route | null {
  for (let i = 0; i < seg.length; i++) {
    const s = seg[i]!;
    const a = seg[i + 1];
    const b = seg[i + 2];
    const c = seg[i + 3];
    if (s === 'scm' && a !== undefined && b !== undefined) return repoRoute(i, a, stripGit(b));
    if (s === 'projects' && a !== undefined) {
      if (b === 'repos' && c !== undefined) return repoRoute(i, a, c);
      return projectRoute(i, a);
    }
    if (s === 'users' && a !== undefined && b === 'repos' && c !== undefined) return repoRoute(i, '~' + a, c);
    if (ROUTE_ROOTS.has(s)) return { at: i };
  }
  return { at: seg.length };
}

function projectRoute(at: number, key: string): Route | null {
  return isProjectKey(key) ? { at, projectKey: key.toUpperCase() } : null;
}

function repoRoute(at: number, key: string, slug: string): Route | null {
  const project = projectRoute(at, key);
  if (!project || slug === '') return null;
  return { ...project, repoSlug: slug };
}

function stripGit(slug: string): string {
  return slug.toLowerCase().endsWith('.git') ? slug.slice(0, -4) : slug;
}

function splitAuthority(rest: string): { authority: string; path: string } {
  const end = indexOfAny(rest, '/?#');
  if (end < 0) return { authority: rest, path: '' };
  const after = rest.slice(end);
  const pathEnd = indexOfAny(after, '?#');
  return { authority: rest.slice(0, end), path: pathEnd < 0 ? after : after.slice(0, pathEnd) };
}

function splitUserInfo(authority: string): { host: string; username?: string } | null {
  const at = authority.lastIndexOf('@');
  if (at < 0) return { host: authority };
  const info = authority.slice(0, at);
  const colon = info.indexOf(':');
  const user = safeDecode(colon < 0 ? info : info.slice(0, colon));
  // A decoded control character (`%0d`, `%0a`, `%00`, ESC) would reach messages and prompts.
  if (user === null || hasControl(user)) return null;
  const host = authority.slice(at + 1);
  return user === '' ? { host } : { host, username: user };
}

/** Git percent-decodes the host it sends to helpers; keep case and any explicit port. */
function validHost(rawHost: string): string | null {
  const host = safeDecode(rawHost);
  if (host === null || host === '') return null;
  const m = hostAndPort(host);
  if (!m) return null;
  if (m.port !== undefined && (Number(m.port) < 1 || Number(m.port) > 65535)) return null;
  if (m.name.startsWith('[') && !m.name.includes(':')) return null;
  return host;
}

/**
 * /^(\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9]+)?\]|[A-Za-z0-9_~.-]+)(?::(\d{1,5}))?$/: a bracketed IPv6
 * literal (with a zone) or a name, and the port if there is one; null when `host` is neither.
 */
export function hostAndPort(host: string): { name: string; port?: string } | null {
  let end: number;
  if (host.startsWith('[')) {
    end = host.indexOf(']') + 1;
    if (end === 0) return null;
    const inner = host.slice(1, end - 1);
    const pct = inner.indexOf('%');
    const address = pct < 0 ? inner : inner.slice(0, pct);
    if (address === '' || !everyChar(address, (ch) => isHexDigit(ch) || ch === ':' || ch === '.')) return null;
    if (pct >= 0 && (pct === inner.length - 1 || !everyChar(inner.slice(pct + 1), isAlnum))) return null;
  } else {
    end = 0;
    while (end < host.length && (isWordChar(host[end]!) || host[end] === '~' || host[end] === '.' || host[end] === '-'))
      end++;
    if (end === 0) return null;
  }
  const name = host.slice(0, end);
  if (end === host.length) return { name };
  const port = host.slice(end + 1);
  return host[end] === ':' && isDigits(port, 1, 5) ? { name, port } : null;
}

const isHexDigit = (ch: string) => (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
const isAlnum = (ch: string) => isWordChar(ch) && ch !== '_';

function decodeSegments(raw: string[]): string[] | null {
  const out: string[] = [];
  for (const r of raw) {
    const s = safeDecode(r);
    if (s === null || s === '.' || s === '..' || forbiddenInSegment(s)) return null;
    out.push(s);
  }
  return out;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function parseSshUrl(rest: string): SshRemote | null {
  const { authority, path } = splitAuthority(rest);
  const auth = splitUserInfo(authority);
  if (!auth || validHost(auth.host) === null) return null;
  return sshRemote(auth.host, auth.username, path);
}

/** scp-like syntax `[user@]host:path`, which git only recognises when no slash precedes the colon. */
function parseScpLike(text: string): SshRemote | null {
  const colon = text.indexOf(':');
  const slash = text.indexOf('/');
  if (colon <= 0 || (slash >= 0 && slash < colon)) return null;
  const auth = splitUserInfo(text.slice(0, colon));
  if (!auth || auth.host.length < 2 || validHost(auth.host) === null) return null;
  const remote = sshRemote(auth.host, auth.username, text.slice(colon + 1));
  // Bare `word:word` is too loose to call a remote; Bitbucket's scp form is `host:key/slug.git`.
  return remote?.repoSlug === undefined ? null : remote;
}

function sshRemote(host: string, username: string | undefined, path: string): SshRemote | null {
  const seg = decodeSegments(path.split('/').filter((s) => s !== ''));
  if (!seg) return null;
  const remote: SshRemote = { kind: 'ssh', host };
  if (username !== undefined) remote.username = username;
  const key = seg[seg.length - 2];
  const slug = seg[seg.length - 1];
  if (key !== undefined && slug !== undefined && isProjectKey(key)) {
    remote.projectKey = key.toUpperCase();
    remote.repoSlug = stripGit(slug);
  }
  return remote;
}
