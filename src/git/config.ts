/**
 * Reading git configuration the way git itself resolves it, through the `git` binary (run by
 * ./async.ts). `--get-urlmatch` applies git's own `http.<url>.*` matching rules (git-config(1),
 * "http.<url>.*").
 */
import { homedir } from 'node:os';
import { parseGitBool } from '../settings.js';
import { GitNotFoundError, gitAsync } from './async.js';
import { indexOfAny, schemePrefixLength } from '../prepush/chars.js';
import { hostAndPort } from '../bitbucket/url.js';

/** Network settings git would use for one URL. */
export interface HttpSettings {
  /** Proxy URL, or undefined for a direct connection (an empty `http.proxy` disables proxying). */
  proxy?: string;
  /** Hosts that bypass the proxy: curl's NO_PROXY list (comma or space separated, `*` = all). */
  noProxy?: string;
  /** PEM file replacing the default CA bundle (`http.sslCAInfo` / `GIT_SSL_CAINFO`). */
  caFile?: string;
  /** false when `http.sslVerify=false` or `GIT_SSL_NO_VERIFY` is set. */
  sslVerify: boolean;
  /** The client certificate for mTLS, when `http.sslCert` / `GIT_SSL_CERT` names one. */
  clientCert?: ClientCertificate;
}

/**
 * A client certificate as git hands it to curl (git's http.c, `http.sslCert` and neighbours):
 * PEM files only; the key comes from the certificate's file when no `http.sslKey` names one
 * (curl's rule). `unsupported` says why it cannot be used (a type other than PEM).
 */
export interface ClientCertificate {
  certFile: string;
  keyFile: string;
  /** Where each file was named, for messages: a config key or an environment variable. */
  certFrom: string;
  keyFrom: string;
  /** http.sslCertPasswordProtected / GIT_SSL_CERT_PASSWORD_PROTECTED: git asks for the key's passphrase. */
  passwordProtected?: boolean;
  unsupported?: string;
}

/** Options for the git child process. Tests pass `env` to isolate HOME and git config. */
export interface GitOptions {
  cwd?: string;
  /** Full environment for git (not merged with process.env); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * `git config --get-urlmatch <key> <url>`: the value git uses for `key` when talking to `url`,
 * or undefined when unset. Throws {@link GitNotFoundError} when git is missing, and an Error
 * with git's message when the configuration cannot be read.
 */
export async function gitConfigGetUrlmatch(
  key: string,
  url: string,
  cwd?: string,
  env?: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const out = await runGitConfig(['--get-urlmatch', key, withoutPassword(url)], { cwd, env });
  return out === undefined ? undefined : out.replace(/\n$/, '');
}

/**
 * The proxy, CA file and TLS verification git would use for `url`: url-matched `http.*` config
 * first, then the environment exactly as git's http.c applies it (env CA and no-verify override
 * config; proxy env vars only when `http.proxy` is unset).
 */
export async function httpSettingsFor(url: string, cwd?: string, env?: NodeJS.ProcessEnv): Promise<HttpSettings> {
  const e = env ?? process.env;
  const out = await runGitConfig(['--null', '--get-urlmatch', 'http', withoutPassword(url)], { cwd, env });
  return resolveHttpSettings(parseNullConfig(out ?? ''), url, e);
}

/** Pure part of {@link httpSettingsFor}: config entries (lower-cased keys) + env → settings. */
export function resolveHttpSettings(
  config: Map<string, string | null>,
  url: string,
  env: NodeJS.ProcessEnv,
): HttpSettings {
  const verify = config.has('http.sslverify') ? parseGitBool(config.get('http.sslverify') ?? null) : true;
  const settings: HttpSettings = { sslVerify: verify ?? true };
  const ca = config.get('http.sslcainfo');
  if (ca) settings.caFile = expandPath(ca, env);
  if (env.GIT_SSL_CAINFO) settings.caFile = env.GIT_SSL_CAINFO;
  if (env.GIT_SSL_NO_VERIFY !== undefined) settings.sslVerify = false;
  const cert = clientCertificate(config, env);
  if (cert) settings.clientCert = cert;
  const proxy = config.has('http.proxy') ? (config.get('http.proxy') ?? '') : proxyFromEnv(url, env);
  if (proxy) settings.proxy = proxy;
  const noProxy = env.no_proxy ?? env.NO_PROXY;
  if (noProxy !== undefined) settings.noProxy = noProxy;
  return settings;
}

/**
 * git's http.c: `http.sslCert`, `http.sslKey` (paths: `~/` expands), their types, each overridden
 * by GIT_SSL_CERT, GIT_SSL_KEY, GIT_SSL_CERT_TYPE, GIT_SSL_KEY_TYPE. A key without a certificate
 * is not used (curl's rule).
 */
function clientCertificate(config: Map<string, string | null>, env: NodeJS.ProcessEnv): ClientCertificate | undefined {
  // [path, where it was named]
  const pick = (name: string, envName: string): [string, string] | undefined => {
    const fromEnv = env[envName];
    if (fromEnv) return [fromEnv, envName];
    const value = config.get(name.toLowerCase());
    return value ? [expandPath(value, env), name] : undefined;
  };
  const cert = pick('http.sslCert', 'GIT_SSL_CERT');
  if (!cert) return undefined;
  const key = pick('http.sslKey', 'GIT_SSL_KEY') ?? cert;
  const result: ClientCertificate = { certFile: cert[0], keyFile: key[0], certFrom: cert[1], keyFrom: key[1] };
  // git's http.c: the variable, whatever its value, or the boolean setting
  const asks = config.has('http.sslcertpasswordprotected')
    ? parseGitBool(config.get('http.sslcertpasswordprotected') ?? null)
    : false;
  if (env.GIT_SSL_CERT_PASSWORD_PROTECTED !== undefined || asks) result.passwordProtected = true;
  for (const [name, envName] of [
    ['http.sslCertType', 'GIT_SSL_CERT_TYPE'],
    ['http.sslKeyType', 'GIT_SSL_KEY_TYPE'],
  ] as const) {
    const type = env[envName] || config.get(name.toLowerCase());
    if (type && type.toUpperCase() !== 'PEM')
      result.unsupported ??= `${env[envName] ? envName : name} ${type} is not supported (PEM only)`;
  }
  return result;
}

/** git's http.c: https_proxy beats HTTPS_PROXY; plain http reads only lower-case http_proxy (httpoxy). */
function proxyFromEnv(url: string, env: NodeJS.ProcessEnv): string | undefined {
  const https = url.toLowerCase().startsWith('https:');
  const specific = https ? (env.https_proxy ?? env.HTTPS_PROXY) : env.http_proxy;
  return specific ?? env.all_proxy ?? env.ALL_PROXY;
}

/** Parses `git config --null` output: `key\nvalue\0`, or `key\0` for a key without value. */
export function parseNullConfig(out: string): Map<string, string | null> {
  const map = new Map<string, string | null>();
  for (const item of out.split('\0')) {
    if (item === '') continue;
    const nl = item.indexOf('\n');
    map.set((nl < 0 ? item : item.slice(0, nl)).toLowerCase(), nl < 0 ? null : item.slice(nl + 1));
  }
  return map;
}

/**
 * Drops a password from the URL's user info so it never reaches a child's argv or stdin; the user
 * name stays because `http.<url>.*` keys may name one (git-config(1)).
 * - A URL as git reads it (credential_from_url() in credential.c: the authority runs to the first
 *   `/`, `?` or `#`) with a host and an optional port after its user info, and no `@` further on:
 *   everything from the first `:` to the authority's last `@` goes (curl's rule for
 *   `https://alice:p@ss@host`, which sends `p@ss`). Without a password it stays as it is, so a
 *   URL with a port and an `@` in its path (`https://bb:7990/scm/~a@b/r.git`) keeps its host.
 * - Otherwise a password may hold `/`, `?` or `#` (`https://alice:a/b@host`, which git cannot
 *   use): everything from the first `:` to the URL's last `@` goes, as redactUrl hides it.
 */
export function withoutPassword(url: string): string {
  const start = schemePrefixLength(url);
  if (start === 0) return url;
  const slash = indexOfAny(url, '/?#', start);
  const end = slash < 0 ? url.length : slash;
  const at = url.lastIndexOf('@', end - 1);
  const password = at >= start && url.indexOf(':', start) < at;
  if (hostAndPort(url.slice(at >= start ? at + 1 : start, end)) && !(password && url.includes('@', end)))
    return password ? dropSpan(url, start, at, '') : url;
  return redactedSpan(url, start, '');
}

/**
 * `url` (or anything typed where a URL was expected) safe to print: when a `:` comes before the
 * last `@` after the scheme (or from the start, without one), everything from that `:` to the last
 * `@` becomes `:***`. The last `@` of the whole text, not of the authority: a password may hold
 * `/`, `?`, `#`, `:` or `@`, and nothing that could be part of one is ever shown (git's own rule,
 * credential_from_url() in credential.c, ends the user info at the first `/?#`, so such a URL
 * means something else to git; it is a secret all the same). The user name before the `:` stays.
 */
export function redactUrl(url: string): string {
  return redactedSpan(url, schemePrefixLength(url), ':***');
}

/** `text` with its first `:` after `from`, up to its last `@`, replaced by `mark`. */
function redactedSpan(text: string, from: number, mark: string): string {
  return dropSpan(text, from, text.lastIndexOf('@'), mark);
}

/** `text` with its first `:` after `from`, up to the `@` at `at`, replaced by `mark`. */
function dropSpan(text: string, from: number, at: number, mark: string): string {
  const colon = text.indexOf(':', from);
  return colon < 0 || at < colon ? text : `${text.slice(0, colon)}${mark}${text.slice(at)}`;
}

/**
 * The user info of `scheme://info@…` as git reads it (what /^[a-z][a-z0-9+.-]*:\/\/([^/@?#]*)@/i
 * captures: credential_from_url() in git's credential.c ends it at the first `@`, `/`, `?` or `#`)
 * and where it starts; undefined when the URL has none. Written out: the guard runs this on every
 * push (src/prepush/chars.ts says why).
 */
export function userInfo(url: string): { text: string; start: number } | undefined {
  const start = schemePrefixLength(url);
  if (start === 0) return undefined;
  const end = indexOfAny(url, '/?#@', start);
  return end >= 0 && url[end] === '@' ? { text: url.slice(start, end), start } : undefined;
}

function expandPath(p: string, env: NodeJS.ProcessEnv): string {
  if (p === '~' || p.startsWith('~/')) return (env.HOME ?? homedir()) + p.slice(1);
  return p;
}

/** Runs `git config <args>`; undefined on exit code 1 (key not set). */
async function runGitConfig(args: string[], opts: GitOptions): Promise<string | undefined> {
  const r = await gitAsync(['config', ...args], { cwd: opts.cwd, env: opts.env ?? process.env });
  if (r.notFound) throw new GitNotFoundError();
  if (r.status === 0) return r.stdout;
  if (r.status === 1 && r.stderr.trim() === '') return undefined;
  throw new Error(`git config ${args[args.length - 2] ?? ''} failed: ${r.stderr.trim() || `exit code ${r.status}`}`);
}
