/**
 * The personal access-token lifecycle calls (docs/bitbucket-server.md section 5): create, list and
 * revoke a user's tokens, and the login options that say whether a password can be used at all
 * (section 10). A token cannot manage tokens, so these calls carry the account password as Basic;
 * the caller sends it once per step and never retries a refusal (failed attempts lead to a CAPTCHA).
 */
import type { ApiFailure, ApiResult, Auth, BitbucketClient } from './client.js';
import { parseAccessToken, parsePage, type AccessTokenInfo } from './model.js';

const enc = encodeURIComponent;
const MAX_PAGES = 20;

/** What to create. */
export interface NewTokenRequest {
  name: string;
  permissions: string[];
  expiryDays: number;
}

/** A 400 from the token API: `context` names the refused field (null: the request as a whole). */
export interface FieldError {
  status: 'field-error';
  context: string | null;
  message: string;
  /** The request was refused because the user already has the maximum number of tokens. */
  maxTokens: boolean;
  /** For an `expiryDays` refusal: the largest expiry the server names, when it names one. */
  maxExpiryDays?: number;
}

/** `PUT /rest/access-tokens/1.0/users/{slug}`: the new token's entry and its raw value. */
export async function createAccessToken(
  client: BitbucketClient,
  auth: Auth,
  userSlug: string,
  req: NewTokenRequest,
): Promise<ApiResult<{ token: AccessTokenInfo; raw: string }> | FieldError> {
  const res = await client.send(auth, 'PUT', `/rest/access-tokens/1.0/users/${enc(userSlug)}`, undefined, req);
  if (res.ok && res.status === 400) return fieldError(res.json, client.failure(res, auth));
  if (!res.ok || res.status !== 200) return client.failure(res, auth);
  const token = parseAccessToken(res.json);
  const raw = (res.json as { token?: unknown } | undefined)?.token;
  if (!token || typeof raw !== 'string' || raw === '') return client.badBody(res);
  return { status: 'ok', token, raw };
}

/** `GET /rest/access-tokens/1.0/users/{slug}`, every page. */
export async function listAccessTokens(
  client: BitbucketClient,
  auth: Auth,
  userSlug: string,
): Promise<ApiResult<{ tokens: AccessTokenInfo[] }>> {
  const tokens: AccessTokenInfo[] = [];
  let start = 0;
  for (let i = 0; i < MAX_PAGES; i++) {
    const res = await client.send(auth, 'GET', `/rest/access-tokens/1.0/users/${enc(userSlug)}`, {
      start: String(start),
      limit: '100',
    });
    if (!res.ok || res.status !== 200) return client.failure(res, auth);
    const page = parsePage(res.json);
    if (!page) return client.badBody(res);
    for (const v of page.values) {
      const t = parseAccessToken(v);
      if (t) tokens.push(t);
    }
    if (page.isLastPage || page.nextPageStart === undefined) break;
    start = page.nextPageStart;
  }
  return { status: 'ok', tokens };
}

/** `DELETE /rest/access-tokens/1.0/users/{slug}/{id}` (204). */
export async function revokeAccessToken(
  client: BitbucketClient,
  auth: Auth,
  userSlug: string,
  tokenId: string,
): Promise<ApiResult<object>> {
  const res = await client.send(auth, 'DELETE', `/rest/access-tokens/1.0/users/${enc(userSlug)}/${enc(tokenId)}`);
  if (res.ok && (res.status === 204 || res.status === 200)) return { status: 'ok' };
  return client.failure(res, auth);
}

/**
 * `GET /rest/authconfig/1.0/login-options` (anonymous): `passwordLogin` is false when the server
 * lists an identity provider and no login form, i.e. accounts have no password to send (SSO only).
 * Servers without the endpoint are taken to allow passwords.
 */
export async function loginOptions(
  client: BitbucketClient,
): Promise<ApiResult<{ passwordLogin: boolean; types: string[] }>> {
  const res = await client.send({ scheme: 'none' }, 'GET', '/rest/authconfig/1.0/login-options');
  if (res.ok && res.status === 404) return { status: 'ok', passwordLogin: true, types: [] };
  if (!res.ok || res.status !== 200) return client.failure(res, { scheme: 'none' });
  const results = (res.json as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) return client.badBody(res);
  const types = results
    .map((r) => (typeof r === 'object' && r !== null ? (r as { type?: unknown }).type : undefined))
    .filter((t): t is string => typeof t === 'string');
  const passwordLogin = types.includes('LOGIN_FORM') || !types.includes('IDP');
  return { status: 'ok', passwordLogin, types };
}

/** Reads Bitbucket's `{"errors":[{"context","message"}]}` 400 body. */
export function fieldError(json: unknown, fallback: ApiFailure): FieldError {
  const errors = (json as { errors?: unknown } | undefined)?.errors;
  const first = Array.isArray(errors) ? (errors[0] as { context?: unknown; message?: unknown } | undefined) : undefined;
  const message = typeof first?.message === 'string' ? first.message : fallback.message;
  const context = typeof first?.context === 'string' ? first.context : null;
  const out: FieldError = {
    status: 'field-error',
    context,
    message,
    maxTokens: context === null && /maximum number of (access )?tokens/i.test(message),
  };
  const days = context === 'expiryDays' ? /(\d+)\s*days?/i.exec(message) : null;
  if (days) out.maxExpiryDays = Number(days[1]);
  return out;
}

/** Permission values and the rule a personal token's set must follow (section 5). */
const PROJECT_LEVELS = ['PROJECT_READ', 'PROJECT_WRITE', 'PROJECT_ADMIN'];
const REPO_LEVELS = ['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN'];

/**
 * Checks a personal token's permissions before anything is sent: known values, at most one of each
 * kind, at least one, no global `ADMIN`, and the repository level at least the project level.
 * Returns the problem in one sentence, or undefined.
 */
export function permissionProblem(permissions: string[]): string | undefined {
  if (permissions.length === 0) return 'give at least one permission, e.g. PROJECT_READ,REPO_WRITE';
  const unknown = permissions.filter((p) => !PROJECT_LEVELS.includes(p) && !REPO_LEVELS.includes(p));
  if (unknown.length > 0)
    return `unknown permission ${unknown.join(', ')} (known: ${[...PROJECT_LEVELS, ...REPO_LEVELS].join(', ')}; global ADMIN is refused)`;
  const project = permissions.filter((p) => PROJECT_LEVELS.includes(p));
  const repo = permissions.filter((p) => REPO_LEVELS.includes(p));
  if (project.length > 1 || repo.length > 1) return 'give at most one PROJECT_x and one REPO_x permission';
  const p = project[0] === undefined ? -1 : PROJECT_LEVELS.indexOf(project[0]);
  const r = repo[0] === undefined ? -1 : REPO_LEVELS.indexOf(repo[0]);
  if (r >= 0 && r < p)
    return `${repo[0]} is below ${project[0]}: a token's repository permission must be at least its project permission`;
  return undefined;
}
