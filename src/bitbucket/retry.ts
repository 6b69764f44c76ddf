/** Pure 429 policy helpers. */

/** Wait used when a 429 carries no usable Retry-After (Atlassian's own Jenkins plugin uses 5 s). */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * Milliseconds to wait for a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110
 * section 10.2.3); {@link DEFAULT_RETRY_AFTER_MS} when missing or unreadable; never negative.
 */
export function retryDelayMs(header: string | undefined, now: number): number {
  return retryAfterMs(header, now) ?? DEFAULT_RETRY_AFTER_MS;
}

/**
 * The longest wait a `Retry-After` is taken at: anything longer (a server or proxy asking for
 * centuries) is held to it, and {@link retryWhen} calls it "more than a year".
 */
export const MAX_RETRY_AFTER_MS = 366 * 86_400_000;

/**
 * The wait a `Retry-After` value asks for, in ms, at most {@link MAX_RETRY_AFTER_MS}; undefined
 * when it is missing or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  // HTTP dates always name a weekday or month; this keeps Date.parse from reading '-3' as a year.
  const date = /[A-Za-z]{3}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/**
 * When to try again, for a person: `in 45 s`, `in 60 min (at 14:15 UTC)`, the date too beyond a
 * day, `in more than a year` from {@link MAX_RETRY_AFTER_MS} on (or for a wait that is not a
 * number). Rounded up, so that the time named is never too early.
 */
export function retryWhen(waitMs: number, now: number): string {
  if (!(waitMs < MAX_RETRY_AFTER_MS)) return 'in more than a year';
  const s = Math.ceil(Math.max(0, waitMs) / 1000);
  if (s < 120) return `in ${s} s`;
  const at = new Date(now + waitMs + 59_999).toISOString();
  const clock = s < 86_400 ? `${at.slice(11, 16)} UTC` : `${at.slice(0, 10)} ${at.slice(11, 16)} UTC`;
  const span = s < 7_200 ? `${Math.ceil(s / 60)} min` : `${Math.ceil(s / 3600)} h`;
  return `in ${span} (at ${clock})`;
}
