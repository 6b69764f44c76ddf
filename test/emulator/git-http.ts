// Git smart HTTP under `/scm/{project}/{repo}.git/...`: Bitbucket's authorisation in front of the
// real `git http-backend`, run as a CGI (docs/bitbucket-server.md sections 2 and 7).
import { spawn } from 'node:child_process';
import { sendJson, type Ctx } from './http-util.js';
import { ERRORS, errorBody } from './render.js';
import { BACKEND_CONFIG_ENV, bareRepoRelPath } from './repos.js';

/** The challenge git needs before it asks its credential helpers. */
export const CHALLENGE = { 'WWW-Authenticate': 'Basic realm="Atlassian Bitbucket"' };

/** Level a git request needs: 2 for pushes (see the refuseReadOnlyPushAt switch), else 1. */
export function neededLevel(
  rest: string,
  query: URLSearchParams,
  method: string,
  pushAt: 'advertisement' | 'upload',
): 1 | 2 {
  const isPushPost = method === 'POST' && rest === '/git-receive-pack';
  const isPushAd = rest === '/info/refs' && query.get('service') === 'git-receive-pack';
  if (isPushPost) return 2;
  if (isPushAd) return pushAt === 'advertisement' ? 2 : 1;
  return 1;
}

/** Handles `/scm/...`; `sub` is the path after `/scm`. */
export function handleGit(ctx: Ctx): void {
  const m = /^\/scm\/([^/]+)\/([^/]+?)(?:\.git)?(\/.*)$/.exec(ctx.path);
  const repo = m && ctx.state.model.repo(decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string));
  if (!m || !repo)
    return sendJson(
      ctx.res,
      404,
      errorBody('Repository not found', 'com.atlassian.bitbucket.repository.NoSuchRepositoryException'),
    );
  const rest = m[3] as string;
  const method = ctx.req.method ?? 'GET';
  const needed = neededLevel(rest, ctx.query, method, ctx.state.switches.refuseReadOnlyPushAt);
  const level = ctx.state.model.repoLevel(ctx.principal, repo);
  if (level < needed) {
    if (!ctx.principal) return sendJson(ctx.res, 401, ERRORS.authRequired(), CHALLENGE);
    const message =
      needed === 2
        ? `You are not permitted to push to ${repo.project.key}/${repo.slug}: it needs write permission.`
        : `You are not permitted to read ${repo.project.key}/${repo.slug}.`;
    return sendJson(ctx.res, 403, errorBody(message, 'com.atlassian.bitbucket.AuthorisationException'));
  }
  runBackend(ctx, `/${bareRepoRelPath(repo.project.key, repo.slug)}${rest}`);
}

function runBackend(ctx: Ctx, pathInfo: string): void {
  const { req, res, state } = ctx;
  const h = req.headers;
  const env: NodeJS.ProcessEnv = {
    ...state.gitEnv,
    ...BACKEND_CONFIG_ENV,
    GIT_PROJECT_ROOT: state.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: ctx.query.toString(),
    CONTENT_TYPE: h['content-type'] ?? '',
    REMOTE_USER: ctx.principal?.user.name ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
  };
  if (h['content-length'] !== undefined) env.CONTENT_LENGTH = h['content-length'];
  if (typeof h['content-encoding'] === 'string') env.HTTP_CONTENT_ENCODING = h['content-encoding'];
  if (typeof h['git-protocol'] === 'string') env.GIT_PROTOCOL = h['git-protocol'];
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  state.children.add(child);
  child.on('exit', () => state.children.delete(child));
  child.on('error', () => {
    if (!res.headersSent) sendJson(res, 502, errorBody('git http-backend failed to start', null));
  });
  req.pipe(child.stdin).on('error', () => undefined);
  res.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) return void res.write(chunk);
    head = Buffer.concat([head, chunk]);
    const parsed = parseCgiHead(head);
    if (!parsed) return;
    headersDone = true;
    res.writeHead(parsed.status, parsed.headers);
    if (parsed.body.length > 0) res.write(parsed.body);
  });
  child.stdout.on('end', () => {
    if (!headersDone) sendJson(res, 502, errorBody('git http-backend sent no response', null));
    else res.end();
  });
}

/** Splits CGI output into status, headers and the start of the body; undefined until complete. */
export function parseCgiHead(
  buf: Buffer,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf : lf;
  if (end < 0) return undefined;
  const sep = end === crlf ? 4 : 2;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of buf.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, body: buf.subarray(end + sep) };
}
