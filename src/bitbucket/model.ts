/**
 * Pure readers for Bitbucket REST bodies (users, repositories, access tokens, pages, error lists).
 * They accept `unknown` and return typed values or undefined; shapes follow docs/bitbucket-server.md.
 * Names, dates and permissions pass the checks of server-values.ts or are dropped.
 */
import { serverDays, serverMessage, serverPermission, serverText, serverTime } from './server-values.js';

/** Token permissions that allow pushing (a project permission applies to every repository in it). */
export const WRITE_PERMISSIONS: readonly string[] = ['REPO_WRITE', 'REPO_ADMIN', 'PROJECT_WRITE', 'PROJECT_ADMIN'];

/** A user as `GET /rest/api/1.0/users/{slug}` describes it. */
export interface BitbucketUser {
  name: string;
  slug: string;
  id?: number;
  displayName?: string;
  email?: string;
  type?: string;
  active?: boolean;
  /** First `links.self` href; `/bots/` marks a service user. */
  selfUrl?: string;
}

/** A repository as `GET /rest/api/1.0/projects/{key}/repos/{slug}` describes it. */
export interface BitbucketRepo {
  slug: string;
  name: string;
  id?: number;
  projectKey: string;
  public?: boolean;
  cloneUrls: { name: string; href: string }[];
}

/** An access-token entry (never includes the raw token). */
export interface AccessTokenInfo {
  id: string;
  name: string;
  permissions: string[];
  /** epoch ms */
  createdDate?: number;
  expiryDays?: number;
  /** epoch ms, only if the server sends it */
  expiryDate?: number;
  /** epoch ms */
  lastAuthenticated?: number;
  /** expiryDate, or createdDate + expiryDays days; undefined when the token never expires. */
  expiresAt?: number;
}

/** One page of a paged REST collection. */
export interface Page {
  values: unknown[];
  isLastPage: boolean;
  nextPageStart?: number;
}

const DAY_MS = 86_400_000;

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function assignDefined<T extends object>(target: T, extra: Partial<T>): T {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  return target;
}

/** Reads a user object; undefined without `name`. */
export function parseUser(json: unknown): BitbucketUser | undefined {
  const o = obj(json);
  const name = serverText(o?.name, undefined, 'user name');
  if (!o || name === undefined) return undefined;
  const selfLinks = obj(o.links)?.self;
  const firstSelf = Array.isArray(selfLinks) ? obj(selfLinks[0]) : undefined;
  return assignDefined<BitbucketUser>(
    { name, slug: serverText(o.slug, undefined, 'user slug') ?? name },
    {
      id: num(o.id),
      displayName: serverText(o.displayName, undefined, 'display name'),
      email: serverText(o.emailAddress, undefined, 'e-mail address'),
      type: serverText(o.type, 32, 'user type'),
      active: typeof o.active === 'boolean' ? o.active : undefined,
      selfUrl: str(firstSelf?.href),
    },
  );
}

/** Reads a repository object; undefined without slug and project key. */
export function parseRepo(json: unknown): BitbucketRepo | undefined {
  const o = obj(json);
  const slug = str(o?.slug);
  const projectKey = str(obj(o?.project)?.key);
  if (!o || slug === undefined || projectKey === undefined) return undefined;
  const clone = obj(o.links)?.clone;
  const cloneUrls = (Array.isArray(clone) ? clone : [])
    .map((c) => ({ name: str(obj(c)?.name) ?? '', href: str(obj(c)?.href) ?? '' }))
    .filter((c) => c.href !== '');
  return assignDefined<BitbucketRepo>(
    { slug, name: str(o.name) ?? slug, projectKey, cloneUrls },
    {
      id: num(o.id),
      public: typeof o.public === 'boolean' ? o.public : undefined,
    },
  );
}

/** Reads an access-token entry and computes `expiresAt`. Drops any raw `token` field. */
export function parseAccessToken(json: unknown): AccessTokenInfo | undefined {
  const o = obj(json);
  const id = typeof o?.id === 'number' ? String(o.id).padStart(12, '0') : str(o?.id);
  if (!o || id === undefined) return undefined;
  const permissions = Array.isArray(o.permissions)
    ? o.permissions.map((p) => serverPermission(p, 'token permission')).filter((p): p is string => p !== undefined)
    : [];
  const info = assignDefined<AccessTokenInfo>(
    { id, name: serverText(o.name, undefined, 'token name') ?? '', permissions },
    {
      createdDate: serverTime(o.createdDate, 'token createdDate'),
      expiryDays: serverDays(o.expiryDays, 'token expiryDays'),
      expiryDate: serverTime(o.expiryDate, 'token expiryDate'),
      lastAuthenticated: serverTime(o.lastAuthenticated, 'token lastAuthenticated'),
    },
  );
  const expiresAt = computeExpiry(info);
  if (expiresAt !== undefined) info.expiresAt = expiresAt;
  return info;
}

/** `expiryDate` if present, else `createdDate + expiryDays * 86400000`. */
export function computeExpiry(
  t: Pick<AccessTokenInfo, 'createdDate' | 'expiryDays' | 'expiryDate'>,
): number | undefined {
  if (t.expiryDate !== undefined) return t.expiryDate;
  if (t.createdDate !== undefined && t.expiryDays !== undefined)
    return serverTime(t.createdDate + t.expiryDays * DAY_MS);
  return undefined;
}

/** Reads a paged response; undefined when `values` is missing. */
export function parsePage(json: unknown): Page | undefined {
  const o = obj(json);
  if (!o || !Array.isArray(o.values)) return undefined;
  const page: Page = { values: o.values, isLastPage: o.isLastPage !== false };
  const next = num(o.nextPageStart);
  if (next !== undefined) page.nextPageStart = next;
  return page;
}

/** First entry of Bitbucket's `{"errors":[{message, exceptionName}]}`; empty when absent. */
export function parseErrors(json: unknown): { message?: string; exceptionName?: string } {
  const first = obj(Array.isArray(obj(json)?.errors) ? (obj(json)!.errors as unknown[])[0] : undefined);
  return assignDefined<{ message?: string; exceptionName?: string }>(
    {},
    {
      message: serverMessage(first?.message),
      exceptionName: str(first?.exceptionName),
    },
  );
}
