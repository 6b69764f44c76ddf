// Authentication (docs/bitbucket-server.md section 2): Basic user:password, Basic user:personal-token,
// Bearer token; CAPTCHA lock after repeated Basic failures. No IO; time is passed in.
import { tokenUsable, type Model, type Principal } from './model.js';
import type { Switches } from './types.js';

/** Credentials as sent in the Authorization header. */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; secret: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed'; scheme: 'basic' | 'bearer' | 'other' };

/** Parses an Authorization header value. */
export function parseAuthorization(header: string | undefined): Credentials {
  if (!header) return { kind: 'none' };
  const m = /^(\S+)\s+(.*)$/.exec(header.trim());
  const scheme = m?.[1]?.toLowerCase();
  const value = m?.[2]?.trim() ?? '';
  if (scheme === 'bearer') return value ? { kind: 'bearer', token: value } : { kind: 'malformed', scheme: 'bearer' };
  if (scheme !== 'basic') return { kind: 'malformed', scheme: 'other' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed', scheme: 'basic' };
  return { kind: 'basic', username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Failed Basic attempts per username (case-insensitive) and the CAPTCHA lock. */
export class CaptchaTracker {
  private readonly failures = new Map<string, number>();
  constructor(private readonly threshold: () => number) {}

  locked(username: string): boolean {
    return (this.failures.get(username.toLowerCase()) ?? 0) >= this.threshold();
  }
  fail(username: string): void {
    const key = username.toLowerCase();
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }
  succeed(username: string): void {
    this.failures.delete(username.toLowerCase());
  }
  clear(username: string): void {
    this.failures.delete(username.toLowerCase());
  }
}

/** Outcome of authentication: a principal (undefined = anonymous) or a refusal. */
export type AuthOutcome = { ok: true; principal?: Principal } | { ok: false; reason: 'bad-credentials' | 'captcha' };

/** Inputs of `authenticate`. `tokensAllowed` is false outside `/rest` and `/scm`. */
export interface AuthInput {
  model: Model;
  captcha: CaptchaTracker;
  switches: Switches;
  creds: Credentials;
  now: number;
  tokensAllowed: boolean;
}

/** Authenticates a request. Marks a token's lastAuthenticated when it is used. */
export function authenticate({ model, captcha, switches, creds, now, tokensAllowed }: AuthInput): AuthOutcome {
  switch (creds.kind) {
    case 'none':
      return { ok: true };
    case 'malformed':
      return { ok: false, reason: 'bad-credentials' };
    case 'bearer': {
      const token = model.tokenByRaw(creds.token);
      if ((!token || token.revoked) && switches.unknownBearerAsAnonymous) return { ok: true };
      if (!token || !tokenUsable(token, now) || !tokensAllowed) return { ok: false, reason: 'bad-credentials' };
      token.lastAuthenticated = now;
      return { ok: true, principal: { user: token.user, via: 'token', token } };
    }
    case 'basic': {
      if (captcha.locked(creds.username)) return { ok: false, reason: 'captcha' };
      const user = model.userByName(creds.username);
      if (user && user.type === 'NORMAL' && user.password !== undefined && user.password === creds.secret) {
        captcha.succeed(creds.username);
        return { ok: true, principal: { user, via: 'password' } };
      }
      // Only personal tokens work with Basic, and only with their owner's name.
      const token = model.tokenByRaw(creds.secret);
      if (
        user &&
        token &&
        tokensAllowed &&
        token.scope.kind === 'user' &&
        token.user === user &&
        tokenUsable(token, now)
      ) {
        captcha.succeed(creds.username);
        token.lastAuthenticated = now;
        return { ok: true, principal: { user, via: 'token', token } };
      }
      captcha.fail(creds.username);
      return { ok: false, reason: 'bad-credentials' };
    }
  }
}
