// Access-token REST API contract (docs/bitbucket-server.md section 5).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { T, basic, bearer, call, testFixture } from './test-helpers.js';
import { decodeTokenId } from './token-format.js';

let emu: Emulator;
let at: string;
const ALICE = basic('alice', 'alice-pw');
const ROOT = basic('root', 'root-pw');
const json = (method: string, body: unknown): RequestInit => ({
  method,
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' },
});

beforeEach(async () => {
  emu = await startEmulator({ data: testFixture() });
  at = `${emu.baseUrl}/rest/access-tokens/1.0`;
});
afterEach(() => emu.stop());

describe('personal tokens', () => {
  it('creates (200, raw token included), then the token works', async () => {
    const r = await call(
      `${at}/users/alice`,
      ALICE,
      json('PUT', { name: 'ci', permissions: ['PROJECT_READ', 'REPO_WRITE'], expiryDays: 90 }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: expect.stringMatching(/^\d{12}$/),
      createdDate: expect.any(Number),
      expiryDays: 90,
      name: 'ci',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
      user: expect.objectContaining({ name: 'alice', slug: 'alice', type: 'NORMAL' }),
      token: expect.stringMatching(/^BBDC-[A-Za-z0-9+/@_=-]{40,50}$/),
    });
    expect(Math.abs(r.body.createdDate - Date.now())).toBeLessThan(60_000);
    expect(decodeTokenId(r.body.token)).toBe(r.body.id);
    const use = await call(`${emu.baseUrl}/rest/api/1.0/users?limit=1`, basic('alice', r.body.token));
    expect(use.headers.get('x-ausername')).toBe('alice');
  });
  it('lists as a page without raw tokens, hiding revoked ones', async () => {
    const r = await call(`${at}/users/alice`, ALICE);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ size: 3, limit: 25, isLastPage: true, start: 0 });
    expect(r.body.values.map((t: { name: string }) => t.name)).toEqual(['alice-write', 'alice-read', 'alice-expired']);
    expect(r.text).not.toContain(T.aliceWrite);
    const paged = await call(`${at}/users/alice?limit=1&start=1`, ALICE);
    expect(paged.body).toMatchObject({ size: 1, isLastPage: false, nextPageStart: 2 });
  });
  it('shows expiry as createdDate + expiryDays, expiryDate only when switched on', async () => {
    const r = await call(`${at}/users/alice/100000000003`, ALICE);
    expect(r.body).toMatchObject({
      id: '100000000003',
      createdDate: Date.parse('2024-01-01T00:00:00Z'),
      expiryDays: 30,
    });
    expect(r.body).not.toHaveProperty('expiryDate');
    emu.setSwitches({ exposeExpiryDate: true });
    expect((await call(`${at}/users/alice/100000000003`, ALICE)).body.expiryDate).toBe(
      Date.parse('2024-01-31T00:00:00Z'),
    );
  });
  it('updates name and permissions, keeps the rest; expiry cannot change', async () => {
    const r = await call(`${at}/users/alice/100000000002`, ALICE, json('POST', { name: 'renamed' }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: '100000000002', name: 'renamed', permissions: ['REPO_READ'] });
    expect(r.body).not.toHaveProperty('token');
    const p = await call(`${at}/users/alice/100000000002`, ALICE, json('POST', { permissions: ['REPO_WRITE'] }));
    expect(p.body).toMatchObject({ name: 'renamed', permissions: ['REPO_WRITE'] });
    expect((await call(`${at}/users/alice/100000000003`, ALICE, json('POST', { expiryDays: 90 }))).status).toBe(400);
  });
  it('deletes with 204 and an empty body; the token stops working', async () => {
    const r = await call(`${at}/users/alice/100000000001`, ALICE, { method: 'DELETE' });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await call(`${at}/users/alice/100000000001`, ALICE)).status).toBe(404);
    expect((await call(`${emu.baseUrl}/rest/api/1.0/users`, bearer(T.aliceWrite))).status).toBe(401);
  });
  it.each([
    [{ permissions: ['REPO_READ'] }, 'name'],
    [{ name: '  ', permissions: ['REPO_READ'] }, 'name'],
    [{ name: 'x' }, 'permissions'],
    [{ name: 'x', permissions: [] }, 'permissions'],
    [{ name: 'x', permissions: ['REPO_FLY'] }, 'permissions'],
    [{ name: 'x', permissions: ['ADMIN'] }, 'permissions'],
    [{ name: 'x', permissions: ['PROJECT_WRITE', 'REPO_READ'] }, 'permissions'],
    [{ name: 'x', permissions: ['REPO_READ'], expiryDays: 0 }, 'expiryDays'],
  ])('refuses %j with 400 (%s)', async (body, context) => {
    const r = await call(`${at}/users/alice`, ALICE, json('PUT', body));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ context, message: expect.any(String) });
  });
  it('refuses to exceed the maximum number of tokens', async () => {
    emu.setSwitches({ maxTokensPerOwner: 4 });
    expect(
      (await call(`${at}/users/alice`, ALICE, json('PUT', { name: 'a', permissions: ['REPO_READ'] }))).status,
    ).toBe(200);
    const r = await call(`${at}/users/alice`, ALICE, json('PUT', { name: 'b', permissions: ['REPO_READ'] }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/maximum number of access tokens/);
  });
  it('does not let a token create or list tokens (401)', async () => {
    const body = json('PUT', { name: 'x', permissions: ['REPO_READ'] });
    expect((await call(`${at}/users/alice`, basic('alice', T.aliceWrite), body)).status).toBe(401);
    expect((await call(`${at}/users/alice`, bearer(T.aliceWrite), body)).status).toBe(401);
    expect((await call(`${at}/users/alice`, bearer(T.aliceWrite))).status).toBe(401);
    expect((await call(`${at}/users/alice`, undefined, body)).status).toBe(401);
  });
  it('lets a token read its own entry only, unless switched off', async () => {
    expect((await call(`${at}/users/alice/100000000001`, bearer(T.aliceWrite))).body).toMatchObject({
      name: 'alice-write',
    });
    expect((await call(`${at}/users/alice/100000000002`, bearer(T.aliceWrite))).status).toBe(401);
    emu.setSwitches({ tokenCanReadOwnEntry: false });
    expect((await call(`${at}/users/alice/100000000001`, bearer(T.aliceWrite))).status).toBe(401);
  });
  it('lets admins read, edit and revoke, but not create, tokens of others; others get 401', async () => {
    expect((await call(`${at}/users/alice`, ROOT)).body.size).toBe(3);
    expect((await call(`${at}/users/alice/100000000002`, ROOT, json('POST', { name: 'by-admin' }))).status).toBe(200);
    expect((await call(`${at}/users/alice`, ROOT, json('PUT', { name: 'x', permissions: ['REPO_READ'] }))).status).toBe(
      401,
    );
    expect((await call(`${at}/users/alice/100000000002`, ROOT, { method: 'DELETE' })).status).toBe(204);
    const bob = await call(`${at}/users/alice`, basic('bob', 'bob-pw'));
    expect(bob.status).toBe(401);
    expect(bob.body.errors[0].message).toBe('You are not permitted to access this resource');
  });
  it('answers 404 for missing users and tokens', async () => {
    expect((await call(`${at}/users/nobody`, ALICE)).status).toBe(404);
    expect((await call(`${at}/users/alice/999999999999`, ALICE)).status).toBe(404);
    expect((await call(`${at}/users/alice/100000000004`, ALICE)).status).toBe(404); // revoked
  });
});

describe('project and repository tokens', () => {
  it('creates a project token for a project admin; it works as Bearer only', async () => {
    const r = await call(
      `${at}/projects/PRJ`,
      ROOT,
      json('PUT', { name: 'deploy', permissions: ['PROJECT_READ', 'REPO_WRITE'] }),
    );
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ type: 'SERVICE' });
    expect(r.body.user).not.toHaveProperty('emailAddress');
    const repo = `${emu.baseUrl}/rest/api/1.0/projects/PRJ/repos/app`;
    expect((await call(repo, bearer(r.body.token))).status).toBe(200);
    expect((await call(repo, basic(r.body.user.name, r.body.token))).status).toBe(401);
    expect((await call(`${emu.baseUrl}/rest/api/1.0/projects/~alice/repos/scratch`, bearer(r.body.token))).status).toBe(
      401,
    );
  });
  it('needs PROJECT_ADMIN for project tokens and REPO_ADMIN for repository tokens', async () => {
    const body = json('PUT', { name: 'x', permissions: ['REPO_READ'] });
    expect((await call(`${at}/projects/PRJ`, ALICE, body)).status).toBe(401);
    expect((await call(`${at}/projects/PRJ/repos/lib`, basic('bob', 'bob-pw'), body)).status).toBe(401);
    const own = await call(`${at}/projects/~alice/repos/scratch`, ALICE, body);
    expect(own.status).toBe(200);
  });
  it('lists, reads, updates and deletes project and repository tokens', async () => {
    const list = await call(`${at}/projects/prj`, ROOT);
    expect(list.body.values.map((t: { name: string }) => t.name)).toEqual(['prj-ci']);
    const repoList = await call(`${at}/projects/PRJ/repos/app`, ROOT);
    expect(repoList.body.values.map((t: { id: string }) => t.id)).toEqual(['200000000002']);
    expect(
      (await call(`${at}/projects/PRJ/repos/app/200000000002`, ROOT, json('POST', { permissions: ['REPO_WRITE'] })))
        .body.permissions,
    ).toEqual(['REPO_WRITE']);
    expect((await call(`${at}/projects/PRJ/200000000001`, ROOT, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`${emu.baseUrl}/rest/api/1.0/users`, bearer(T.prjWrite))).status).toBe(401);
  });
  it('refuses PROJECT_x on repository tokens, and 404s for missing projects/repos', async () => {
    const r = await call(
      `${at}/projects/PRJ/repos/app`,
      ROOT,
      json('PUT', { name: 'x', permissions: ['PROJECT_READ'] }),
    );
    expect(r.status).toBe(400);
    expect((await call(`${at}/projects/NOPE`, ROOT)).status).toBe(404);
    expect((await call(`${at}/projects/PRJ/repos/nope`, ROOT)).status).toBe(404);
  });
  it('lets a project token read its own entry', async () => {
    expect((await call(`${at}/projects/PRJ/200000000001`, bearer(T.prjWrite))).body).toMatchObject({
      name: 'prj-ci',
      permissions: ['PROJECT_WRITE', 'REPO_WRITE'],
    });
    expect((await call(`${at}/projects/PRJ`, bearer(T.prjWrite))).status).toBe(401);
  });
});
