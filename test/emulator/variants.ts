// Server variants: where captured responses differ from Atlassian's API description, and the
// points nobody has published (docs/bitbucket-server.md section 12). Each is a switch; the
// request pipeline (server.ts, rest-api.ts) asks these functions.
import type { ServerResponse } from 'node:http';
import { sendJson, type Ctx } from './http-util.js';
import type { Principal } from './model.js';
import { ERRORS, page, pageParams, renderProject, renderRepo } from './render.js';
import type { Switches } from './types.js';

/** A project or repository token: its user is the token's generated SERVICE user. */
function isBotToken(principal: Principal): boolean {
  return principal.token !== undefined && principal.token.scope.kind !== 'user';
}

/**
 * `X-AUSERID`/`X-AUSERNAME` for an authenticated request: the name URL-encoded as captured
 * (`userHeaderEncoding=url`), none for project/repository tokens with `projectTokenUserHeader=absent`.
 */
export function userHeaders(principal: Principal, switches: Switches): Record<string, string> {
  if (isBotToken(principal) && switches.projectTokenUserHeader === 'absent') return {};
  const name = principal.user.name;
  return {
    'X-AUSERID': String(principal.user.id),
    'X-AUSERNAME': switches.userHeaderEncoding === 'url' ? encodeURIComponent(name) : name,
  };
}

/** `projectTokenUsersApi=401`: `/rest/api/1.0/users…` refuses project and repository tokens. */
export function refusesUsersApi(principal: Principal | undefined, sub: string, switches: Switches): boolean {
  return (
    principal !== undefined &&
    isBotToken(principal) &&
    switches.projectTokenUsersApi === '401' &&
    (sub === '/users' || sub.startsWith('/users/'))
  );
}

/** The text Bitbucket sends with a CAPTCHA lock (jenkinsci/stashnotifier-plugin#263). */
export const CAPTCHA_TEXT =
  'Your Bitbucket account has been locked. To unlock it and log in again you must solve a CAPTCHA. ' +
  'This is typically caused by too many attempts to login with an incorrect password. The account lock ' +
  'prevents your SCM client from accessing Bitbucket and its mirrors until it is solved, even if you enter ' +
  'your password correctly.';

/** One smart-HTTP pkt-line. */
function pkt(text: string): string {
  return (Buffer.byteLength(text) + 4).toString(16).padStart(4, '0') + text;
}

/**
 * A CAPTCHA lock on git over HTTP (`captchaOnGit=error-packet`): 200 with the service's
 * advertisement type and an `ERR` packet, so git prints `fatal: remote error: CAPTCHA required`
 * and the text, and, having had no 401, does not call the helper's `erase` (desktop/desktop#14680).
 */
export function sendCaptchaPacket(res: ServerResponse, service: string): void {
  const body = `${pkt(`# service=${service}\n`)}0000${pkt(`ERR CAPTCHA required\n${CAPTCHA_TEXT}\n`)}`;
  res.writeHead(200, {
    'Content-Type': `application/x-${service}-advertisement`,
    'Cache-Control': 'no-cache',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The git service a `/scm/...` request is for. */
export function gitService(path: string, query: URLSearchParams): string {
  const q = query.get('service');
  if (q === 'git-upload-pack' || q === 'git-receive-pack') return q;
  return path.endsWith('/git-receive-pack') ? 'git-receive-pack' : 'git-upload-pack';
}

/**
 * Anonymous `repos?permission=…` is "guaranteed to receive an empty list" (Atlassian's API
 * description, `getRepositories`) unless `anonymousPermissionFilter=public`.
 */
export function emptyForAnonymousFilter(ctx: Ctx): boolean {
  return !ctx.principal && ctx.query.has('permission') && ctx.state.switches.anonymousPermissionFilter === 'empty';
}

/**
 * `GET /projects` and `GET /projects/{key}/repos`: paged lists of what the caller can see
 * (docs/bitbucket-server.md sections 6 and 7). False when `sub` is neither.
 */
export function handleProjectLists(ctx: Ctx, sub: string): boolean {
  const { model } = ctx.state;
  const { start, limit } = pageParams(ctx.query);
  if (sub === '/projects') {
    const visible = model.projects.filter(
      (p) =>
        p.type === 'NORMAL' &&
        (p.public ||
          model.repos.some((r) => r.project === p && model.repoLevel(ctx.principal, r) >= 1) ||
          model.projectLevel(ctx.principal, p) >= 1),
    );
    sendJson(
      ctx.res,
      200,
      page(
        visible.map((p) => renderProject(p, ctx.base)),
        start,
        limit,
      ),
    );
    return true;
  }
  const m = /^\/projects\/([^/]+)\/repos$/.exec(sub);
  if (!m) return false;
  const project = model.project(decodeURIComponent(m[1] as string));
  if (!project) {
    sendJson(ctx.res, 404, ERRORS.noProject(decodeURIComponent(m[1] as string)));
    return true;
  }
  const repos = model.repos.filter((r) => r.project === project && model.repoLevel(ctx.principal, r) >= 1);
  sendJson(
    ctx.res,
    200,
    page(
      repos.map((r) => renderRepo(r, ctx.base, ctx.principal)),
      start,
      limit,
    ),
  );
  return true;
}
