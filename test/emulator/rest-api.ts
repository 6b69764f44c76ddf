// `/rest/api/{1.0,latest}/...`: application-properties, users, repositories and their commits
// (docs/bitbucket-server.md sections 3, 6, 7, 8).
import { getCommit } from './commits.js';
import { sendJson, type Ctx } from './http-util.js';
import type { Model, Principal, Repo } from './model.js';
import { parsePermission, type Level } from './permissions.js';
import { ERRORS, page, pageParams, renderRepo, renderUser } from './render.js';
import { emptyForAnonymousFilter, handleProjectLists, refusesUsersApi } from './variants.js';

/** Build number as Bitbucket derives it: 9.4.22 → 9004022. */
export function buildNumber(version: string): string {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  return String(major * 1_000_000 + minor * 1000 + patch);
}

/** Handles a REST API request; `sub` is the path after `/rest/api/1.0`. */
export function handleRestApi(ctx: Ctx, sub: string): void | Promise<void> {
  const { res, req } = ctx;
  if (req.method !== 'GET')
    return sendJson(res, 405, ERRORS.invalid(null, `Method ${req.method} is not supported here.`));
  if (sub === '/application-properties') {
    const version = ctx.state.switches.version;
    return sendJson(res, 200, {
      version,
      buildNumber: buildNumber(version),
      buildDate: '1783935727556',
      displayName: 'Bitbucket',
    });
  }
  if (!ctx.principal && sub !== '/repos' && !/^\/projects(\/[^/]+\/repos(\/[^/]+(\/commits\/[^/]+)?)?)?$/.test(sub)) {
    return sendJson(res, 401, ERRORS.authRequired());
  }
  if (refusesUsersApi(ctx.principal, sub, ctx.state.switches)) return sendJson(res, 401, ERRORS.notPermitted());
  if (handleProjectLists(ctx, sub)) return;
  if (sub === '/users') return listUsers(ctx);
  let m = /^\/users\/([^/]+)$/.exec(sub);
  if (m) return getUser(ctx, decodeURIComponent(m[1] as string));
  m = /^\/projects\/([^/]+)\/repos\/([^/]+)$/.exec(sub);
  if (m) return getRepo(ctx, decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string));
  m = /^\/projects\/([^/]+)\/repos\/([^/]+)\/commits\/([^/]+)$/.exec(sub);
  if (m) {
    const repo = readableRepo(ctx, decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string));
    return repo && getCommit(ctx, repo, decodeURIComponent(m[3] as string));
  }
  if (sub === '/repos') return listRepos(ctx);
  return sendJson(res, 404, ERRORS.notFound());
}

function listUsers(ctx: Ctx): void {
  const filter = (ctx.query.get('filter') ?? '').toLowerCase();
  const users = ctx.state.model.users.filter(
    (u) => u.type === 'NORMAL' && [u.name, u.displayName, u.email ?? ''].some((s) => s.toLowerCase().includes(filter)),
  );
  const { start, limit } = pageParams(ctx.query);
  sendJson(
    ctx.res,
    200,
    page(
      users.map((u) => renderUser(u, ctx.base)),
      start,
      limit,
    ),
  );
}

function getUser(ctx: Ctx, slug: string): void {
  const user = ctx.state.model.userBySlug(slug);
  if (!user) return sendJson(ctx.res, 404, ERRORS.noUser(slug));
  if (user.type === 'SERVICE') {
    const mode = ctx.state.switches.serviceUserLookup;
    if (mode === '404') return sendJson(ctx.res, 404, ERRORS.noUser(slug));
    if (mode === '401') return sendJson(ctx.res, 401, ERRORS.notPermitted());
  }
  sendJson(ctx.res, 200, renderUser(user, ctx.base));
}

function getRepo(ctx: Ctx, key: string, slug: string): void {
  const repo = readableRepo(ctx, key, slug);
  if (repo) sendJson(ctx.res, 200, renderRepo(repo, ctx.base, ctx.principal));
}

/** The repository when the caller may read it; else the 404 or 401 is sent and undefined returned. */
function readableRepo(ctx: Ctx, key: string, slug: string): Repo | undefined {
  const repo = ctx.state.model.repo(key, slug);
  if (!repo) return void sendJson(ctx.res, 404, ERRORS.noRepo());
  if (ctx.state.model.repoLevel(ctx.principal, repo) < 1)
    return void sendJson(ctx.res, 401, ctx.principal ? ERRORS.repoForbidden() : ERRORS.authRequired());
  return repo;
}

/** Level used by the `repos?permission=` filter; the token ceiling applies unless switched off. */
function filterLevel(model: Model, principal: Principal | undefined, repo: Repo, narrow: boolean): Level {
  if (!principal?.token || narrow) return model.repoLevel(principal, repo);
  return model.userRepoLevel(principal.user, repo);
}

function listRepos(ctx: Ctx): void {
  const q = ctx.query;
  const wanted = q.get('permission') ?? 'REPO_READ';
  const parsed = parsePermission(wanted);
  if (!parsed || parsed.scope !== 'REPO') {
    return sendJson(ctx.res, 400, ERRORS.invalid('permission', `${wanted} is not a valid repository permission.`));
  }
  const key = q.get('projectkey')?.toUpperCase();
  const name = q.get('name')?.trim().toLowerCase();
  const { model, switches } = ctx.state;
  const repos = model.repos.filter(
    (r) =>
      (key === undefined || r.project.key === key) &&
      (name === undefined || r.name.toLowerCase().includes(name)) &&
      filterLevel(model, ctx.principal, r, switches.tokenCeilingNarrowsRepoFilter) >= parsed.level,
  );
  const { start, limit } = pageParams(q);
  sendJson(
    ctx.res,
    200,
    page(
      (emptyForAnonymousFilter(ctx) ? [] : repos).map((r) => renderRepo(r, ctx.base, ctx.principal)),
      start,
      limit,
    ),
  );
}
