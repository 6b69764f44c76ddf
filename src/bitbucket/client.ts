/**
 * REST client for Bitbucket Server / Data Center. Every method returns a result value; 401, 403,
 * 404, 429, 5xx and network failures are data. Rejected credentials are never retried (the CAPTCHA
 * lock counts failed Basic attempts); only 429 is retried, after Retry-After. Only `/rest/...` paths
 * are requested, because tokens are refused elsewhere (docs/bitbucket-server.md section 1).
 */
import type { HttpSettings } from '../git/config.js';
import { httpRequest, type HttpResult } from './http.js';
import { redactFailure, toFailure, type ApiFailure } from './failure.js';
import type { RefusalMemory } from './refusals.js';
import { serverText } from './server-values.js';
import {
  parseAccessToken,
  parsePage,
  parseRepo,
  parseUser,
  type AccessTokenInfo,
  type BitbucketRepo,
  type BitbucketUser,
} from './model.js';
import { retryDelayMs } from './retry.js';
import { decodeOrKeep } from '../decode.js';
import { PROGRAM } from '../settings.js';

export type { ApiFailure, FailureStatus } from './failure.js';

/** Credentials for one call. Personal tokens work as Basic (with the right username) or Bearer. */
export type Auth =
  { scheme: 'basic'; username: string; secret: string } | { scheme: 'bearer'; secret: string } | { scheme: 'none' };

/** Client configuration. */
export interface ClientOptions {
  /** `protocol://host[:port][/context]`, no trailing slash needed. */
  baseUrl: string;
  settings: HttpSettings;
  /** Per attempt; default 10 000. */
  timeoutMs?: number;
  /** Retries after 429; default 2. */
  maxRetries429?: number;
  /** Longest single wait after 429; a longer Retry-After is reported, not waited. Default 30 000. */
  maxRetryWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
  /**
   * Secrets the server refused as Basic: such a secret is never sent as Basic again, and a new
   * refusal is recorded here. Every client that may send a token as Basic passes one.
   */
  refusals?: RefusalMemory;
  /** The user allowed the token over plain http (see `HttpRequest.cleartextAllowed`). */
  allowHttp?: boolean;
  /**
   * Epoch ms after which nothing more is sent: the whole command's time budget (`--timeout`,
   * `bitbucket.timeout`). Each request waits at most until then; one asked later fails at once
   * as a timeout, without reaching the network.
   */
  deadline?: number;
}

/** Success with a payload, or a failure. */
export type ApiResult<T> = ({ status: 'ok' } & T) | ApiFailure;

/** Who owns an access token. */
export type TokenOwner = { user: string } | { project: string } | { project: string; repo: string };

/**
 * A repository permission look-up: `writable` (readable, for REPO_READ) when a page listed the
 * repository; undefined with `unchecked` saying why when the page cap or the time budget ran out
 * before the last page. `missing` (from `canWrite` only): the server says the repository does not
 * exist, which is no answer about the token's permissions.
 */
export type PermissionResult =
  ApiResult<{ writable: boolean | undefined; unchecked?: string }> | { status: 'missing'; message: string };

type Ok = Extract<HttpResult, { ok: true }>;
const enc = encodeURIComponent;
const PAGE_LIMIT = 100;
/** Pages one permission look-up reads at most (both names of a repository together). */
export const MAX_PAGES = 5;

/** The anonymous request that tells a Bitbucket server (docs/bitbucket-server.md), under the base URL. */
export const PROPERTIES_PATH = '/rest/api/1.0/application-properties';

/** See the module comment. */
export class BitbucketClient {
  readonly baseUrl: string;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  /** The same client, sending nothing after `deadline` (epoch ms; the earlier of both wins). */
  withDeadline(deadline: number): BitbucketClient {
    const d = this.opts.deadline === undefined ? deadline : Math.min(deadline, this.opts.deadline);
    return new BitbucketClient({ ...this.opts, deadline: d });
  }

  /** Epoch ms of the time budget's end, if any. */
  get deadline(): number | undefined {
    return this.opts.deadline;
  }

  /** When the server refused `secret` as Basic before (the refusal memory), or undefined. */
  basicRefusedAt(secret: string): number | undefined {
    return this.opts.refusals?.refusedAt(secret);
  }

  /** Where the refusal memory is kept (deleting it forgets the refusals), when it is a file. */
  get refusalsKeptIn(): string | undefined {
    return this.opts.refusals?.where;
  }

  /** Recognises Bitbucket (properties shape + `X-AREQUESTID`) without credentials. */
  async applicationProperties(): Promise<
    | ApiResult<{ version: string; buildNumber?: string; displayName?: string }>
    | { status: 'not-bitbucket'; message: string }
  > {
    const res = await this.get({ scheme: 'none' }, PROPERTIES_PATH);
    const notBb = {
      status: 'not-bitbucket' as const,
      message: `${this.baseUrl} does not look like Bitbucket Server / Data Center`,
    };
    if (!res.ok) return this.failure(res, { scheme: 'none' });
    if (res.status === 404) return notBb;
    if (res.status !== 200) return this.failure(res, { scheme: 'none' });
    const o = res.json as Record<string, unknown> | undefined;
    if (serverText(o?.version, 64) === undefined || res.headers['x-arequestid'] === undefined) return notBb;
    const out: { status: 'ok'; version: string; buildNumber?: string; displayName?: string } = {
      status: 'ok',
      version: o!.version as string,
    };
    const build = serverText(o!.buildNumber, 64, 'build number');
    const displayName = serverText(o!.displayName, undefined, 'server name');
    if (build !== undefined) out.buildNumber = build;
    if (displayName !== undefined) out.displayName = displayName;
    return out;
  }

  /** The authenticated user's name from `X-AUSERNAME` on `GET /rest/api/1.0/users?limit=1`. */
  async whoAmI(auth: Auth): Promise<ApiResult<{ username: string; userId?: number }>> {
    // the sign-in check: its 401 is a verdict on the secret (see `send`)
    const res = await this.send(auth, 'GET', '/rest/api/1.0/users', { limit: '1' }, undefined, true);
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const raw = res.headers['x-ausername'];
    // Bitbucket answers an anonymous request with a JSON page; anything else (an HTML sign-in
    // page from a proxy in front) says nothing about the credentials
    if (!raw && res.json === undefined) return this.badBody(res);
    if (!raw)
      return { status: 'unauthorized', httpStatus: 200, message: 'the server treated the credentials as anonymous' };
    const username = serverText(decodeOrKeep(raw));
    if (username === undefined)
      return {
        status: 'error',
        httpStatus: 200,
        message: 'the server reported a user name with control characters or over 255 characters; ignored',
      };
    const out: { status: 'ok'; username: string; userId?: number } = { status: 'ok', username };
    const id = Number(res.headers['x-auserid']);
    if (res.headers['x-auserid'] && Number.isInteger(id)) out.userId = id;
    return out;
  }

  /** `GET /rest/api/1.0/users/{slug}`. */
  async getUser(auth: Auth, slug: string): Promise<ApiResult<{ user: BitbucketUser }>> {
    const res = await this.get(auth, `/rest/api/1.0/users/${enc(slug)}`);
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const user = parseUser(res.json);
    return user ? { status: 'ok', user } : this.badBody(res);
  }

  /** Finds a user by exact name (case-insensitive) through `users?filter=`; for names whose slug differs. */
  async findUserByName(auth: Auth, name: string): Promise<ApiResult<{ user: BitbucketUser }>> {
    const res = await this.get(auth, '/rest/api/1.0/users', { filter: name, limit: '25' });
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const page = parsePage(res.json);
    if (!page) return this.badBody(res);
    const user = page.values.map(parseUser).find((u) => u?.name.toLowerCase() === name.toLowerCase());
    return user ? { status: 'ok', user } : { status: 'not-found', httpStatus: 200, message: `no user named ${name}` };
  }

  /** `GET /rest/api/1.0/projects/{key}/repos/{slug}` (404 missing, 401 not visible). */
  async getRepo(auth: Auth, projectKey: string, slug: string): Promise<ApiResult<{ repo: BitbucketRepo }>> {
    const res = await this.get(auth, `/rest/api/1.0/projects/${enc(projectKey)}/repos/${enc(slug)}`);
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const repo = parseRepo(res.json);
    return repo ? { status: 'ok', repo } : this.badBody(res);
  }

  /**
   * Whether `auth` may push to the repository, via `GET /rest/api/1.0/repos?projectkey&name&permission=REPO_WRITE`.
   * `name` matches case-insensitively and the repository's name may differ from its slug, so slugs are
   * compared exactly and, when the slug finds nothing, the repository's real name is looked up and tried.
   * At most {@link MAX_PAGES} pages in all (docs/classifier.md, "Time and pages"). The repository
   * itself answers 401 when the caller may not read it and 404 only when it does not exist
   * (docs/bitbucket-server.md section 7): the first is `writable: false`, the second `missing`.
   */
  async canWrite(auth: Auth, projectKey: string, slug: string): Promise<PermissionResult> {
    const pages = { left: MAX_PAGES };
    const first = await this.writableWithName(auth, projectKey, slug, slug, 'REPO_WRITE', pages);
    if (first.status !== 'ok' || first.writable !== false) return first;
    const repo = await this.getRepo(auth, projectKey, slug);
    if (repo.status === 'unauthorized') return { status: 'ok', writable: false };
    if (repo.status === 'not-found')
      return { status: 'missing', message: `${projectKey}/${slug} does not exist on ${this.baseUrl}` };
    if (repo.status === 'network' && repo.network === 'timeout')
      return {
        status: 'ok',
        writable: undefined,
        unchecked: `${this.timeSpent()} before the repository's name was read`,
      };
    if (repo.status !== 'ok') return repo;
    if (repo.repo.name.toLowerCase() === slug.toLowerCase()) return first;
    return this.writableWithName(auth, projectKey, slug, repo.repo.name, 'REPO_WRITE', pages);
  }

  /**
   * The first repositories `GET /rest/api/1.0/repos?permission=REPO_READ` shows `auth`: anonymous
   * callers always get an empty page (docs/bitbucket-server.md section 7), so any hit proves the
   * credential authenticates. Empty on any failure.
   */
  async visibleRepositories(auth: Auth, limit = 5): Promise<Array<{ projectKey: string; slug: string }>> {
    const res = await this.get(auth, '/rest/api/1.0/repos', { permission: 'REPO_READ', limit: String(limit) });
    if (!res.ok || res.status !== 200) return [];
    return (parsePage(res.json)?.values ?? [])
      .map(parseRepo)
      .flatMap((r) => (r ? [{ projectKey: r.projectKey, slug: r.slug }] : []));
  }

  /**
   * Whether `auth` may read the repository (`writable` then means readable), through the same
   * `repos?permission=REPO_READ` filter. An anonymous caller always gets an empty page there
   * (docs/bitbucket-server.md section 7), so a hit proves that the credential authenticates even
   * when the server names no user for it.
   */
  async canRead(auth: Auth, projectKey: string, slug: string): Promise<PermissionResult> {
    return this.writableWithName(auth, projectKey, slug, slug, 'REPO_READ', { left: MAX_PAGES });
  }

  private async writableWithName(
    auth: Auth,
    key: string,
    slug: string,
    name: string,
    permission: 'REPO_WRITE' | 'REPO_READ',
    pages: { left: number },
  ): Promise<PermissionResult> {
    let start = 0;
    let read = 0;
    for (;;) {
      if (pages.left <= 0)
        return {
          status: 'ok',
          writable: undefined,
          unchecked: `stopped after ${MAX_PAGES} pages of ${PAGE_LIMIT} repositories named like '${name}' (the page cap)`,
        };
      pages.left--;
      const query = {
        projectkey: key,
        name,
        permission,
        start: String(start),
        limit: String(PAGE_LIMIT),
      };
      const res = await this.get(auth, '/rest/api/1.0/repos', query);
      if (!res.ok && res.error === 'timeout')
        return {
          status: 'ok',
          writable: undefined,
          unchecked: `${this.timeSpent()} after ${read} page${read === 1 ? '' : 's'} of repositories named like '${name}'`,
        };
      if (!res.ok || res.status !== 200) return this.failure(res, auth);
      read++;
      const page = parsePage(res.json);
      if (!page) return this.badBody(res);
      const hit = page.values
        .map(parseRepo)
        .some((r) => r?.slug.toLowerCase() === slug.toLowerCase() && r.projectKey.toUpperCase() === key.toUpperCase());
      if (hit) return { status: 'ok', writable: true };
      if (page.isLastPage || page.nextPageStart === undefined) return { status: 'ok', writable: false };
      start = page.nextPageStart;
    }
  }

  /** How the time budget ran out, for "left unchecked" messages. */
  private timeSpent(): string {
    return this.opts.deadline !== undefined && Date.now() >= this.opts.deadline - 5
      ? 'the time budget (--timeout) ran out'
      : 'a request timed out';
  }

  /**
   * Whether the repository has a commit: `GET /rest/api/latest/projects/{key}/repos/{slug}/commits/{id}`
   * (docs/bitbucket-server.md section 7). 200 with that commit: `present`; 404 naming the commit
   * (not the repository): not present. Anything else, a 404 for the repository included, is a
   * failure: it says nothing about the commit.
   */
  async hasCommit(auth: Auth, projectKey: string, slug: string, id: string): Promise<ApiResult<{ present: boolean }>> {
    const path = `/rest/api/latest/projects/${enc(projectKey)}/repos/${enc(slug)}/commits/${enc(id)}`;
    const res = await this.get(auth, path);
    if (res.ok && res.status === 404 && isNoSuchCommit(toFailure(res))) return { status: 'ok', present: false };
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const got = (res.json as { id?: unknown } | undefined)?.id;
    return typeof got === 'string' && got.toLowerCase() === id.toLowerCase()
      ? { status: 'ok', present: true }
      : this.badBody(res);
  }

  /** Best-effort `GET /rest/access-tokens/1.0/{owner}/{id}`: name, permissions, expiry. */
  async getAccessToken(auth: Auth, owner: TokenOwner, id: string): Promise<ApiResult<{ token: AccessTokenInfo }>> {
    const base =
      'user' in owner
        ? `users/${enc(owner.user)}`
        : 'repo' in owner
          ? `projects/${enc(owner.project)}/repos/${enc(owner.repo)}`
          : `projects/${enc(owner.project)}`;
    const res = await this.get(auth, `/rest/access-tokens/1.0/${base}/${enc(id)}`);
    if (!res.ok || res.status !== 200) return this.failure(res, auth);
    const token = parseAccessToken(res.json);
    return token ? { status: 'ok', token } : this.badBody(res);
  }

  private get(auth: Auth, path: string, query?: Record<string, string>): Promise<HttpResult> {
    return this.send(auth, 'GET', path, query);
  }

  /**
   * One request under `/rest` with the 429 policy: wait Retry-After (5 s fallback, capped), at most
   * maxRetries429 times. Any other answer, a 401 above all, is returned as it is, never retried.
   * `body` is sent as JSON. `verdict`: this request checks the credentials themselves, so a 401
   * authentication failure of a Basic secret is remembered (see refusals.ts); other calls' 401s
   * may be about permission or a lock that came meanwhile, and are not.
   */
  async send(
    auth: Auth,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    query?: Record<string, string>,
    body?: unknown,
    verdict = false,
  ): Promise<HttpResult> {
    const url = this.baseUrl + path + (query ? '?' + new URLSearchParams(query).toString() : '');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent ?? PROGRAM,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth.scheme === 'basic') {
      const refused = this.opts.refusals?.refusedAt(auth.secret);
      if (refused !== undefined) return notRetried(refused, this.opts.refusals?.where);
      headers.Authorization = 'Basic ' + Buffer.from(`${auth.username}:${auth.secret}`, 'utf8').toString('base64');
    }
    if (auth.scheme === 'bearer') headers.Authorization = `Bearer ${auth.secret}`;
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let attempt = 0; ; attempt++) {
      const perRequest = this.opts.timeoutMs ?? 10_000;
      const left = this.opts.deadline === undefined ? perRequest : this.opts.deadline - Date.now();
      if (left <= 0)
        return { ok: false, error: 'timeout', message: `not sent: the time budget for ${this.baseUrl} was spent` };
      const res = await httpRequest({
        url,
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs: Math.min(perRequest, left),
        settings: this.opts.settings,
        cleartextAllowed: this.opts.allowHttp === true,
      });
      if (verdict && auth.scheme === 'basic' && refusedCredentials(res))
        this.opts.refusals?.remember(auth.secret, new URL(this.baseUrl).host, Date.now());
      if (!res.ok || res.status !== 429 || attempt >= (this.opts.maxRetries429 ?? 2)) return res;
      const wait = retryDelayMs(res.headers['retry-after'], Date.now());
      if (wait > (this.opts.maxRetryWaitMs ?? 30_000)) return res;
      if (this.opts.deadline !== undefined && Date.now() + wait >= this.opts.deadline) return res;
      await sleep(wait);
    }
  }

  /** A failure value for a response or transport error, with the credentials redacted from its message. */
  failure(res: HttpResult, auth: Auth): ApiFailure {
    const secret = auth.scheme === 'none' ? undefined : auth.secret;
    return redactFailure(toFailure(res), secret, auth.scheme === 'basic' ? auth.username : undefined);
  }

  /** The failure for a 200 whose body is not the expected shape. */
  badBody(res: Ok): ApiFailure {
    const html = /^\s*text\/html\b/i.test(res.headers['content-type'] ?? '');
    return {
      status: 'error',
      httpStatus: res.status,
      message: html
        ? `${this.baseUrl} answered with an HTML page, not Bitbucket's REST API (HTTP ${res.status}): a sign-in page of a proxy in front of the server? Check the URL, or ask its administrator how scripts reach the API`
        : `unexpected response body from ${this.baseUrl} (HTTP ${res.status})`,
    };
  }
}

/** A 401 that was not sent: the server refused this secret as Basic before (remembered in `where`). */
function notRetried(at: number, where: string | undefined): HttpResult {
  const message =
    `not tried again: the server refused this token with Basic authentication on ${utcMinute(at)} ` +
    `(one failed attempt at most, so the account is not locked; remembered in ${where ?? 'the refusal memory'}); log in with a new token`;
  const body = JSON.stringify({ errors: [{ message }] });
  return { ok: true, status: 401, headers: {}, body, json: JSON.parse(body) as unknown };
}

/** A moment to the minute, for messages: `2026-01-02 13:45 UTC`. */
export function utcMinute(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Bitbucket's 404 for a commit the repository does not have: `NoSuchCommitException`, or
 * `NoSuchChangesetException` on older servers (docs/bitbucket-server.md section 7).
 */
function isNoSuchCommit(f: ApiFailure): boolean {
  return /\.NoSuch(Commit|Changeset)Exception$/.test(f.exception ?? '');
}

/**
 * A refusal of the credentials themselves: a 401 that is not about permission (Bitbucket answers
 * missing permission with 401 AuthorisationException, docs/bitbucket-server.md section 7). A
 * CAPTCHA lock is not one: it refuses correct credentials too, until the user solves it (section 2).
 */
function refusedCredentials(res: HttpResult): boolean {
  if (!res.ok || res.status !== 401) return false;
  const f = toFailure(res);
  return f.status === 'unauthorized' && !/Authori[sz]ation/i.test(f.exception ?? '');
}
