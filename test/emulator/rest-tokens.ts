// `/rest/access-tokens/{1.0,latest}/...`: the access-token API for users, projects and
// repositories (docs/bitbucket-server.md section 5).
import { readJson, sendEmpty, sendJson, type Ctx } from './http-util.js';
import type { Token, TokenScope, User } from './model.js';
import { checkTokenPermissions } from './permissions.js';
import { ERRORS, page, pageParams, renderToken } from './render.js';
import { expiryLimitError } from './token-lifecycle.js';
import { storeToken } from './tokens.js';
import type { Permission } from './types.js';

type Op = 'list' | 'create' | 'read' | 'update' | 'delete';
interface Target {
  scope: TokenScope;
  owner?: User;
}

const OPS: Record<string, [Op, Op]> = {
  GET: ['list', 'read'],
  PUT: ['create', 'create'],
  POST: ['update', 'update'],
  DELETE: ['delete', 'delete'],
};

/** Handles an access-token API request; `sub` is the path after `/rest/access-tokens/1.0`. */
export async function handleAccessTokens(ctx: Ctx, sub: string): Promise<void> {
  const m = /^\/(?:users\/([^/]+)|projects\/([^/]+)(?:\/repos\/([^/]+))?)(?:\/(\d+))?$/.exec(sub);
  const ops = OPS[ctx.req.method ?? ''];
  if (!m) return sendJson(ctx.res, 404, ERRORS.notFound());
  const tokenId = m[4];
  if (!ops || (tokenId === undefined ? ops[0] === 'update' || ops[0] === 'delete' : ops[1] === 'create')) {
    return sendJson(ctx.res, 405, ERRORS.invalid(null, `Method ${ctx.req.method} is not supported here.`));
  }
  const op = tokenId === undefined ? ops[0] : ops[1];
  if (!ctx.principal) return sendJson(ctx.res, 401, ERRORS.authRequired());
  const [userSlug, projectKey, repoSlug] = [m[1], m[2], m[3]].map((s) =>
    s === undefined ? undefined : decodeURIComponent(s),
  );
  const target = resolveTarget(ctx, userSlug, projectKey, repoSlug);
  if (!target) return;
  if (!permitted(ctx, target, op, tokenId)) return sendJson(ctx.res, 401, ERRORS.notPermitted());
  const { model, switches } = ctx.state;
  if (op === 'list') {
    const { start, limit } = pageParams(ctx.query);
    const all = model.tokensOf(target.scope, target.owner).map((t) => renderToken(t, ctx.base, switches));
    return sendJson(ctx.res, 200, page(all, start, limit));
  }
  if (op === 'create') return createToken(ctx, target);
  const token = model.tokensOf(target.scope, target.owner).find((t) => t.id === tokenId);
  if (!token) return sendJson(ctx.res, 404, ERRORS.noToken(tokenId ?? ''));
  if (op === 'read') return sendJson(ctx.res, 200, renderToken(token, ctx.base, switches));
  if (op === 'delete') {
    token.revoked = true;
    return sendEmpty(ctx.res, 204);
  }
  return updateToken(ctx, token, target);
}

function resolveTarget(ctx: Ctx, userSlug?: string, projectKey?: string, repoSlug?: string): Target | undefined {
  const { model } = ctx.state;
  if (userSlug !== undefined) {
    const owner = model.userBySlug(userSlug);
    if (!owner || owner.type !== 'NORMAL') return void sendJson(ctx.res, 404, ERRORS.noUser(userSlug));
    return { scope: { kind: 'user' }, owner };
  }
  const project = model.project(projectKey ?? '');
  if (!project) return void sendJson(ctx.res, 404, ERRORS.noProject(projectKey ?? ''));
  if (repoSlug === undefined) return { scope: { kind: 'project', project } };
  const repo = model.repo(project.key, repoSlug);
  if (!repo) return void sendJson(ctx.res, 404, ERRORS.noRepo());
  return { scope: { kind: 'repo', repo } };
}

/** Tokens cannot manage tokens (only read their own entry, if switched on); users need admin rights. */
function permitted(ctx: Ctx, target: Target, op: Op, tokenId?: string): boolean {
  const p = ctx.principal;
  if (!p) return false;
  if (p.token) {
    if (op !== 'read' || !ctx.state.switches.tokenCanReadOwnEntry || p.token.id !== tokenId) return false;
    return ctx.state.model.tokensOf(target.scope, target.owner).includes(p.token);
  }
  const { model } = ctx.state;
  switch (target.scope.kind) {
    case 'user':
      return p.user === target.owner || (p.user.admin && op !== 'create');
    case 'project':
      return model.projectLevel(p, target.scope.project) >= 3;
    case 'repo':
      return model.repoLevel(p, target.scope.repo) >= 3;
  }
}

function kindOf(scope: TokenScope): 'user' | 'project' | 'repo' {
  return scope.kind;
}

async function readObject(ctx: Ctx): Promise<Record<string, unknown> | undefined> {
  const body = await readJson(ctx.req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    sendJson(ctx.res, 400, ERRORS.invalid(null, 'The request body must be a JSON object.'));
    return undefined;
  }
  return body as Record<string, unknown>;
}

function badExpiry(v: unknown): boolean {
  return v !== undefined && v !== null && (typeof v !== 'number' || !Number.isInteger(v) || v < 1);
}

async function createToken(ctx: Ctx, target: Target): Promise<void> {
  const body = await readObject(ctx);
  if (!body) return;
  const { model, switches } = ctx.state;
  if (typeof body.name !== 'string' || body.name.trim() === '') {
    return sendJson(ctx.res, 400, ERRORS.invalid('name', 'A name is required for the access token.'));
  }
  const problem = checkTokenPermissions(body.permissions, kindOf(target.scope));
  if (problem) return sendJson(ctx.res, 400, ERRORS.invalid('permissions', problem));
  if (badExpiry(body.expiryDays))
    return sendJson(ctx.res, 400, ERRORS.invalid('expiryDays', 'expiryDays must be a positive whole number of days.'));
  const tooLong = expiryLimitError(body.expiryDays, switches);
  if (tooLong) return sendJson(ctx.res, 400, tooLong);
  if (model.tokensOf(target.scope, target.owner).length >= switches.maxTokensPerOwner) {
    return sendJson(
      ctx.res,
      400,
      ERRORS.invalid(null, `The maximum number of access tokens (${switches.maxTokensPerOwner}) has been reached.`),
    );
  }
  const token = storeToken(model, {
    scope: target.scope,
    owner: target.owner,
    name: body.name,
    permissions: body.permissions as Permission[],
    createdDate: ctx.state.now(),
    expiryDays: typeof body.expiryDays === 'number' ? body.expiryDays : undefined,
  });
  sendJson(ctx.res, 200, renderToken(token, ctx.base, switches, true));
}

async function updateToken(ctx: Ctx, token: Token, target: Target): Promise<void> {
  const body = await readObject(ctx);
  if (!body) return;
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.trim() === '')) {
    return sendJson(ctx.res, 400, ERRORS.invalid('name', 'The name of an access token cannot be empty.'));
  }
  if (body.permissions !== undefined) {
    const problem = checkTokenPermissions(body.permissions, kindOf(target.scope));
    if (problem) return sendJson(ctx.res, 400, ERRORS.invalid('permissions', problem));
  }
  if (body.expiryDays !== undefined && body.expiryDays !== token.expiryDays) {
    return sendJson(ctx.res, 400, ERRORS.invalid('expiryDays', 'The expiry of an access token cannot be changed.'));
  }
  if (typeof body.name === 'string') token.name = body.name;
  if (Array.isArray(body.permissions)) token.permissions = [...(body.permissions as Permission[])];
  sendJson(ctx.res, 200, renderToken(token, ctx.base, ctx.state.switches));
}
