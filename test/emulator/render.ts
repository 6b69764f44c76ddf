// JSON shapes as real Bitbucket servers send them (docs/bitbucket-server.md sections 2, 3, 5-8). Pure.
import type { Principal, Project, Repo, Token, User } from './model.js';
import type { Switches } from './types.js';

/** `{"errors":[{context,message,exceptionName}]}`. */
export function errorBody(message: string, exceptionName: string | null, context: string | null = null): object {
  return { errors: [{ context, message, exceptionName }] };
}

/** Standard error bodies. */
export const ERRORS = {
  badCredentials: () =>
    errorBody(
      'Authentication failed. Please check your credentials and try again.',
      'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
    ),
  authRequired: () =>
    errorBody(
      'You are not permitted to access this resource',
      'com.atlassian.bitbucket.auth.AuthenticationRequiredException',
    ),
  captcha: () =>
    errorBody(
      'CAPTCHA required. Your Bitbucket account has been locked after too many failed login attempts; log in through the web interface to unlock it.',
      'com.atlassian.bitbucket.auth.CaptchaRequiredAuthenticationException',
    ),
  notPermitted: () =>
    errorBody('You are not permitted to access this resource', 'com.atlassian.bitbucket.AuthorisationException'),
  basicDisabled: () =>
    errorBody(
      'Basic authentication is not permitted for REST API requests on this server.',
      'com.atlassian.bitbucket.AuthorisationException',
    ),
  noRepo: () =>
    errorBody(
      'The specified repository does not exist',
      'com.atlassian.bitbucket.repository.NoSuchRepositoryException',
    ),
  repoForbidden: () =>
    errorBody(
      'The currently authenticated user has insufficient permissions to see the specified repository',
      'com.atlassian.bitbucket.AuthorisationException',
    ),
  noUser: (slug: string) =>
    errorBody(`User ${slug} does not exist.`, 'com.atlassian.bitbucket.user.NoSuchUserException'),
  noProject: (key: string) =>
    errorBody(`Project ${key} does not exist.`, 'com.atlassian.bitbucket.project.NoSuchProjectException'),
  noToken: (id: string) =>
    errorBody(`No access token exists with ID ${id}.`, 'com.atlassian.bitbucket.NoSuchEntityException'),
  notFound: () => errorBody('The requested resource does not exist.', 'com.atlassian.bitbucket.NoSuchEntityException'),
  invalid: (context: string | null, message: string) => errorBody(message, null, context),
} as const;

/** The user object of `GET users/{slug}`; SERVICE users have no email and a `/bots/` link. */
export function renderUser(u: User, base: string): object {
  const common = { name: u.name, id: u.id, displayName: u.displayName, active: true, slug: u.slug, type: u.type };
  if (u.type === 'SERVICE') return { ...common, links: { self: [{ href: `${base}/bots/${u.slug}` }] } };
  return {
    name: u.name,
    emailAddress: u.email,
    id: u.id,
    displayName: u.displayName,
    active: true,
    slug: u.slug,
    type: u.type,
    links: { self: [{ href: `${base}/users/${u.slug}` }] },
  };
}

/** The project object embedded in repositories. */
export function renderProject(p: Project, base: string): object {
  const href = p.type === 'PERSONAL' && p.owner ? `${base}/users/${p.owner.slug}` : `${base}/projects/${p.key}`;
  const out: Record<string, unknown> = { key: p.key, id: p.id, name: p.name, public: p.public, type: p.type };
  if (p.owner) out.owner = renderUser(p.owner, base);
  out.links = { self: [{ href }] };
  return out;
}

/** The repository object, with http (carrying the caller's name) and ssh clone links. */
export function renderRepo(r: Repo, base: string, principal: Principal | undefined): object {
  const url = new URL(base);
  const path = `${r.project.key.toLowerCase()}/${r.slug}.git`;
  const ssh = `ssh://git@${url.hostname}:7999/${path}`;
  if (principal && principal.user.type === 'NORMAL') url.username = encodeURIComponent(principal.user.slug);
  const http = `${url.href.replace(/\/$/, '')}/scm/${path}`;
  return {
    slug: r.slug,
    id: r.id,
    name: r.name,
    hierarchyId: `${r.id.toString(16).padStart(20, '0')}`,
    scmId: 'git',
    state: 'AVAILABLE',
    statusMessage: 'Available',
    forkable: true,
    project: renderProject(r.project, base),
    public: r.public,
    links: {
      clone: [
        { href: http, name: 'http' },
        { href: ssh, name: 'ssh' },
      ],
      self: [{ href: `${base}/projects/${r.project.key}/repos/${r.slug}/browse` }],
    },
  };
}

/** A token object; `withRaw` adds the raw `token` (create response only). */
export function renderToken(t: Token, base: string, switches: Switches, withRaw = false): object {
  const out: Record<string, unknown> = { id: t.id, createdDate: t.createdDate };
  if (t.lastAuthenticated !== undefined) out.lastAuthenticated = t.lastAuthenticated;
  if (t.expiryDays !== undefined) out.expiryDays = t.expiryDays;
  if (switches.exposeExpiryDate && t.expiresAt !== undefined) out.expiryDate = t.expiresAt;
  out.name = t.name;
  out.permissions = [...t.permissions];
  out.user = renderUser(t.user, base);
  if (withRaw) out.token = t.raw;
  return out;
}

/** Paging envelope; `nextPageStart` only when this is not the last page. */
export function page<T>(all: readonly T[], start: number, limit: number): object {
  const values = all.slice(start, start + limit);
  const isLastPage = start + values.length >= all.length;
  const out: Record<string, unknown> = { size: values.length, limit, isLastPage, start, values };
  if (!isLastPage) out.nextPageStart = start + values.length;
  return out;
}

/** Reads `start`/`limit` query parameters (limit 25 by default, at most 1000). */
export function pageParams(q: URLSearchParams): { start: number; limit: number } {
  const start = Math.max(0, Number.parseInt(q.get('start') ?? '0', 10) || 0);
  const limit = Math.min(1000, Math.max(1, Number.parseInt(q.get('limit') ?? '25', 10) || 25));
  return { start, limit };
}
