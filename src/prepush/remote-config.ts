/**
 * What git config says about one remote URL, from a single config listing: our policy keys,
 * the credential helpers git would ask (in order), `credential.username`/`useHttpPath`, an
 * `Authorization` header set through `http.<url>.extraHeader`, and the `http.*` settings the
 * REST client needs. Pure.
 */
import { parseGitBool } from '../settings.js';
import { sameAsciiNoCase } from './chars.js';
import { lastValues, listWithResets, valuesFor, type ConfigEntry } from './urlmatch.js';

/** A token git sends by itself on every request (http.extraHeader). Never printed. */
export type HeaderAuth = { scheme: 'bearer'; secret: string } | { scheme: 'basic'; username: string; secret: string };

export interface RemoteConfig {
  /** Url-matched `bitbucket.*` values (lower-cased keys). */
  bitbucket: Map<string, string | null>;
  /** Url-matched `http.*` values (lower-cased keys), single-valued view. */
  http: Map<string, string | null>;
  /** `credential.helper` values that apply, in the order git runs them. */
  helpers: string[];
  username?: string;
  useHttpPath: boolean;
  headerAuth?: HeaderAuth;
}

export function resolveRemoteConfig(entries: readonly ConfigEntry[], url: string): RemoteConfig {
  const cred = valuesFor(entries, 'credential', url, 'all');
  const httpAll = valuesFor(entries, 'http', url, 'best');
  const credLast = lastValues(cred);
  const out: RemoteConfig = {
    bitbucket: lastValues(valuesFor(entries, 'bitbucket', url, 'best')),
    http: lastValues(httpAll),
    helpers: listWithResets(cred.get('credential.helper')),
    useHttpPath: isTrue(credLast.get('credential.usehttppath')),
  };
  const username = credLast.get('credential.username');
  if (username) out.username = username;
  const auth = authFromHeaders(listWithResets(httpAll.get('http.extraheader')));
  if (auth) out.headerAuth = auth;
  return out;
}

function isTrue(v: string | null | undefined): boolean {
  return v !== undefined && parseGitBool(v) === true;
}

/** The last `Authorization: Bearer|Basic …` header among extra headers, as git would send it. */
export function authFromHeaders(headers: readonly string[]): HeaderAuth | undefined {
  let found: HeaderAuth | undefined;
  for (const h of headers) {
    const m = /^\s*authorization\s*:\s*(bearer|basic)\s+(\S+)\s*$/i.exec(h);
    if (!m) continue;
    if (m[1]!.toLowerCase() === 'bearer') found = { scheme: 'bearer', secret: m[2]! };
    else {
      const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) found = { scheme: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
  }
  return found;
}

/**
 * How the helper line `setup` writes begins (src/commands/shared/invocation.ts): a function that
 * reads the sh front, its first argument, into the sh git starts; the front's path follows.
 */
export const HELPER_LINE_PREFIX = '!f() { . "$1"; }; f ';

/** What a helper value of ours runs, as written there (a name or a path): the program, and the Node it names. */
export interface OurHelper {
  /** The front, the launcher or the program itself; absent for `bitbucket` and `!git credential-bitbucket`. */
  program?: string;
  node?: string;
}

/**
 * Reads a `credential.helper` value that runs this tool; undefined for any other. Ours are
 * `bitbucket` (git runs `git credential-bitbucket`), a path to git-credential-bitbucket (with or
 * without `.cjs`, `.js`, `.cmd`, `.exe`), a `!` snippet starting with one
 * (`!node /x/git-credential-bitbucket.js`, `!sh /x/git-credential-bitbucket.sh /usr/bin/node linux`,
 * `!git credential-bitbucket`), and the line `setup` writes, which reads the front into git's sh
 * (`!f() { . "$1"; }; f /x/git-credential-bitbucket.sh /usr/bin/node linux`, see
 * src/commands/shared/invocation.ts). Extra arguments after the program are allowed. The one
 * reader of these lines: `isOurHelper` asks it whether, `helperPaths` (invocation.ts) which paths.
 */
export function parseOurHelper(value: string): OurHelper | undefined {
  const v = value.trim();
  if (v.startsWith(HELPER_LINE_PREFIX)) {
    const [front, node] = shellWords(v.slice(HELPER_LINE_PREFIX.length));
    return isOurProgram(front) ? named(front, node) : undefined;
  }
  if (!v.startsWith('!')) {
    // a helper name or path: Windows paths (C:\tools\…) hold backslashes more often than escapes
    const [first] = shellWords(v, { literalBackslash: true });
    if (first === 'bitbucket') return {};
    return isOurProgram(first) ? named(first, undefined) : undefined;
  }
  const [first, second, third] = shellWords(v.slice(1).trimStart());
  if (first === 'git' && second === 'credential-bitbucket') return {};
  if (isOurProgram(first)) return named(first, undefined);
  const shell = base(first);
  if (!SHELLS.includes(shell) || !isOurProgram(second)) return undefined;
  // `!node <launcher>` names Node itself; `!sh <front> <node> <platform>` hands Node to the front
  if (shell.startsWith('node')) return named(second, first);
  return named(second, second?.endsWith('.sh') ? third : undefined);
}

function named(program: string | undefined, node: string | undefined): OurHelper {
  return { ...(program !== undefined ? { program } : {}), ...(node !== undefined ? { node } : {}) };
}

/** Whether a `credential.helper` value runs this tool (parseOurHelper says which are ours). */
export function isOurHelper(value: string): boolean {
  return parseOurHelper(value) !== undefined;
}

/**
 * Splits a command line into words as POSIX sh quotes them (XCU 2.2): '…' keeps everything; inside
 * "…" a backslash escapes only `$`, `` ` ``, `"`, `\` and a newline; outside quotes it escapes the
 * next character (so `'it'\''s'`, what `shQuote` writes for an apostrophe, is `it's`), and a
 * backslash-newline joins lines. `literalBackslash` keeps a backslash outside quotes as it is, for
 * helper values that are Windows paths rather than sh.
 */
export function shellWords(text: string, opts: { literalBackslash?: boolean } = {}): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      current += text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const next = text[j + 1];
        if (text[j] === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
          j++;
          if (next !== '\n') current += next;
        } else current += text[j];
      }
      i = j;
      inWord = true;
    } else if (ch === '\\' && !opts.literalBackslash && i + 1 < text.length) {
      i++;
      if (text[i] !== '\n') {
        current += text[i];
        inWord = true;
      }
    } else if (ch.trim() === '') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** What may run our program in a `!` helper: node or sh (Windows: .exe). */
const SHELLS = ['node', 'sh', 'node.exe', 'sh.exe'];

/** The last part of a path, after `/` or `\`. */
function base(word: string | undefined): string {
  const w = word ?? '';
  return w.slice(Math.max(w.lastIndexOf('/'), w.lastIndexOf('\\')) + 1);
}

/** git-credential-bitbucket, with or without .cjs, .js, .sh, .cmd or .exe, in any case (ASCII). */
function isOurProgram(word: string | undefined): boolean {
  const b = base(word);
  return ['', '.cjs', '.js', '.sh', '.cmd', '.exe'].some((ext) => sameAsciiNoCase(b, `git-credential-bitbucket${ext}`));
}
