/**
 * The pre-push policy: one level per check, read from git config `bitbucket.<check>` with
 * per-URL overrides (`bitbucket.https://host/.<check>`), as resolved by git's URL matching.
 * Pure: takes the resolved `bitbucket.*` entries (lower-cased keys), returns the policy and
 * any problems found (a bad value falls back to the default and is reported, never fatal).
 */

import { parseGitBool } from '../git/config.js';

export type Level = 'off' | 'warn' | 'block';

/** Check names as they appear in git config (`bitbucket.<name>`). */
export const CHECKS = ['projectToken', 'identity', 'writePermission', 'expiry', 'unreachable'] as const;
export type CheckName = (typeof CHECKS)[number];

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

export const DEFAULT_POLICY: Policy = {
  levels: { projectToken: 'warn', identity: 'warn', writePermission: 'block', expiry: 'block', unreachable: 'warn' },
  expiryDays: 7,
  timeoutMs: 3000,
  cacheTtlSec: 900,
};

const NUMBERS = {
  expiryDays: { key: 'bitbucket.expirydays', min: 0, max: 3650 },
  timeoutMs: { key: 'bitbucket.timeout', min: 100, max: 120_000 },
  cacheTtlSec: { key: 'bitbucket.cachettl', min: 0, max: 30 * 86_400 },
} as const;

/** Reads the policy from url-matched `bitbucket.*` entries. */
export function parsePolicy(config: ReadonlyMap<string, string | null>): { policy: Policy; problems: string[] } {
  const policy: Policy = { ...DEFAULT_POLICY, levels: { ...DEFAULT_POLICY.levels } };
  const problems: string[] = [];
  for (const check of CHECKS) {
    const key = `bitbucket.${check.toLowerCase()}`;
    if (!config.has(key)) continue;
    const raw = (config.get(key) ?? '').trim().toLowerCase();
    if (raw === 'off' || raw === 'warn' || raw === 'block') policy.levels[check] = raw;
    else problems.push(`bitbucket.${check} is '${raw}': expected off, warn or block; using ${policy.levels[check]}`);
  }
  for (const [field, spec] of Object.entries(NUMBERS) as Array<
    [keyof typeof NUMBERS, (typeof NUMBERS)[keyof typeof NUMBERS]]
  >) {
    if (!config.has(spec.key)) continue;
    const raw = (config.get(spec.key) ?? '').trim();
    const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    if (n >= spec.min && n <= spec.max) policy[field] = n;
    else
      problems.push(
        `${spec.key} is '${raw}': expected a whole number from ${spec.min} to ${spec.max}; using ${policy[field]}`,
      );
  }
  if (config.has('bitbucket.enabled')) {
    const b = parseGitBool(config.get('bitbucket.enabled') ?? null);
    if (b === undefined)
      problems.push(`bitbucket.enabled is '${config.get('bitbucket.enabled')}': expected true or false`);
    else policy.enabled = b;
  }
  return { policy, problems };
}

/** The config key a user sets to change one check, for messages. */
export function configKey(check: CheckName): string {
  return `bitbucket.${check}`;
}
