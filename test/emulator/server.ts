// The request pipeline: context path, admin endpoints, faults, authentication, then REST, git or
// the few other pages (docs/bitbucket-server.md sections 1, 2 and 9).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin } from './admin.js';
import { authenticate, parseAuthorization } from './auth.js';
import { actOut, holdAnswer } from './faults.js';
import { CHALLENGE, handleGit } from './git-http.js';
import { LOGIN_PAGE, sendHtml, sendJson, type Ctx, type State } from './http-util.js';
import { ERRORS } from './render.js';
import { handleRestApi } from './rest-api.js';
import { handleAccessTokens } from './rest-tokens.js';
import { handleLoginOptions } from './token-lifecycle.js';
import type { LogEntry } from './types.js';
import { gitService, sendCaptchaPacket, userHeaders } from './variants.js';

let requestCounter = 0;

/** A Bitbucket-like request id, e.g. `@1K2Q7Zx1093x12x0`. */
function requestId(): string {
  requestCounter += 1;
  return `@${randomBytes(4).toString('hex').toUpperCase()}x${Math.floor(Date.now() / 60000) % 1440}x${requestCounter}x0`;
}

/** Returns the Node request listener for the given state, context path and base URL getter. */
export function makeHandler(state: State, context: string, base: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res, state, context, base()).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, ERRORS.invalid(null, `Emulator error: ${(err as Error).message}`));
      else res.destroy();
    });
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  state: State,
  context: string,
  base: string,
): Promise<void> {
  res.setHeader('X-AREQUESTID', requestId());
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const fullPath = url.pathname;
  // outside the context path only a front's redirect acts (and is logged); else a 404
  const outside = context !== '' && fullPath !== context && !fullPath.startsWith(`${context}/`);
  const front = outside ? state.faults.take(req.method ?? 'GET', fullPath, 'redirect') : undefined;
  if (outside && !front?.fault) return sendJson(res, 404, ERRORS.notFound());
  const path = fullPath.slice(context.length) || '/';
  if (!outside && path.startsWith('/__emulator/'))
    return handleAdmin(req, res, path.slice('/__emulator'.length), state);

  const creds = parseAuthorization(req.headers.authorization);
  const entry: LogEntry = {
    time: state.now(),
    method: req.method ?? 'GET',
    path: fullPath,
    query: url.search.replace(/^\?/, ''),
    auth:
      creds.kind === 'basic' || (creds.kind === 'malformed' && creds.scheme === 'basic')
        ? 'basic'
        : creds.kind === 'bearer' || (creds.kind === 'malformed' && creds.scheme === 'bearer')
          ? 'bearer'
          : 'none',
    status: 0,
  };
  state.log.push(entry);
  // Record the status as soon as it is sent, so the log is right even before the body is read.
  const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    entry.status = args[0] as number;
    return writeHead(...args);
  }) as typeof res.writeHead;

  const taken = front ?? state.faults.take(entry.method, fullPath);
  if (taken.latency) entry.fault = 'latency';
  if (taken.latencyMs > 0) await new Promise((r) => setTimeout(r, taken.latencyMs));
  if (taken.fault) {
    entry.fault = taken.fault.kind;
    if (taken.fault.kind !== 'afterHandling') return void actOut(taken.fault, res, base);
    holdAnswer(taken.fault, res, base);
  }

  // The login page is served whatever the credentials, so followed redirects land on HTML.
  if (path === '/login') return sendHtml(res, 200, LOGIN_PAGE);
  const area = path.startsWith('/rest/') ? 'rest' : path.startsWith('/scm/') ? 'scm' : 'other';
  // Since 8.9.22/8.19.12/9.3.2 tokens are accepted only under /rest and /scm.
  if (area === 'other' && entry.auth === 'bearer') {
    res.writeHead(302, { Location: `${base}/login`, 'Content-Length': 0 });
    return void res.end();
  }
  if (area === 'rest' && entry.auth === 'basic' && state.switches.basicAuthDisabled) {
    return sendJson(res, 403, ERRORS.basicDisabled());
  }
  const outcome = authenticate({
    model: state.model,
    captcha: state.captcha,
    switches: state.switches,
    creds,
    now: state.now(),
    tokensAllowed: area !== 'other',
  });
  if (!outcome.ok) {
    if (outcome.reason === 'captcha' && area === 'scm' && state.switches.captchaOnGit === 'error-packet')
      return sendCaptchaPacket(res, gitService(path, url.searchParams));
    const body = outcome.reason === 'captcha' ? ERRORS.captcha() : ERRORS.badCredentials();
    return sendJson(res, 401, body, area === 'scm' ? CHALLENGE : {});
  }
  const principal = outcome.principal;
  if (principal) {
    entry.user = principal.user.name;
    entry.via = principal.via;
    for (const [name, value] of Object.entries(userHeaders(principal, state.switches))) res.setHeader(name, value);
  }
  const ctx: Ctx = { req, res, base, path, query: url.searchParams, principal, state };
  if (area === 'scm') return handleGit(ctx);
  const api = /^\/rest\/api\/(?:1\.0|latest)(\/.*)$/.exec(path);
  if (api) return handleRestApi(ctx, api[1] as string);
  const tokens = /^\/rest\/access-tokens\/(?:1\.0|latest)(\/.*)$/.exec(path);
  if (tokens) return handleAccessTokens(ctx, tokens[1] as string);
  if (path === '/rest/authconfig/1.0/login-options') return handleLoginOptions(ctx);
  if (area === 'rest') return sendJson(res, 404, ERRORS.notFound());
  return handleOther(ctx);
}

/** `applinks/whoami` (a page outside /rest where tokens are refused). */
function handleOther(ctx: Ctx): void {
  if (ctx.path === '/plugins/servlet/applinks/whoami') {
    const name = ctx.principal?.user.name ?? '';
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain;charset=UTF-8', 'Content-Length': Buffer.byteLength(name) });
    return void ctx.res.end(name);
  }
  if (ctx.path === '/' || ctx.path === '') {
    ctx.res.writeHead(302, { Location: `${ctx.base}/login`, 'Content-Length': 0 });
    return void ctx.res.end();
  }
  sendHtml(ctx.res, 404, '<!DOCTYPE html><html><body><h1>Page not found</h1></body></html>');
}
