/**
 * What a server may tell us, checked where it enters (docs/bitbucket-server.md describes the
 * shapes): a hostile or broken server must not be able to damage the store (a user name with a
 * line break), crash a command (a date of 1e300) or switch a check off (an expiry of -1e300).
 * Values that fail are dropped, as if the server had not sent them.
 */

/** C0 and C1 controls and DEL: never part of a name. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest name kept (Bitbucket's own limit for user names is 255). */
export const MAX_NAME = 255;

/** A name, display name, e-mail, token name or type: text without controls, 1..max characters. */
export function serverText(v: unknown, max = MAX_NAME): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max && !CONTROL.test(v) ? v : undefined;
}

/** Largest time JavaScript dates hold (epoch ms). */
const MAX_TIME = 8.64e15;

/** A point in time in epoch ms: a finite number from 1970 to the end of JavaScript's date range. */
export function serverTime(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIME ? v : undefined;
}

/** A count of days (token lifetimes): a whole number from 0 to 100 000. */
export function serverDays(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100_000 ? v : undefined;
}

/** A permission name such as `REPO_WRITE`. */
export function serverPermission(v: unknown): string | undefined {
  return typeof v === 'string' && /^[A-Z][A-Z_]{0,63}$/.test(v) ? v : undefined;
}
