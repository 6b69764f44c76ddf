/**
 * Plain http:// to a host that is not this machine sends the token unencrypted. The helper
 * neither hands a token out nor keeps one for such a request unless the user allowed it:
 * `bitbucket.allowHttp` (git config, per URL like http.<url>.* keys), the environment variable
 * GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP=1, or `login --allow-http` for that token.
 */
import { configGetSync } from '../git/repo.js';
import { ALLOW_HTTP_KEY, ENV, envFlag } from '../settings.js';
import type { CredentialRequest } from './protocol.js';
import type { StoredEntry } from '../store/types.js';
import { indexOfAny, isDigits } from '../prepush/chars.js';

/**
 * 127.0.0.0/8, ::1 and localhost (with or without a port): traffic that never leaves the machine.
 * Written out (the guard asks this on every push; src/prepush/chars.ts says why), as
 * host.replace(/^\[(.*)\](:\d+)?$/, '$1').replace(/^([^:]*):\d+$/, '$1').toLowerCase()
 * compared with localhost, ::1 and /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.
 */
export function isLoopbackHost(host: string): boolean {
  const name = withoutPort(withoutBrackets(host)).toLowerCase();
  if (name === 'localhost' || name === '::1') return true;
  const parts = name.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.slice(1).every((p) => isDigits(p, 1, 3));
}

/** `[inside]` or `[inside]:port` as `inside` (the last `]`: the RegExp's `.*` is greedy); else as it is. */
function withoutBrackets(host: string): string {
  if (!host.startsWith('[')) return host;
  const close = host.lastIndexOf(']');
  if (close < 0) return host;
  const after = host.slice(close + 1);
  const inside = host.slice(1, close);
  // `.` matches no line terminator
  if (indexOfAny(inside, '\n\r\u2028\u2029') >= 0) return host;
  return after === '' || (after.startsWith(':') && isDigits(after.slice(1))) ? inside : host;
}

/** `name:port` (one colon, digits after it) as `name`; else as it is. */
function withoutPort(host: string): string {
  const colon = host.indexOf(':');
  return colon >= 0 && isDigits(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}

/** True when the request would carry a token in clear text over the network. */
export function isCleartextRemote(req: CredentialRequest): boolean {
  return req.protocol === 'http' && req.host !== undefined && !isLoopbackHost(req.host);
}

/**
 * The URL whose `bitbucket.allowHttp` decides for a request. git sends helpers the path only with
 * credential.useHttpPath; without it, the server's base URL where one is known for the host
 * (`base`: the guard's remote, the token's login, the one server set up on the host), so that a
 * setting for the base URL (the URL setup and login take, matched as `<base>/`) applies to `get`
 * too, as git applies http.<url>.* to every repository URL under it; else the host.
 */
export function allowHttpUrl(req: CredentialRequest, base?: string): string {
  if (req.path) return `http://${req.host}/${req.path}`;
  return base ? `${base}/` : `http://${req.host}/`;
}

/**
 * Whether the user allowed plain http for this request, from the environment or git config.
 * git is asked only here, for the rare http request, never on the ordinary https fast path.
 */
export async function httpAllowed(
  req: CredentialRequest,
  env: NodeJS.ProcessEnv,
  base?: () => string | undefined,
): Promise<boolean> {
  return httpAllowedFor(allowHttpUrl(req, req.path ? undefined : base?.()), env);
}

/** {@link httpAllowed} for a URL: the one rule every command that sends a token follows. */
export function httpAllowedFor(url: string, env: NodeJS.ProcessEnv): boolean {
  if (envFlag(env, ENV.allowHttp)) return true;
  return configGetSync(ALLOW_HTTP_KEY, { url, type: 'bool' }, { env })?.trim() === 'true';
}

/**
 * For `get`-like lookups: undefined when any stored entry may answer; for a cleartext request,
 * a filter that keeps the tokens logged in with --allow-http and those whose URL the user allowed
 * plain http for: the request's path when git sent one, else the server the token's login names
 * (its base URL decides, as git's most specific http.<url> would for a repository under it),
 * else `base`. git is asked once per URL, so once for the usual host with one server.
 */
export async function cleartextFilter(
  req: CredentialRequest,
  env: NodeJS.ProcessEnv,
  base?: () => string | undefined,
): Promise<((e: StoredEntry) => boolean) | undefined> {
  if (!isCleartextRemote(req) || envFlag(env, ENV.allowHttp)) return undefined;
  const asked = new Map<string, boolean>();
  let fallback: string | undefined;
  const urlOf = (e: StoredEntry) =>
    allowHttpUrl(req, e.meta?.baseUrl ?? (fallback ??= req.path ? '' : (base?.() ?? '')));
  return (e) => {
    if (e.meta?.allowHttp === true) return true;
    const url = urlOf(e);
    if (!asked.has(url)) asked.set(url, httpAllowedFor(url, env));
    return asked.get(url) === true;
  };
}
