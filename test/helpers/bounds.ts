/**
 * Bounded-time assertions that hold on a busy machine. A test compares how long something took
 * with the timeout it was given, with a wide margin (timeout 1 s: it ended within 10 s), never
 * with a tight wall-clock number: a loaded 2-core machine starts Node in seconds, not
 * milliseconds. How fast things are belongs in `npm run bench`.
 */
import { LOCK_TIMEOUT_MS } from '../../src/settings.js';

/** The margin over a configured timeout. */
export const MARGIN = 10;

/** The upper bound for work given `timeoutMs`. */
export function bound(timeoutMs: number): number {
  return timeoutMs * MARGIN;
}

/**
 * For "answers at once" checks of work that has no timeout of its own: the only wait it could
 * hang on is the store lock's, so it must end well within that (and within the test's timeout).
 */
export const NO_WAIT_MS = LOCK_TIMEOUT_MS / 3;
