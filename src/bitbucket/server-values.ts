/**
 * What a server may tell us, checked where it enters (docs/bitbucket-server.md describes the
 * shapes): a hostile or broken server must not be able to damage the store (a user name with a
 * line break), crash a command (a date of 1e300) or switch a check off (an expiry of -1e300).
 * Values that fail are dropped, as if the server had not sent them, and named in one note
 * (`ignoredNote`, printed by every command).
 */
import { visible } from '../visible.js';

/** C0 and C1 controls and DEL: never part of a name. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Longest name kept (Bitbucket's own limit for user names is 255). */
export const MAX_NAME = 255;

/**
 * What was dropped in this process, for one note (see ignoredNote): `what` names the field,
 * the value is shown shortened with its controls made visible. A value that is absent (undefined
 * or null) is not a drop.
 */
const dropped: string[] = [];

function drop(what: string | undefined, v: unknown, why: string): undefined {
  if (what === undefined || v === undefined || v === null) return undefined;
  const text = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const short = visible(text.length > 40 ? `${text.slice(0, 40)}…` : text);
  const shown = typeof v === 'string' ? `"${short}"` : short;
  const item = `${what} ${shown} (${why})`;
  if (!dropped.includes(item)) dropped.push(item);
  return undefined;
}

/**
 * One line saying which server values were ignored since the last call (and forgetting them),
 * or undefined when none were: commands print it, so a value never vanishes silently.
 */
export function ignoredNote(): string | undefined {
  if (dropped.length === 0) return undefined;
  const items = dropped.splice(0);
  return `note: ignored what the server sent as ${items.join('; ')}; the rest of its answer was used\n`;
}

/** A name, display name, e-mail, token name or type: text without controls, 1..max characters. */
export function serverText(v: unknown, max = MAX_NAME, what?: string): string | undefined {
  if (typeof v !== 'string') return drop(what, v, 'not text');
  if (v.length === 0) return undefined;
  if (v.length > max) return drop(what, v, `longer than ${max} characters`);
  if (CONTROL.test(v)) return drop(what, v, 'control characters');
  return v;
}

/** Longest error message quoted from a server; a longer one is cut, ending in {@link CUT}. */
export const MAX_MESSAGE = 300;
/** Ends a message that was cut. */
export const CUT = '…';

/**
 * An error message from the server (`errors[0].message`): text, cut to {@link MAX_MESSAGE}
 * characters with an ellipsis rather than dropped, since it is often the only explanation there is.
 * Its control characters stay (`--json` keeps the server's words); every terminal line shows them
 * made visible (src/visible.ts).
 */
export function serverMessage(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return undefined;
  if (v.length <= MAX_MESSAGE) return v;
  // never half of a surrogate pair at the cut
  const end = /[\uDC00-\uDFFF]/.test(v.charAt(MAX_MESSAGE)) ? MAX_MESSAGE - 1 : MAX_MESSAGE;
  return `${v.slice(0, end)}${CUT}`;
}

/** Largest time JavaScript dates hold (epoch ms). */
const MAX_TIME = 8.64e15;

/** A point in time in epoch ms: a finite number from 1970 to the end of JavaScript's date range. */
export function serverTime(v: unknown, what?: string): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= MAX_TIME
    ? v
    : drop(what, v, 'not a time in range');
}

/** A count of days (token lifetimes): a whole number from 0 to 100 000. */
export function serverDays(v: unknown, what?: string): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 100_000
    ? v
    : drop(what, v, 'not a whole number of days from 0 to 100000');
}

/** A permission name such as `REPO_WRITE`. */
export function serverPermission(v: unknown, what?: string): string | undefined {
  return typeof v === 'string' && /^[A-Z][A-Z_]{0,63}$/.test(v) ? v : drop(what, v, 'not a permission name');
}
