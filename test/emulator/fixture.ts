// Shape validation of a fixture (pure). Cross-references (unknown user, project...) are
// checked when the model is built; both throw FixtureError with a path-prefixed message.
import { isPermission } from './permissions.js';
import type { Fixture } from './types.js';

/** A fixture problem, with a message like `users[1].name: must be a non-empty string`. */
export class FixtureError extends Error {
  override name = 'FixtureError';
}

type Obj = Record<string, unknown>;
type Check = (v: unknown) => string | undefined;

const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'must be a non-empty string');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const isoDate: Check = (v) =>
  typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an ISO date string';
const id12: Check = (v) => (typeof v === 'string' && /^\d{12}$/.test(v) ? undefined : 'must be a 12-digit string');
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
const permission: Check = (v) =>
  isPermission(v) ? undefined : 'must be PROJECT_READ|WRITE|ADMIN or REPO_READ|WRITE|ADMIN';
const permissionList: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every(isPermission) ? undefined : 'must be a non-empty list of permissions';
const owner: Check = (v) => {
  if (typeof v !== 'object' || v === null) return 'must be {user} or {project} or {project, repo}';
  const o = v as Obj;
  if (typeof o.user === 'string' && o.project === undefined && o.repo === undefined) return undefined;
  if (typeof o.project === 'string' && o.user === undefined && (o.repo === undefined || typeof o.repo === 'string')) {
    return undefined;
  }
  return 'must be {user} or {project} or {project, repo}';
};

type Schema = Record<string, { check: Check; required?: boolean }>;

const SCHEMAS: Record<keyof Fixture, Schema> = {
  users: {
    name: { check: str, required: true },
    slug: { check: str },
    displayName: { check: str },
    email: { check: str },
    password: { check: str },
    admin: { check: bool },
    type: { check: oneOf('NORMAL', 'SERVICE') },
  },
  projects: { key: { check: str, required: true }, name: { check: str }, public: { check: bool } },
  repos: {
    project: { check: str, required: true },
    slug: { check: str, required: true },
    name: { check: str },
    public: { check: bool },
    seed: { check: bool },
  },
  permissions: {
    user: { check: str, required: true },
    project: { check: str, required: true },
    repo: { check: str },
    permission: { check: permission, required: true },
  },
  tokens: {
    owner: { check: owner, required: true },
    name: { check: str, required: true },
    token: { check: str },
    permissions: { check: permissionList, required: true },
    id: { check: id12 },
    expiresAt: { check: isoDate },
    createdAt: { check: isoDate },
    revoked: { check: bool },
  },
};

function checkItem(item: unknown, schema: Schema, where: string): void {
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    throw new FixtureError(`${where}: must be an object`);
  const o = item as Obj;
  for (const key of Object.keys(o)) {
    if (!(key in schema)) throw new FixtureError(`${where}.${key}: unknown field`);
  }
  for (const [key, rule] of Object.entries(schema)) {
    if (o[key] === undefined) {
      if (rule.required) throw new FixtureError(`${where}.${key}: is required`);
      continue;
    }
    const problem = rule.check(o[key]);
    if (problem) throw new FixtureError(`${where}.${key}: ${problem}`);
  }
}

/** Validates the shape of a parsed fixture; returns it typed or throws FixtureError. */
export function validateFixture(raw: unknown): Fixture {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FixtureError('fixture: must be a JSON object');
  const o = raw as Obj;
  for (const key of Object.keys(o)) {
    if (!(key in SCHEMAS))
      throw new FixtureError(`fixture.${key}: unknown section (expected ${Object.keys(SCHEMAS).join(', ')})`);
  }
  for (const [section, schema] of Object.entries(SCHEMAS)) {
    const list = o[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new FixtureError(`${section}: must be a list`);
    list.forEach((item, i) => checkItem(item, schema, `${section}[${i}]`));
  }
  return raw as Fixture;
}

/** Validates one token given outside a fixture (Emulator.addToken). */
export function validateFixtureToken(raw: unknown): void {
  checkItem(raw, SCHEMAS.tokens, 'token');
}
