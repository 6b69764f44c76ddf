/**
 * The options `setup` and `unsetup` take: the scope of the config file they write, and
 * `--cache[=SECONDS]`, git's credential-cache put in front of this helper.
 */
import type { Scope } from '../git/credential-config.js';
import type { Program } from '../git/hooks.js';
import { CommandError, EXIT } from './shared/errors.js';

export interface SetupOptions {
  url?: string;
  global?: boolean;
  system?: boolean;
  local?: boolean;
  hook?: boolean;
  /** Where Node and the launcher are (default: this process's); tests name a Node wrapper. */
  program?: Program;
  /** `--cache[=SECONDS]`: git's credential-cache in front of this helper (true: the default time). */
  cache?: number | boolean;
}

/** `setup --cache` without a number: git's own default for credential-cache. */
export const DEFAULT_CACHE_SECONDS = 900;

/** The helper value `setup --cache` puts before ours. */
export function cacheHelper(seconds: number): string {
  return `cache --timeout=${seconds}`;
}

/** The value of `--cache[=SECONDS]` as given on the command line: true (no number), a number of seconds, or absent. */
export function cacheOption(v: unknown): number | boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === '') return true;
  const n = /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (Number.isSafeInteger(n) && n >= 1) return n;
  throw new CommandError(
    `--cache takes a number of seconds (1 or more), as --cache=${DEFAULT_CACHE_SECONDS}; got '${String(v)}'`,
    EXIT.usage,
  );
}

/** Seconds from `--cache[=SECONDS]`, undefined without the option. */
export function cacheSeconds(o: SetupOptions): number | undefined {
  if (o.cache === undefined || o.cache === false) return undefined;
  if (o.cache === true) return DEFAULT_CACHE_SECONDS;
  if (!Number.isSafeInteger(o.cache) || o.cache < 1)
    throw new CommandError('--cache takes a number of seconds (1 or more), e.g. --cache=900', EXIT.usage);
  return o.cache;
}

export function scopeOf(o: SetupOptions): Scope {
  const chosen = (['global', 'system', 'local'] as const).filter((s) => o[s]);
  if (chosen.length > 1) throw new CommandError('choose one of --global, --system, --local', EXIT.usage);
  return chosen[0] ?? 'global';
}
