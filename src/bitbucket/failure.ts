/**
 * Pure mapping of HTTP outcomes to the client's failure values (docs/bitbucket-server.md sections 2, 7, 9):
 * Bitbucket answers most permission problems with 401, and a CAPTCHA lock with a named exception.
 */
import type { HttpResult } from './http.js';
import { parseErrors } from './model.js';
import { DEFAULT_RETRY_AFTER_MS, retryAfterMs as retryAfter, retryWhen } from './retry.js';
import { CUT, serverMessage } from './server-values.js';

/** Kinds of failure. `unauthorized` is Bitbucket's 401: bad credentials *or* insufficient permission. */
export type FailureStatus =
  'unauthorized' | 'captcha' | 'forbidden' | 'not-found' | 'rate-limited' | 'network' | 'error';

/** An expected failure. `message` never contains credentials. */
export interface ApiFailure {
  status: FailureStatus;
  message: string;
  httpStatus?: number;
  /** Bitbucket's exception name, e.g. `com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException`. */
  exception?: string;
  /** Set when status is `network`. */
  network?: Extract<HttpResult, { ok: false }>['error'];
  /** The socket or TLS error code behind a `network` failure (ENOTFOUND, ECONNREFUSED, a certificate code…). */
  networkCode?: string;
  /**
   * A redirect's `Location` as the server sent it (it may be relative, or carry user info or a
   * query): to compare with the address asked, never to print whole.
   */
  location?: string;
  /** A `network` failure for a host the server's certificate does not name: the names it holds. */
  certNames?: string;
  retryAfterMs?: number;
}

/**
 * True when a refused "who am I" does not say the credentials are wrong: an answer as to an
 * anonymous caller, or a permission refusal rather than an authentication failure. Servers may
 * treat project and repository tokens so (docs/bitbucket-server.md section 12).
 */
export function notAnAuthenticationFailure(f: ApiFailure): boolean {
  return f.status === 'unauthorized' && !/AuthenticationException$/.test(f.exception ?? '');
}

/** Maps a non-200 response or a transport failure to an {@link ApiFailure}. */
export function toFailure(res: HttpResult): ApiFailure {
  if (!res.ok)
    return {
      status: 'network',
      network: res.error,
      message: res.message,
      ...(res.code !== undefined ? { networkCode: res.code } : {}),
      ...(res.certNames !== undefined ? { certNames: res.certNames } : {}),
    };
  const { message, exceptionName } = parseErrors(res.json);
  const base = { httpStatus: res.status, ...(exceptionName ? { exception: exceptionName } : {}) };
  const text = message ?? `HTTP ${res.status}`;
  const captcha =
    /CaptchaRequired/i.test(exceptionName ?? '') ||
    /CAPTCHA/i.test(res.headers['x-authentication-denied-reason'] ?? '');
  if ((res.status === 401 || res.status === 403) && captcha) {
    return {
      ...base,
      status: 'captcha',
      message: 'Bitbucket requires a CAPTCHA for this user: log in once in the browser (or ask an admin) to clear it',
    };
  }
  if (res.status === 401) return { ...base, status: 'unauthorized', message: text };
  if (res.status === 403) return { ...base, status: 'forbidden', message: text };
  if (res.status === 404) return { ...base, status: 'not-found', message: text };
  if (res.status === 429) {
    const now = Date.now();
    const asked = retryAfter(res.headers['retry-after'], now);
    const when = asked === undefined ? '' : `; it asks to try again ${retryWhen(asked, now)}`;
    return {
      ...base,
      status: 'rate-limited',
      retryAfterMs: asked ?? DEFAULT_RETRY_AFTER_MS,
      message: `rate limited by Bitbucket (HTTP 429)${when}`,
    };
  }
  if (res.status >= 300 && res.status < 400) {
    // never followed (a token goes only to the server it was given for): named, so that a moved
    // server, an http-to-https switch or a sign-in page can be told apart
    const target = redirectTarget(res.headers.location);
    return {
      ...base,
      status: 'error',
      message: `unexpected redirect (HTTP ${res.status}), possibly to a login page${target ? `: it points to ${target}` : ''}`,
      ...(res.headers.location ? { location: res.headers.location } : {}),
    };
  }
  return { ...base, status: 'error', message: `${text}${message ? ` (HTTP ${res.status})` : ''}` };
}

/**
 * Where a redirect points, for a message: the scheme, host and path of its `Location` (a relative
 * one as its path), never user info, query or fragment; cut as a server message is. Undefined
 * without one.
 */
function redirectTarget(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const here = 'http://relative.invalid';
  let u: URL;
  try {
    u = new URL(location, here);
  } catch {
    return undefined;
  }
  return serverMessage(u.origin === here ? u.pathname : `${u.protocol}//${u.host}${u.pathname}`);
}

/**
 * Removes a secret from a failure's message: as it is, in the base64 forms a Basic header
 * carries (`user:secret`, or the secret's own base64 when a server echoes part of one), and each
 * of those URL-encoded or percent-encoded (upper- or lower-case hex, every byte or only the
 * reserved ones) as a server or gateway echoing a request URL or form may print them.
 */
export function redactFailure(f: ApiFailure, secret: string | undefined, username?: string): ApiFailure {
  if (!secret) return f;
  return { ...f, message: redactSecret(f.message, secret, username) };
}

/** {@link redactFailure} for any text. */
export function redactSecret(text: string, secret: string, username?: string): string {
  const raw = [secret, Buffer.from(secret).toString('base64')];
  if (username !== undefined) raw.push(Buffer.from(`${username}:${secret}`).toString('base64'));
  const forms = new Set<string>();
  for (const r of raw) {
    const reserved = encodeURIComponent(r);
    const every = [...Buffer.from(r, 'utf8')].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
    for (const form of [r, reserved, every]) {
      forms.add(form);
      forms.add(form.replace(/%[0-9A-F]{2}/gi, (m) => m.toUpperCase()));
      forms.add(form.replace(/%[0-9A-F]{2}/gi, (m) => m.toLowerCase()));
    }
  }
  // longest first, so that a form containing another is removed whole
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  let out = text;
  for (const form of sorted) out = out.split(form).join('[redacted]');
  return out
    .split(CUT)
    .map((part, i, all) => (i < all.length - 1 ? cutTail(part, sorted) : part))
    .join(CUT);
}

/** A message cut short (serverMessage) may end inside a secret: the start of any form before the cut goes too. */
function cutTail(text: string, forms: readonly string[]): string {
  for (const form of forms)
    for (let k = Math.min(form.length - 1, text.length); k >= 4; k--)
      if (text.endsWith(form.slice(0, k))) return `${text.slice(0, -k)}[redacted]`;
  return text;
}
