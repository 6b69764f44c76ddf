/**
 * Server first: before anyone is asked for a token, make sure the URL answers as Bitbucket
 * (anonymous `application-properties`, docs/bitbucket-server.md), and when it does not, say what
 * went wrong in one line with the next step: the CA to configure, the scheme or base URL that
 * does answer as Bitbucket, or which of DNS, connect and timeout failed.
 */
import type { ApiFailure } from '../../bitbucket/failure.js';
import { UNTRUSTED_CODES } from '../../bitbucket/http-result.js';
import type { BitbucketLocation } from '../../bitbucket/url.js';
import { httpSettingsFor } from '../../git/config.js';
import { CommandError, EXIT } from './errors.js';
import type { CommandIO } from './io.js';
import { redirectedBase } from './redirect.js';
import { clientFor } from './server.js';
import { CLOCK_FIX, nameFix, RENEW_FIX } from './tls-advice.js';

/** What answered: the base URL and Bitbucket's version. */
export interface RecognisedServer {
  baseUrl: string;
  version: string;
  displayName?: string;
  /** The base URL given, when a redirect on its host led to `baseUrl` (then login uses that). */
  redirectedFrom?: string;
}

type Probe = Awaited<ReturnType<Awaited<ReturnType<typeof clientFor>>['applicationProperties']>>;

/** The usual context paths of Bitbucket Server installations (docs/bitbucket-server.md). */
const USUAL_CONTEXT_PATHS = ['', '/bitbucket', '/stash'];

/**
 * Probes share the command's whole time budget: each waits at most until the deadline, and none
 * is sent after it (undefined: not tried).
 */
async function probe(baseUrl: string, io: CommandIO, deadline: number, allowHttp: boolean): Promise<Probe | undefined> {
  const left = deadline - Date.now();
  if (left < 1) return undefined;
  const client = await clientFor(baseUrl, io, left, { allowHttp });
  return client.applicationProperties();
}

/**
 * Resolves with the server's version, or throws a {@link CommandError} whose one-line message
 * names the failure and the next step. Sends no credentials.
 */
export async function recogniseServer(
  server: BitbucketLocation,
  io: CommandIO,
  timeoutMs: number,
  allowHttp: boolean,
): Promise<RecognisedServer> {
  const { baseUrl } = server;
  const deadline = Date.now() + timeoutMs;
  const first = await probe(baseUrl, io, deadline, allowHttp);
  if (first === undefined) fail(`${baseUrl} was not asked: --timeout leaves no time`);
  if (first.status === 'ok') return recognised(baseUrl, first);
  if (first.status === 'error' && (first as ApiFailure).location !== undefined) {
    const moved = await followRedirects(baseUrl, first as ApiFailure, io, deadline, allowHttp);
    if (moved) return moved;
  }

  if (first.status === 'network') {
    const f = first as ApiFailure;
    const hostPort = new URL(baseUrl).host;
    if (f.network === 'tls' && UNTRUSTED_CODES.test(f.networkCode ?? ''))
      fail(`${hostPort} presents a certificate signed by a CA ${await trustAdvice(baseUrl, io, f.networkCode!)}`);
    if (f.networkCode === 'CERT_HAS_EXPIRED') fail(`${f.message}; ${RENEW_FIX}`);
    if (f.networkCode === 'CERT_NOT_YET_VALID') fail(`${f.message}; ${CLOCK_FIX}`);
    if (f.network === 'tls' && f.networkCode !== undefined && /ALTNAME/.test(f.networkCode))
      fail(`${f.message}; ${nameFix(baseUrl, f.certNames)}`);
    if (f.networkCode === 'ENOTFOUND' || f.networkCode === 'EAI_AGAIN')
      fail(`cannot resolve the host name ${new URL(baseUrl).hostname} (DNS lookup failed); check the URL's spelling`);
    if (f.network === 'timeout')
      fail(
        `${hostPort} did not answer within ${timeoutMs / 1000} s; check the URL, your VPN or proxy, or raise --timeout`,
      );
    // a TLS error or reset (one scheme spoken to the other's server), or a refusal on the
    // default port of one scheme, may mean the other scheme answers
    await suggestOtherScheme(server, io, await otherScheme(server, io, deadline));
    if (f.networkCode === 'ECONNREFUSED')
      fail(
        `${hostPort} refused the connection: nothing listens on that port; check the URL's port and that the server runs`,
      );
    fail(`cannot reach ${baseUrl}: ${f.message}`);
  }

  if (first.status === 'not-bitbucket' || first.status === 'not-found') {
    // the other scheme and the usual context paths are asked at once (anonymous, no credentials)
    const others = candidates(server);
    const [scheme, ...paths] = await Promise.all([
      otherScheme(server, io, deadline),
      ...others.map((url) => probe(url, io, deadline, allowHttp)),
    ]);
    await suggestOtherScheme(server, io, scheme);
    const at = paths.findIndex((r) => r?.status === 'ok');
    if (at >= 0) {
      const answering = recognised(others[at]!, paths[at] as Extract<Probe, { status: 'ok' }>);
      fail(
        `${baseUrl} does not answer as Bitbucket, but ${answering.baseUrl} does (Bitbucket ${answering.version}): run login with ${answering.baseUrl}`,
      );
    }
    const untried = others.filter((_, i) => paths[i] === undefined);
    const tried = others.filter((_, i) => paths[i] !== undefined);
    fail(
      `${baseUrl} does not answer as Bitbucket Server / Data Center (${tried.length ? `tried ${tried.join(', ')} too` : 'no other address tried'}${untried.length ? `; not tried within --timeout: ${untried.join(', ')}` : ''}); give the server's base URL or a clone URL (…/scm/PROJECT/repo.git)`,
    );
  }
  fail(`${baseUrl}: ${(first as ApiFailure).message}`);
}

/** Redirects followed at most, each on the host of the one before. */
const MAX_REDIRECTS = 3;

/**
 * The server a redirect of the probe leads to on the host given (http up to https, a context
 * path added: redirect.ts), asked anonymously hop by hop; fails naming a redirect to anywhere
 * else, which is never asked. Undefined: the first points elsewhere than the probe's path (a
 * sign-in page), reported as any failure.
 */
async function followRedirects(
  baseUrl: string,
  first: ApiFailure,
  io: CommandIO,
  deadline: number,
  allowHttp: boolean,
): Promise<RecognisedServer | undefined> {
  let at = baseUrl;
  let r: Probe = first;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const location = (r as ApiFailure).location;
    const to = r.status === 'error' && location !== undefined ? redirectedBase(at, location) : undefined;
    if (to === undefined) {
      if (hop === 0) return undefined;
      fail(`${baseUrl} redirects to ${at}, which does not answer as Bitbucket: ${r.message}`);
    }
    if (to.kind === 'elsewhere')
      fail(
        `${baseUrl} redirects to ${to.baseUrl}, which is not the host you named: not followed, and nothing was sent there; if that is your Bitbucket server, run login with ${to.baseUrl}`,
      );
    at = to.baseUrl;
    const next = await probe(at, io, deadline, allowHttp);
    if (next === undefined) fail(`${baseUrl} redirects to ${at}, which was not asked: --timeout leaves no time`);
    if (next.status === 'ok') return { ...recognised(at, next), redirectedFrom: baseUrl };
    r = next;
  }
  fail(`${baseUrl} redirects more than ${MAX_REDIRECTS} times (last to ${at}); give the server's base URL`);
}

function fail(message: string): never {
  throw new CommandError(`${message}; nothing was stored`, EXIT.error);
}

function recognised(baseUrl: string, r: Extract<Probe, { status: 'ok' }>): RecognisedServer {
  return { baseUrl, version: r.version, ...(r.displayName !== undefined ? { displayName: r.displayName } : {}) };
}

/** The same address over the other scheme: its URL and its answer (undefined: not tried in time). */
async function otherScheme(
  server: BitbucketLocation,
  io: CommandIO,
  deadline: number,
): Promise<{ url: string; r: Probe | undefined }> {
  const otherProtocol = server.protocol === 'https' ? 'http' : 'https';
  const url = `${otherProtocol}://${server.host}${server.contextPath}`;
  return { url, r: await probe(url, io, deadline, false) };
}

/** Fails naming the same address over the other scheme, when that answers as Bitbucket. */
async function suggestOtherScheme(
  server: BitbucketLocation,
  io: CommandIO,
  { url, r }: { url: string; r: Probe | undefined },
): Promise<void> {
  if (r === undefined) return;
  if (r.status === 'ok')
    fail(
      `${server.baseUrl} does not answer as Bitbucket over ${server.protocol}, but ${url} does: run login with ${url}`,
    );
  const f = r as ApiFailure;
  if (url.startsWith('https:') && f.network === 'tls' && UNTRUSTED_CODES.test(f.networkCode ?? ''))
    fail(
      `${server.baseUrl} does not answer over http, but ${url} speaks TLS with a certificate from a CA ${await trustAdvice(url, io, f.networkCode!)}, then run login with ${url}`,
    );
}

/**
 * The rest of "signed by a CA …": not trusted here, or not in the CA file git names for `url`
 * (that file, and how to put the CA in it), with the code and the command that trusts it.
 */
async function trustAdvice(url: string, io: CommandIO, code: string): Promise<string> {
  const { caFile } = await httpSettingsFor(`${url}/`, undefined, io.env).catch(() => ({ caFile: undefined }));
  if (!caFile)
    return `this machine does not trust (${code}); get the CA's PEM file from your administrator and run: git config --global http.${url}/.sslCAInfo <file>`;
  const fromEnv = io.env.GIT_SSL_CAINFO === caFile;
  return (
    `that ${caFile} does not hold (${code}), the CA file ${fromEnv ? 'GIT_SSL_CAINFO' : 'http.sslCAInfo'} names; ` +
    `get the CA's PEM file from your administrator and add it to ${caFile}, or ` +
    (fromEnv ? 'set GIT_SSL_CAINFO to it' : `run: git config --global http.${url}/.sslCAInfo <file>`)
  );
}

/** The origin with the usual context paths, other than the one given. */
function candidates(server: BitbucketLocation): string[] {
  const origin = `${server.protocol}://${server.host}`;
  return USUAL_CONTEXT_PATHS.filter((p) => p !== server.contextPath).map((p) => origin + p);
}
