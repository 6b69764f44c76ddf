/** Pure 429 policy helpers. */

/** Wait used when a 429 carries no usable Retry-After (Atlassian's own Jenkins plugin uses 5 s). */
export const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * Milliseconds to wait for a `Retry-After` value: delta-seconds or an HTTP date (RFC 9110
 * section 10.2.3); {@link DEFAULT_RETRY_AFTER_MS} when missing or unreadable; never negative.
 */
export function retryDelayMs(header: string | undefined, now: number): number {
  const value = header?.trim();
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // HTTP dates always name a weekday or month; this keeps Date.parse from reading '-3' as a year.
  const date = /[A-Za-z]{3}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(date)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(0, date - now);
}
