/**
 * The pre-push policy: one level per check, read from git config `bitbucket.<check>` with
 * per-URL overrides (`bitbucket.https://host/.<check>`), as resolved by git's URL matching.
 * Pure: takes the resolved `bitbucket.*` entries (lower-cased keys), returns the policy and
 * any problems found (a bad value falls back to the default and is reported, never fatal).
 */

import {
  CHECKS,
  DEFAULT_LEVELS,
  ENABLED_KEY,
  LEVELS,
  NUMBERS,
  parseGitBool,
  type CheckName,
  type Level,
} from '../settings.js';

export interface Policy {
  levels: Record<CheckName, Level>;
  /** Warn when the token expires within this many days. */
  expiryDays: number;
  /** Bound for the whole check, network included. */
  timeoutMs: number;
  /** How long server facts are reused; 0 disables the cache. */
  cacheTtlSec: number;
  /** `bitbucket.enabled`: true/false forces the guard on/off for the URL; undefined = decide. */
  enabled?: boolean;
}

/** The policy when nothing is configured (defaults in src/settings.ts). */
export const DEFAULT_POLICY: Policy = {
  levels: { ...DEFAULT_LEVELS },
  expiryDays: NUMBERS.expiryDays.default,
  timeoutMs: NUMBERS.timeoutMs.default,
  cacheTtlSec: NUMBERS.cacheTtlSec.default,
};

/** Reads the policy from url-matched `bitbucket.*` entries. */
export function parsePolicy(config: ReadonlyMap<string, string | null>): { policy: Policy; problems: string[] } {
  const policy: Policy = { ...DEFAULT_POLICY, levels: { ...DEFAULT_POLICY.levels } };
  const problems: string[] = [];
  for (const check of CHECKS) {
    const key = `bitbucket.${check.toLowerCase()}`;
    if (!config.has(key)) continue;
    const raw = (config.get(key) ?? '').trim().toLowerCase();
    if ((LEVELS as readonly string[]).includes(raw)) policy.levels[check] = raw as Level;
    else
      problems.push(`bitbucket.${check} is '${raw}': expected off, note, warn or block; using ${policy.levels[check]}`);
  }
  for (const [field, spec] of Object.entries(NUMBERS) as Array<
    [keyof typeof NUMBERS, (typeof NUMBERS)[keyof typeof NUMBERS]]
  >) {
    const key = spec.key.toLowerCase();
    if (!config.has(key)) continue;
    const raw = (config.get(key) ?? '').trim();
    const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (n >= spec.min && n <= spec.max) policy[field] = n;
    else
      problems.push(
        `${spec.key} is '${raw}': expected a whole number from ${spec.min} to ${spec.max}; using ${policy[field]}`,
      );
  }
  const enabledKey = ENABLED_KEY.toLowerCase();
  if (config.has(enabledKey)) {
    const b = parseGitBool(config.get(enabledKey) ?? null);
    if (b === undefined) problems.push(`${ENABLED_KEY} is '${config.get(enabledKey)}': expected true or false`);
    else policy.enabled = b;
  }
  return { policy, problems };
}

/** The config key a user sets to change one check, for messages. */
export function configKey(check: CheckName): string {
  return `bitbucket.${check}`;
}
