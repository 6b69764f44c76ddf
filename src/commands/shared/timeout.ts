/**
 * `--timeout`, as every command that talks to the server takes it: seconds, one definition, one
 * range. Node's timers hold at most 2^31-1 ms (about 24.8 days); beyond that a timer fires after
 * 1 ms with a warning, so an unchecked large value would make every request time out at once.
 * `bitbucket.timeout` in git config has its own range (docs/configuration.md).
 */
import type { Options } from 'yargs';
import { CommandError, EXIT } from './errors.js';

/** Seconds: a tenth of a second to a day. */
export const TIMEOUT_SECONDS = { min: 0.1, max: 86_400 } as const;

/**
 * The `--timeout` option: `describe` says what the seconds cover (each request, or all together);
 * `seconds` is the default, none where the command falls back to git config.
 */
export function timeoutOption(describe: string, seconds?: number): Options {
  return {
    type: 'number',
    ...(seconds !== undefined ? { default: seconds } : {}),
    describe: `${describe} (${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max})`,
  };
}

/**
 * `--timeout` as a timed-out request names it (`HttpRequest.timeoutNamed`): the seconds the user
 * set and the option, what to raise, rather than what was left of them when the request went out.
 */
export function namedTimeout(seconds: number): string {
  return `${seconds} s (--timeout)`;
}

/** A usage error for a `--timeout` outside the range, NaN or not a number; checked before anything runs. */
export function checkTimeout(value: unknown): void {
  if (typeof value === 'number' && value >= TIMEOUT_SECONDS.min && value <= TIMEOUT_SECONDS.max) return;
  const got = typeof value === 'number' && Number.isFinite(value) ? ` (got ${value})` : '';
  throw new CommandError(
    `--timeout needs a number of seconds from ${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max}${got}`,
    EXIT.usage,
  );
}
