/**
 * Waits the user can see: on a terminal, a wait longer than about a second shows one line on
 * stderr saying what it waits for (updated each second, erased when the wait ends); nothing at
 * all when stderr is not a terminal, so scripts and logs never see it.
 */
import type { CommandIO } from './io.js';

/** How long a wait stays silent. */
export const PROGRESS_AFTER_MS = 1000;

const CLEAR_LINE = '\r\x1b[K';

/** Resolves like `work`; shows `… waiting for <what> (Ns)` while it takes longer than a second. */
export async function waitingFor<T>(io: CommandIO, what: string, work: Promise<T>): Promise<T> {
  if (!io.stderrIsTTY) return work;
  const started = Date.now();
  let shown = false;
  const show = (): void => {
    shown = true;
    io.stderr(`${CLEAR_LINE}… waiting for ${what} (${Math.round((Date.now() - started) / 1000)} s)`);
  };
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    show();
    ticker = setInterval(show, 1000);
  }, PROGRESS_AFTER_MS);
  try {
    return await work;
  } finally {
    clearTimeout(first);
    clearInterval(ticker);
    if (shown) io.stderr(CLEAR_LINE);
  }
}

/** How many accounts `status` and `doctor` check at once. */
export const CONCURRENT_CHECKS = 4;

/** `Promise.all(items.map(fn))` with at most `limit` calls in flight; results in the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
