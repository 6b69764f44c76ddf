/**
 * Turning what the user typed into a server address, and talking to it: one place that
 * refuses SSH and plain http to a non-loopback host, and builds a client with git's own HTTP
 * settings for that URL (proxy, CA file, sslVerify).
 */
import { BitbucketClient } from '../../bitbucket/client.js';
import { fileRefusals } from '../../bitbucket/refusals.js';
import { stateDir } from '../../settings.js';
import { parseBitbucketUrl, type BitbucketLocation, type ParsedRemote } from '../../bitbucket/url.js';
import { httpSettingsFor, redactUrl } from '../../git/config.js';
import { CommandError, EXIT } from './errors.js';
import { configListing } from '../../git/repo.js';
import { parseConfigListing } from '../../prepush/urlmatch.js';
import { isOurHelper, resolveRemoteConfig } from '../../prepush/remote-config.js';
import { httpAllowedFor, isLoopbackHost } from '../../credential/transport.js';
import { canonicalHost } from '../../credential/protocol.js';
import type { CommandIO } from './io.js';

/**
 * Parses a server, clone or browse URL; a bare host name means https. The host is taken as the
 * helper keeps it (canonicalHost: DNS names are case-insensitive, and `:443` is https's port), and
 * `get` takes git's host to the same form: a token logged in for `https://BB.example.com:443` is
 * found for the `bb.example.com` a remote URL names, and the other way round.
 */
export function parseServer(input: string, opts: { allowHttp?: boolean } = {}): BitbucketLocation {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) || /^[^/]*@[^/]*:/.test(input) ? input : `https://${input}`;
  const parsed = canonicalLocation(parseBitbucketUrl(withScheme));
  // the input may carry user:token@, the token holding anything: never echo that part
  const shown = redactUrl(input);
  if (parsed === null) throw new CommandError(`'${shown}' is not a Bitbucket http(s) URL`, EXIT.usage);
  if (parsed.kind === 'ssh')
    throw new CommandError(
      `'${shown}' is an SSH address; tokens are for HTTPS: use the server's https:// URL`,
      EXIT.usage,
    );
  if (parsed.protocol === 'http' && !isLoopbackHost(parsed.host) && !opts.allowHttp) {
    throw new CommandError(
      `refusing to send a token over plain http:// to ${parsed.host}; use https:// (or --allow-http if you must)`,
      EXIT.usage,
    );
  }
  return parsed;
}

/** `loc` with its host as the helper keeps it (canonicalHost: lower case, no default port). */
function canonicalLocation(loc: ParsedRemote | null): ParsedRemote | null {
  if (loc?.kind !== 'http') return loc;
  const host = canonicalHost(loc.protocol, loc.host);
  return host === loc.host ? loc : { ...loc, host, baseUrl: `${loc.protocol}://${host}${loc.contextPath}` };
}

/**
 * A client for `baseUrl` with the HTTP settings git would use for it. It sends a token over plain
 * http only where `get` would hand it out: loopback without a proxy, or allowed by
 * `bitbucket.allowHttp` / GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP, or (`allowHttp`) by the user for this
 * token at login.
 */
export async function clientFor(
  baseUrl: string,
  io: CommandIO,
  timeoutMs = 10_000,
  opts: { allowHttp?: boolean } = {},
): Promise<BitbucketClient> {
  const settings = await httpSettingsFor(`${baseUrl}/`, undefined, io.env);
  // A Retry-After longer than the per-request timeout is reported, not waited for.
  return new BitbucketClient({
    baseUrl,
    settings,
    timeoutMs,
    maxRetryWaitMs: Math.min(30_000, timeoutMs),
    refusals: fileRefusals(stateDir(io.env)),
    allowHttp: opts.allowHttp === true || (baseUrl.startsWith('http:') && httpAllowedFor(`${baseUrl}/`, io.env)),
  });
}

/** `protocol://host` for a stored entry without the base URL login would have recorded. */
export function entryBaseUrl(e: { protocol: string; host: string; meta?: { baseUrl?: string } }): string {
  return e.meta?.baseUrl ?? `${e.protocol}://${e.host}`;
}

/** True when git, asked for `baseUrl` from the current directory, runs this helper. */
export function gitUsesUs(baseUrl: string, env: NodeJS.ProcessEnv): boolean {
  const entries = parseConfigListing(configListing('^credential\\.', { env }));
  return resolveRemoteConfig(entries, `${baseUrl}/`).helpers.some(isOurHelper);
}
