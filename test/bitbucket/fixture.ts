// The fixture shared by the client and identify tests, with raw tokens generated per run.
import { makeToken, type Fixture } from '../emulator/index.js';

const DAY = 86_400_000;

/** Raw tokens of {@link bitbucketFixture}. */
export const TOK = {
  aliceWrite: makeToken('000000000101'),
  aliceRead: makeToken('000000000102'),
  aliceExpired: makeToken('000000000103'),
  aliceRevoked: makeToken('000000000104'),
  bobLegacy: makeToken('000000000105', 'legacy'),
  carol: makeToken('000000000106'),
  dave: makeToken('000000000107'),
  prj: makeToken('000000000201'),
  repo: makeToken('000000000202'),
  unknown: makeToken('000000000999'),
};

/** Expiry of alice's write token (whole days after its creation, as the emulator stores it). */
export const ALICE_WRITE_CREATED = Date.parse('2030-01-01T00:00:00Z') - 90 * DAY;
export const ALICE_WRITE_EXPIRES = Date.parse('2030-01-01T00:00:00Z');

/** Users of several kinds, repositories whose names differ from slugs, every kind of token. */
export function bitbucketFixture(): Fixture {
  return {
    users: [
      { name: 'alice', displayName: 'Alice', email: 'alice@example.com', password: 'alice-pw' },
      { name: 'bob', displayName: 'Bob', email: 'bob@example.com', password: 'bob-pw' },
      { name: 'carol@example.com', displayName: 'Carol', email: 'carol@example.com', password: 'carol-pw' },
      { name: 'dave', displayName: 'Dave (no email)', password: 'dave-pw' },
    ],
    projects: [
      { key: 'PRJ', name: 'Project' },
      { key: 'OTHER', name: 'Other' },
    ],
    repos: [
      { project: 'PRJ', slug: 'app', name: 'Application Server', seed: true },
      { project: 'PRJ', slug: 'lib', name: 'lib' },
      { project: 'PRJ', slug: 'library', name: 'library' },
      { project: 'OTHER', slug: 'app', name: 'app' },
    ],
    permissions: [
      { user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' },
      { user: 'bob', project: 'PRJ', permission: 'PROJECT_READ' },
      { user: 'bob', project: 'PRJ', repo: 'library', permission: 'REPO_WRITE' },
      { user: 'carol@example.com', project: 'PRJ', permission: 'PROJECT_WRITE' },
      { user: 'dave', project: 'PRJ', permission: 'PROJECT_WRITE' },
    ],
    tokens: [
      {
        owner: { user: 'alice' },
        name: 'alice-write',
        token: TOK.aliceWrite,
        permissions: ['PROJECT_READ', 'REPO_WRITE'],
        createdAt: new Date(ALICE_WRITE_CREATED).toISOString(),
        expiresAt: new Date(ALICE_WRITE_EXPIRES).toISOString(),
      },
      { owner: { user: 'alice' }, name: 'alice-read', token: TOK.aliceRead, permissions: ['REPO_READ'] },
      {
        owner: { user: 'alice' },
        name: 'alice-expired',
        token: TOK.aliceExpired,
        permissions: ['REPO_WRITE'],
        createdAt: '2024-01-01T00:00:00Z',
        expiresAt: '2024-01-31T00:00:00Z',
      },
      {
        owner: { user: 'alice' },
        name: 'alice-revoked',
        token: TOK.aliceRevoked,
        permissions: ['REPO_WRITE'],
        revoked: true,
      },
      { owner: { user: 'bob' }, name: 'bob-legacy', token: TOK.bobLegacy, permissions: ['REPO_WRITE'] },
      { owner: { user: 'carol@example.com' }, name: 'carol', token: TOK.carol, permissions: ['REPO_WRITE'] },
      { owner: { user: 'dave' }, name: 'dave', token: TOK.dave, permissions: ['REPO_WRITE'] },
      { owner: { project: 'PRJ' }, name: 'prj-ci', token: TOK.prj, permissions: ['PROJECT_WRITE', 'REPO_WRITE'] },
      { owner: { project: 'PRJ', repo: 'app' }, name: 'app-deploy', token: TOK.repo, permissions: ['REPO_WRITE'] },
    ],
  };
}

/** Every raw token, for "never in a message" checks. */
export const ALL_TOKENS: string[] = Object.values(TOK);
