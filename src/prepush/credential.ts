/**
 * Finds the credential git uses for a remote, the way git finds it (gitcredentials(7)):
 * an `Authorization` header from `http.<url>.extraHeader` (git sends it on every request, so
 * no helper is asked), else the helpers in configured order. When the first helper is this
 * tool, the answer comes from our own stores in-process (no `git credential fill`, which would
 * start git and a second node); otherwise `git credential fill` runs with every prompt
 * disabled. The request travels on stdin; no secret ever goes into argv.
 */
import { getCredential, storeSkipper } from '../credential/helper.js';
import { cleartextFilter } from '../credential/transport.js';
import { parseCredential, type CredentialRequest } from '../credential/protocol.js';
import { dataDir } from '../settings.js';
import { allStores, openStores } from '../store/select.js';
import type { BitbucketLocation } from '../bitbucket/url.js';
import { gitSync, type GitRun } from '../git/repo.js';
import { userInfo, withoutPassword } from '../git/config.js';
import type { CredentialSource } from './facts.js';
import { isOurHelper, type RemoteConfig } from './remote-config.js';
import { decodeOrKeep } from '../decode.js';
import { writeFd } from '../fdwrite.js';
import type { TokenStore } from '../store/types.js';

export type TokenAuth = { scheme: 'basic'; username: string; secret: string } | { scheme: 'bearer'; secret: string };

export type CredentialLookup =
  { found: true; auth: TokenAuth; source: CredentialSource } | { found: false; reason: string };

/** The request git would send helpers for `url`: `credential.username` unless the URL has one; path only with useHttpPath. */
export function requestFor(url: string, loc: BitbucketLocation, config: RemoteConfig): CredentialRequest {
  // capability authtype: git 2.46+ pushes with a stored Bearer credential (a project token), so
  // the guard must see those too.
  const req: CredentialRequest = {
    protocol: loc.protocol,
    host: loc.host,
    wwwauth: [],
    capabilities: ['authtype'],
    state: [],
    ephemeral: false,
    continue: false,
  };
  const username = loc.username ?? config.username;
  if (username !== undefined) req.username = username;
  if (config.useHttpPath) {
    const p = /^[a-z]+:\/\/[^/]*\/([^?#]*)/i.exec(url)?.[1];
    if (p) req.path = decodeOrKeep(p);
  }
  return req;
}

/** The credential in an answer (ours or git's), when it is complete. */
export function authFromAnswer(
  pairs: Pick<CredentialRequest, 'authtype' | 'credential' | 'username' | 'password'> | undefined,
): TokenAuth | undefined {
  if (!pairs) return undefined;
  if (pairs.authtype?.toLowerCase() === 'bearer' && pairs.credential)
    return { scheme: 'bearer', secret: pairs.credential };
  if (pairs.username !== undefined && pairs.password)
    return { scheme: 'basic', username: pairs.username, secret: pairs.password };
  return undefined;
}

/**
 * The credential git would send to `url`. Our stores are read as `get` reads them: a store that
 * fails (a corrupt credentials.json) is named once through `skipped` (by default one line on
 * stderr, the guard's) when another store or a helper after ours answers; when ours is the only
 * helper and no store answers, its error is thrown.
 */
export async function findCredential(
  url: string,
  loc: BitbucketLocation,
  config: RemoteConfig,
  env: NodeJS.ProcessEnv,
  run: GitRun,
  now: number,
  skipped: (store: TokenStore, err: unknown) => void = storeSkipper('pre-push', (t) => writeFd(2, t), 'guard').skip,
): Promise<CredentialLookup> {
  if (config.headerAuth) return { found: true, auth: config.headerAuth, source: 'http.extraHeader' };
  const inUrl = passwordInUrl(url);
  if (inUrl) return { found: true, auth: { scheme: 'basic', ...inUrl }, source: 'remote URL' };
  const req = requestFor(url, loc, config);
  if (config.helpers[0] !== undefined && isOurHelper(config.helpers[0])) {
    // the same rule as `get`: no token over plain http to another machine unless allowed
    const failures: Array<[TokenStore, unknown]> = [];
    const stores = allStores(openStores(dataDir(env)));
    const answer = await getCredential(
      req,
      stores,
      now,
      await cleartextFilter(req, env, () => loc.baseUrl),
      undefined,
      (store, err) => {
        failures.push([store, err]);
      },
    );
    // as `get`: a store that failed is named when another answers. With no answer git goes on
    // to the helpers after ours, and so does the check; with none after ours its error stands.
    if (answer.length === 0 && failures[0] && config.helpers.length === 1) throw failures[0][1];
    for (const [store, err] of failures) skipped(store, err);
    const auth = authFromAnswer(ourAnswer(answer, req));
    if (auth) return { found: true, auth, source: 'credential store' };
  }
  if (config.helpers.length === 0) return { found: false, reason: 'no credential helper is configured for this URL' };
  return gitCredentialFill(url, env, run);
}

/**
 * What git would read from our `get` answer, the request's username kept when the answer has
 * none. `get` refuses to print a line break, carriage return or NUL (formatCredential), so git
 * would then hear nothing from us: no answer. (The stores never hold such values.)
 */
function ourAnswer(
  answer: ReadonlyArray<readonly [string, string]>,
  req: CredentialRequest,
): Pick<CredentialRequest, 'authtype' | 'credential' | 'username' | 'password'> | undefined {
  const out: Pick<CredentialRequest, 'authtype' | 'credential' | 'username' | 'password'> = {};
  for (const [key, value] of answer) {
    if (value.includes('\n') || value.includes('\r') || value.includes('\0')) return undefined;
    if (key === 'authtype' || key === 'credential' || key === 'username' || key === 'password') out[key] = value;
  }
  if (out.username === undefined && req.username !== undefined) out.username = req.username;
  return out;
}

/**
 * `git credential fill` with prompting disabled: GIT_TERMINAL_PROMPT=0, a failing askpass,
 * credential.interactive=false, and bounded by the check's time budget (another helper may
 * open a window or wait). `capability[]=authtype` lets git 2.46+ return a Bearer credential;
 * older git ignores the line.
 */
function gitCredentialFill(url: string, env: NodeJS.ProcessEnv, run: GitRun): CredentialLookup {
  const childEnv = { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'false', SSH_ASKPASS: 'false' };
  const r = gitSync(
    ['-c', 'credential.interactive=false', 'credential', 'fill'],
    { ...run, env: childEnv },
    // `url=` must come first: git clears the whole credential when it reads it
    // (credential_from_url_1() calls credential_clear()), capabilities included.
    `url=${stripPassword(url)}\ncapability[]=authtype\n\n`,
  );
  if (r.timedOut)
    return { found: false, reason: 'the credential helpers did not answer in time (git credential fill timed out)' };
  if (r.status !== 0)
    return { found: false, reason: 'no credential helper had a token for this URL (git credential fill found none)' };
  const parsed = parseCredential(r.stdout);
  const auth = authFromAnswer(parsed.ok ? parsed.request : undefined);
  return auth
    ? { found: true, auth, source: 'git credential fill' }
    : { found: false, reason: 'git credential fill returned no complete credential' };
}

/** The URL without a password in its user info, for messages and for git's stdin. */
export const stripPassword = withoutPassword;

/** git uses `user:password@` from the URL as it is, without asking any helper. */
function passwordInUrl(url: string): { username: string; secret: string } | undefined {
  const info = userInfo(url)?.text;
  const colon = info?.indexOf(':') ?? -1;
  if (info === undefined || colon < 0 || colon === info.length - 1) return undefined;
  return { username: decodeOrKeep(info.slice(0, colon)), secret: decodeOrKeep(info.slice(colon + 1)) };
}
