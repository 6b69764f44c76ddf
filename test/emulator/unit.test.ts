// Pure parts: token format, permissions, fixture validation, the model's permission rules.
import { describe, expect, it } from 'vitest';
import { parseCli } from './args.js';
import { buildModel, slugify } from './build-model.js';
import { FixtureError } from './fixture.js';
import { parseCgiHead, neededLevel } from './git-http.js';
import { checkTokenPermissions } from './permissions.js';
import { page } from './render.js';
import { buildNumber } from './rest-api.js';
import { parseSwitchArg } from './switches.js';
import { T, testFixture } from './test-helpers.js';
import { decodeTokenId, makeToken } from './token-format.js';
import { tokenDates } from './tokens.js';

const NOW = Date.parse('2025-06-01T00:00:00Z');

describe('token format', () => {
  it('builds BBDC tokens whose id decodes', () => {
    const t = makeToken('075905477751');
    expect(t).toMatch(/^BBDC-[A-Za-z0-9+/]{44}$/);
    expect(decodeTokenId(t)).toBe('075905477751');
    expect(Buffer.from(t.slice(5), 'base64').subarray(13).length).toBe(20);
  });
  it('builds 44-character legacy tokens whose id decodes', () => {
    const t = makeToken('000000000042', 'legacy');
    expect(t).toHaveLength(44);
    expect(t.startsWith('BBDC-')).toBe(false);
    expect(decodeTokenId(t)).toBe('000000000042');
  });
  it('pads short ids and refuses tokens that do not decode', () => {
    expect(decodeTokenId(Buffer.from('42:xxxxxxxx').toString('base64'))).toBe('000000000042');
    expect(decodeTokenId('not a token')).toBeUndefined();
    expect(decodeTokenId(`BBDC-${Buffer.from('abc:def').toString('base64')}`)).toBeUndefined();
  });
});

describe('permissions', () => {
  it('validates token permission lists like the access-token API', () => {
    expect(checkTokenPermissions(['PROJECT_READ', 'REPO_WRITE'], 'user')).toBeUndefined();
    expect(checkTokenPermissions(undefined, 'user')).toMatch(/required/);
    expect(checkTokenPermissions([], 'user')).toMatch(/At least one/);
    expect(checkTokenPermissions(['REPO_FLY'], 'user')).toMatch(/Unknown permission/);
    expect(checkTokenPermissions(['ADMIN'], 'user')).toMatch(/cannot be granted/);
    expect(checkTokenPermissions(['PROJECT_WRITE', 'REPO_READ'], 'project')).toMatch(/at least the project/);
    expect(checkTokenPermissions(['PROJECT_READ'], 'repo')).toMatch(/Repository access tokens/);
  });
});

describe('fixture validation', () => {
  const cases: [unknown, RegExp][] = [
    [[], /fixture: must be a JSON object/],
    [{ people: [] }, /fixture.people: unknown section/],
    [{ users: [{}] }, /users\[0\].name: is required/],
    [{ users: [{ name: 'a', nick: 'b' }] }, /users\[0\].nick: unknown field/],
    [{ repos: [{ project: 'NOPE', slug: 'x' }] }, /repos\[0\].project: unknown project "NOPE"/],
    [
      {
        users: [{ name: 'a' }],
        projects: [{ key: 'P' }],
        permissions: [{ user: 'a', project: 'P', permission: 'REPO_READ' }],
      },
      /permissions\[0\].permission: a project grant needs PROJECT_x/,
    ],
    [
      { tokens: [{ owner: { user: 'ghost' }, name: 'x', token: 't', permissions: ['REPO_READ'] }] },
      /unknown user "ghost"/,
    ],
    [{ tokens: [{ owner: { team: 'x' }, name: 'x', permissions: ['REPO_READ'] }] }, /tokens\[0\].owner: must be/],
    [{ tokens: [{ owner: { project: 'P' }, name: 'x', permissions: ['READ'] }] }, /tokens\[0\].permissions/],
    [
      { users: [{ name: 'a' }], tokens: [{ owner: { user: 'a' }, name: 'x', id: '12', permissions: ['REPO_READ'] }] },
      /12-digit/,
    ],
  ];
  it.each(cases)('rejects %j', (raw, message) => {
    expect(() => buildModel(raw, NOW)).toThrow(FixtureError);
    expect(() => buildModel(raw, NOW)).toThrow(message);
  });

  it('presents expiresAt as createdDate + expiryDays', () => {
    expect(tokenDates({ createdAt: '2024-01-01T00:00:00Z', expiresAt: '2024-01-31T00:00:00Z' }, NOW)).toEqual({
      createdDate: Date.parse('2024-01-01T00:00:00Z'),
      expiryDays: 30,
    });
    const future = tokenDates({ expiresAt: '2025-06-10T12:00:00Z' }, NOW);
    expect(future.createdDate + (future.expiryDays ?? 0) * 86_400_000).toBe(Date.parse('2025-06-10T12:00:00Z'));
    expect(future.createdDate).toBeLessThanOrEqual(NOW);
    expect(() => tokenDates({ createdAt: '2024-01-01T00:00:00Z', expiresAt: '2024-01-01T05:00:00Z' }, NOW)).toThrow(
      /whole number/,
    );
  });

  it('takes token ids from the fixture, else from the token, else generates them', () => {
    const model = buildModel(
      {
        users: [{ name: 'a' }],
        tokens: [
          { owner: { user: 'a' }, name: 'given', token: 'x1', id: '000000000007', permissions: ['REPO_READ'] },
          { owner: { user: 'a' }, name: 'decoded', token: makeToken('123456789012'), permissions: ['REPO_READ'] },
          { owner: { user: 'a' }, name: 'random', token: 'opaque', permissions: ['REPO_READ'] },
        ],
      },
      NOW,
    );
    const ids = model.tokens.map((t) => t.id);
    expect(ids.slice(0, 2)).toEqual(['000000000007', '123456789012']);
    expect(ids[2]).toMatch(/^\d{12}$/);
  });
});

describe('model permissions', () => {
  const model = buildModel(testFixture(), NOW);
  const user = (n: string) => model.userByName(n)!;
  const repo = (k: string, s: string) => model.repo(k, s)!;
  const tok = (raw: string) => model.tokenByRaw(raw)!;

  it('creates personal projects and slugs', () => {
    expect(model.project('~alice')).toMatchObject({ key: '~ALICE', type: 'PERSONAL', owner: user('alice') });
    expect(user('carol@example.com').slug).toBe('carol_example.com');
    expect(slugify('Jo Doe@x.org')).toBe('jo_doe_x.org');
  });
  it('takes the max of project grant, repo grant and public', () => {
    expect(model.userRepoLevel(user('bob'), repo('PRJ', 'app'))).toBe(1);
    expect(model.userRepoLevel(user('bob'), repo('prj', 'LIB'))).toBe(2);
    expect(model.userRepoLevel(user('carol@example.com'), repo('PRJ', 'app'))).toBe(0);
    expect(model.userRepoLevel(user('carol@example.com'), repo('PUB', 'docs'))).toBe(1);
    expect(model.userRepoLevel(undefined, repo('PUB', 'docs'))).toBe(1);
    expect(model.userRepoLevel(undefined, repo('PRJ', 'app'))).toBe(0);
    expect(model.userRepoLevel(user('root'), repo('PRJ', 'app'))).toBe(3);
    expect(model.userRepoLevel(user('alice'), repo('~ALICE', 'scratch'))).toBe(3);
    expect(model.userRepoLevel(user('bob'), repo('~ALICE', 'scratch'))).toBe(0);
  });
  it('bounds a token by its owner and its ceiling', () => {
    const p = (raw: string) => ({ user: tok(raw).user, via: 'token' as const, token: tok(raw) });
    expect(model.repoLevel(p(T.aliceWrite), repo('PRJ', 'app'))).toBe(2);
    expect(model.repoLevel(p(T.aliceRead), repo('PRJ', 'app'))).toBe(1);
    expect(model.repoLevel(p(T.bobLegacy), repo('PRJ', 'app'))).toBe(1); // owner only reads
    expect(model.repoLevel(p(T.bobLegacy), repo('PRJ', 'lib'))).toBe(2); // REPO_ADMIN ceiling, owner writes
    expect(model.repoLevel(p(T.aliceRead), repo('~ALICE', 'scratch'))).toBe(1);
  });
  it('limits project and repository tokens to their own project or repository', () => {
    const p = (raw: string) => ({ user: tok(raw).user, via: 'token' as const, token: tok(raw) });
    expect(tok(T.prjWrite).user).toMatchObject({ type: 'SERVICE' });
    expect(tok(T.prjWrite).user.email).toBeUndefined();
    expect(model.repoLevel(p(T.prjWrite), repo('PRJ', 'app'))).toBe(2);
    expect(model.repoLevel(p(T.prjWrite), repo('PRJ', 'lib'))).toBe(2);
    expect(model.repoLevel(p(T.prjWrite), repo('~ALICE', 'scratch'))).toBe(0);
    expect(model.repoLevel(p(T.appRead), repo('PRJ', 'app'))).toBe(1);
    expect(model.repoLevel(p(T.appRead), repo('PRJ', 'lib'))).toBe(0);
    expect(model.projectLevel(p(T.prjWrite), model.project('PRJ')!)).toBe(2);
  });
});

describe('small pure helpers', () => {
  it('pages with nextPageStart only before the last page', () => {
    expect(page([1, 2, 3], 0, 2)).toEqual({
      size: 2,
      limit: 2,
      isLastPage: false,
      start: 0,
      values: [1, 2],
      nextPageStart: 2,
    });
    expect(page([1, 2, 3], 2, 2)).toEqual({ size: 1, limit: 2, isLastPage: true, start: 2, values: [3] });
  });
  it('derives build numbers', () => {
    expect(buildNumber('9.4.22')).toBe('9004022');
    expect(buildNumber('8.19.12')).toBe('8019012');
  });
  it('parses CGI heads', () => {
    const r = parseCgiHead(Buffer.from('Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nbody'));
    expect(r?.status).toBe(403);
    expect(r?.headers).toEqual({ 'Content-Type': 'text/plain' });
    expect(r?.body.toString()).toBe('body');
    expect(parseCgiHead(Buffer.from('Content-Type: x\n'))).toBeUndefined();
    expect(parseCgiHead(Buffer.from('Content-Type: x\n\n'))?.status).toBe(200);
  });
  it('needs write for pushes where the switch says', () => {
    const ad = new URLSearchParams('service=git-receive-pack');
    expect(neededLevel('/info/refs', ad, 'GET', 'advertisement')).toBe(2);
    expect(neededLevel('/info/refs', ad, 'GET', 'upload')).toBe(1);
    expect(neededLevel('/git-receive-pack', new URLSearchParams(), 'POST', 'upload')).toBe(2);
    expect(neededLevel('/git-upload-pack', new URLSearchParams(), 'POST', 'advertisement')).toBe(1);
  });
  it('parses CLI arguments and switches', () => {
    const ok = parseCli([
      '--data',
      'f.json',
      '--port',
      '0',
      '--switch',
      'exposeExpiryDate=true',
      '--switch',
      'maxTokensPerOwner=3',
      '--latency',
      '50',
    ]);
    expect(ok).toMatchObject({
      ok: true,
      options: {
        data: 'f.json',
        port: 0,
        switches: { exposeExpiryDate: true, maxTokensPerOwner: 3 },
        faults: [{ kind: 'latency', ms: 50 }],
      },
    });
    expect(parseCli([])).toMatchObject({ ok: false, error: expect.stringMatching(/--data is required/) });
    expect(parseCli(['--data', 'f', '--bogus'])).toMatchObject({ ok: false });
    expect(parseCli(['--data', 'f', '--fault', '{"kind":"explode"}'])).toMatchObject({
      ok: false,
      error: expect.stringMatching(/kind/),
    });
    expect(() => parseSwitchArg('serviceUserLookup=maybe')).toThrow(/object \| 404 \| 401/);
    expect(() => parseSwitchArg('nope=1')).toThrow(/unknown/);
  });
});
