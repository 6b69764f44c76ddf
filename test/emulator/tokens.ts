// Creating tokens in the model: from fixtures, from Emulator.addToken and from the REST API.
// Project and repository tokens each get their own system-generated SERVICE user.
import { randomBytes } from 'node:crypto';
import { FixtureError } from './fixture.js';
import type { Model, Token, TokenScope, User } from './model.js';
import { decodeTokenId, generateTokenId, makeToken } from './token-format.js';
import type { FixtureToken, Permission } from './types.js';

const DAY = 86_400_000;

/** Everything needed to store a token; `raw`/`id` generated when absent. */
export interface NewToken {
  scope: TokenScope;
  /** The owner, for personal tokens. */
  owner?: User;
  name: string;
  permissions: Permission[];
  raw?: string;
  id?: string;
  createdDate: number;
  expiryDays?: number;
  revoked?: boolean;
}

/** Stores a token; throws FixtureError on a duplicate id or raw value. */
export function storeToken(model: Model, t: NewToken): Token {
  let id = t.id ?? (t.raw ? decodeTokenId(t.raw) : undefined);
  if (id !== undefined && model.tokenById(id)) {
    if (t.id !== undefined) throw new FixtureError(`token "${t.name}": id ${id} is already used`);
    id = undefined; // a decoded id that clashes is not an error: the fixture did not ask for it
  }
  id ??= generateTokenId((x) => model.tokenById(x) !== undefined);
  const raw = t.raw ?? makeToken(id);
  if (model.tokenByRaw(raw)) throw new FixtureError(`token "${t.name}": the same raw token appears twice`);
  const user = t.scope.kind === 'user' ? t.owner : makeServiceUser(model, t.name);
  if (!user) throw new FixtureError(`token "${t.name}": a personal token needs an owner`);
  if (t.scope.kind === 'project') model.grant(user, t.scope.project, 3);
  if (t.scope.kind === 'repo') model.grant(user, t.scope.repo, 3);
  const token: Token = {
    id,
    name: t.name,
    raw,
    permissions: [...t.permissions],
    scope: t.scope,
    user,
    createdDate: t.createdDate,
    revoked: t.revoked ?? false,
  };
  if (t.expiryDays !== undefined) {
    token.expiryDays = t.expiryDays;
    token.expiresAt = t.createdDate + t.expiryDays * DAY;
  }
  model.tokens.push(token);
  return token;
}

/** The SERVICE user a project/repository token authenticates as. Its name shape is arbitrary. */
function makeServiceUser(model: Model, tokenName: string): User {
  const name = `bot-${randomBytes(6).toString('hex')}`;
  return model.addUser({ name, slug: name, displayName: tokenName, admin: false, type: 'SERVICE' });
}

/** Resolves a fixture token's owner, dates and expiry, then stores it. */
export function addFixtureToken(model: Model, t: FixtureToken, now: number): Token {
  const where = `token "${t.name}"`;
  let scope: TokenScope;
  let owner: User | undefined;
  if ('user' in t.owner) {
    owner = model.userByName(t.owner.user) ?? model.userBySlug(t.owner.user);
    if (!owner) throw new FixtureError(`${where}: unknown user "${t.owner.user}"`);
    if (owner.type === 'SERVICE') throw new FixtureError(`${where}: SERVICE users cannot own personal tokens`);
    scope = { kind: 'user' };
  } else if (t.owner.repo !== undefined) {
    const repo = model.repo(t.owner.project, t.owner.repo);
    if (!repo) throw new FixtureError(`${where}: unknown repository ${t.owner.project}/${t.owner.repo}`);
    if (t.permissions.some((p) => p.startsWith('PROJECT_'))) {
      throw new FixtureError(`${where}: repository tokens carry REPO_x permissions only`);
    }
    scope = { kind: 'repo', repo };
  } else {
    const project = model.project(t.owner.project);
    if (!project) throw new FixtureError(`${where}: unknown project "${t.owner.project}"`);
    scope = { kind: 'project', project };
  }
  const { createdDate, expiryDays } = tokenDates(t, now, where);
  return storeToken(model, {
    scope,
    owner,
    name: t.name,
    permissions: t.permissions,
    raw: t.token,
    id: t.id,
    createdDate,
    expiryDays,
    revoked: t.revoked,
  });
}

/** createdDate and expiryDays such that createdDate + expiryDays * 1 day == expiresAt. */
export function tokenDates(
  t: Pick<FixtureToken, 'createdAt' | 'expiresAt'>,
  now: number,
  where = 'token',
): { createdDate: number; expiryDays?: number } {
  const created = t.createdAt === undefined ? undefined : Date.parse(t.createdAt);
  if (t.expiresAt === undefined) return { createdDate: created ?? now };
  const expires = Date.parse(t.expiresAt);
  if (created !== undefined) {
    const days = (expires - created) / DAY;
    if (!Number.isInteger(days) || days < 1) {
      throw new FixtureError(`${where}: expiresAt - createdAt must be a whole number of days (at least 1)`);
    }
    return { createdDate: created, expiryDays: days };
  }
  const days = expires > now ? Math.max(1, Math.ceil((expires - now) / DAY)) : 30;
  return { createdDate: expires - days * DAY, expiryDays: days };
}
