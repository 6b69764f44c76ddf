// Token-lifecycle behaviour of the emulator (docs/bitbucket-server.md sections 5 and 10): the admin's
// maximum expiry for new tokens, and the login options a client reads to know whether a password
// can be used at all (SSO).
import { sendJson, type Ctx } from './http-util.js';
import { ERRORS } from './render.js';
import type { Switches } from './types.js';

/**
 * The field error for an expiry the admin does not allow, or undefined when it is fine. With a
 * maximum set, a token must expire, within that many days. [unsure: the exact wording; clients read
 * the number from it]
 */
export function expiryLimitError(expiryDays: unknown, switches: Switches): object | undefined {
  const max = switches.tokenMaxExpiryDays;
  if (max === 0) return undefined;
  if (typeof expiryDays === 'number' && expiryDays <= max) return undefined;
  return ERRORS.invalid(
    'expiryDays',
    `Access tokens must expire within ${max} days; the administrator enforces this maximum.`,
  );
}

/** `GET /rest/authconfig/1.0/login-options` (no authentication needed). */
export function handleLoginOptions(ctx: Ctx): void {
  if (ctx.req.method !== 'GET') {
    return sendJson(ctx.res, 405, ERRORS.invalid(null, `Method ${ctx.req.method} is not supported here.`));
  }
  const results =
    ctx.state.switches.loginOptions === 'idp'
      ? [{ type: 'IDP', id: 1, name: 'Example SSO', loginUrl: `${ctx.base}/plugins/servlet/external-login/1` }]
      : [{ type: 'LOGIN_FORM' }];
  sendJson(ctx.res, 200, { results });
}
