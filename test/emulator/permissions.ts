// Pure permission arithmetic: levels, token ceilings and token-permission validation
// (docs/bitbucket-server.md sections 5 and 7).
import type { Permission } from './types.js';

/** Permission levels: 0 none, 1 read, 2 write, 3 admin. */
export type Level = 0 | 1 | 2 | 3;

/** Every permission name a grant or token may carry. */
export const PERMISSIONS: readonly Permission[] = [
  'PROJECT_READ',
  'PROJECT_WRITE',
  'PROJECT_ADMIN',
  'REPO_READ',
  'REPO_WRITE',
  'REPO_ADMIN',
];

const SUFFIX_LEVEL: Record<string, Level> = { READ: 1, WRITE: 2, ADMIN: 3 };

/** Splits `PROJECT_WRITE` into scope and level; undefined for unknown names. */
export function parsePermission(p: string): { scope: 'PROJECT' | 'REPO'; level: Level } | undefined {
  const m = /^(PROJECT|REPO)_(READ|WRITE|ADMIN)$/.exec(p);
  if (!m) return undefined;
  return { scope: m[1] as 'PROJECT' | 'REPO', level: SUFFIX_LEVEL[m[2] as string] as Level };
}

/** True when `p` is one of the six known permission names. */
export function isPermission(p: unknown): p is Permission {
  return typeof p === 'string' && parsePermission(p) !== undefined;
}

/** Highest level among the given permissions of one scope. */
export function scopeLevel(perms: readonly Permission[], scope: 'PROJECT' | 'REPO'): Level {
  let best: Level = 0;
  for (const p of perms) {
    const parsed = parsePermission(p);
    if (parsed && parsed.scope === scope && parsed.level > best) best = parsed.level;
  }
  return best;
}

/** What a token may do on a repository: its REPO_x level, raised by its PROJECT_x level. */
export function tokenRepoCeiling(perms: readonly Permission[]): Level {
  return Math.max(scopeLevel(perms, 'REPO'), scopeLevel(perms, 'PROJECT')) as Level;
}

/** What a token may do on a project: its PROJECT_x level. */
export function tokenProjectCeiling(perms: readonly Permission[]): Level {
  return scopeLevel(perms, 'PROJECT');
}

/** The permission name for a repository level, e.g. 2 → REPO_WRITE. */
export function repoPermissionName(level: Level): Permission | undefined {
  return level === 0 ? undefined : (['REPO_READ', 'REPO_WRITE', 'REPO_ADMIN'] as const)[level - 1];
}

/**
 * Validates a token's permission list as the access-token API does; returns an error message or
 * undefined. Repository tokens may only carry REPO_x permissions.
 */
export function checkTokenPermissions(perms: unknown, ownerKind: 'user' | 'project' | 'repo'): string | undefined {
  if (perms === undefined || perms === null) return 'Permissions are required.';
  if (!Array.isArray(perms) || perms.length === 0) return 'At least one permission is required.';
  for (const p of perms) {
    if (p === 'ADMIN' || p === 'SYS_ADMIN') return `The permission ${String(p)} cannot be granted to an access token.`;
    if (!isPermission(p)) return `Unknown permission: ${String(p)}.`;
    if (ownerKind === 'repo' && p.startsWith('PROJECT_')) {
      return `Repository access tokens cannot be granted ${p}.`;
    }
  }
  const valid = perms as Permission[];
  if (scopeLevel(valid, 'REPO') !== 0 && scopeLevel(valid, 'REPO') < scopeLevel(valid, 'PROJECT')) {
    return 'The repository permission must be at least the project permission.';
  }
  return undefined;
}
