// REST contract: application-properties, users, repositories, commits, paging, headers
// (docs/bitbucket-server.md sections 1, 3, 6, 7, 8).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { DEFAULT_SWITCHES } from './types.js';
import { T, basic, bearer, call, testFixture } from './test-helpers.js';

let emu: Emulator;
let api: string;
const ALICE = basic('alice', 'alice-pw');

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture() });
  api = `${emu.baseUrl}/rest/api/1.0`;
});
afterAll(() => emu.stop());
afterEach(() => emu.setSwitches({ ...DEFAULT_SWITCHES }));

describe('application-properties', () => {
  it('answers anonymous callers, with X-AREQUESTID and no user headers', async () => {
    const r = await call(`${api}/application-properties`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      version: '9.4.22',
      buildNumber: '9004022',
      buildDate: expect.stringMatching(/^\d+$/),
      displayName: 'Bitbucket',
    });
    expect(r.headers.get('x-arequestid')).toBeTruthy();
    expect(r.headers.get('x-ausername')).toBeNull();
  });
  it('reports the configured version, also under /latest', async () => {
    emu.setSwitches({ version: '8.19.12' });
    const r = await call(`${emu.baseUrl}/rest/api/latest/application-properties`);
    expect(r.body).toMatchObject({ version: '8.19.12', buildNumber: '8019012' });
  });
});

describe('users', () => {
  it('refuses anonymous listing with AuthenticationRequiredException', async () => {
    const r = await call(`${api}/users?limit=1`);
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      errors: [
        {
          context: null,
          message: 'You are not permitted to access this resource',
          exceptionName: expect.stringMatching(/AuthenticationRequiredException$/),
        },
      ],
    });
    expect(r.headers.get('x-arequestid')).toBeTruthy();
  });
  it('filters on name, display name and email, and pages', async () => {
    const all = await call(`${api}/users`, ALICE);
    expect(all.body.values.map((u: { name: string }) => u.name)).toEqual(['alice', 'bob', 'carol@example.com', 'root']);
    const byMail = await call(`${api}/users?filter=BOB@EXAMPLE`, ALICE);
    expect(byMail.body.values.map((u: { name: string }) => u.name)).toEqual(['bob']);
    const p1 = await call(`${api}/users?limit=3`, ALICE);
    expect(p1.body).toMatchObject({ size: 3, limit: 3, isLastPage: false, start: 0, nextPageStart: 3 });
    const p2 = await call(`${api}/users?limit=3&start=3`, ALICE);
    expect(p2.body).toMatchObject({ size: 1, isLastPage: true, start: 3 });
    expect(p2.body).not.toHaveProperty('nextPageStart');
  });
  it('sets X-AUSERID and X-AUSERNAME for authenticated callers', async () => {
    const r = await call(`${api}/users?limit=1`, ALICE);
    expect(r.headers.get('x-ausername')).toBe('alice');
    expect(r.headers.get('x-auserid')).toMatch(/^\d+$/);
  });
  it('returns the user object exactly, addressed by slug', async () => {
    const r = await call(`${api}/users/carol_example.com`, ALICE);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      name: 'carol@example.com',
      emailAddress: 'carol@example.com',
      id: expect.any(Number),
      displayName: 'Carol',
      active: true,
      slug: 'carol_example.com',
      type: 'NORMAL',
      links: { self: [{ href: `${emu.baseUrl}/users/carol_example.com` }] },
    });
    expect((await call(`${api}/users/nobody`, ALICE)).status).toBe(404);
  });
  it('answers SERVICE users as the serviceUserLookup switch says', async () => {
    expect((await call(`${api}/users/ci-service`, ALICE)).status).toBe(404);
    emu.setSwitches({ serviceUserLookup: '401' });
    expect((await call(`${api}/users/ci-service`, ALICE)).status).toBe(401);
    emu.setSwitches({ serviceUserLookup: 'object' });
    const r = await call(`${api}/users/ci-service`, ALICE);
    expect(r.body).toEqual({
      name: 'ci-service',
      id: expect.any(Number),
      displayName: 'CI',
      active: true,
      slug: 'ci-service',
      type: 'SERVICE',
      links: { self: [{ href: `${emu.baseUrl}/bots/ci-service` }] },
    });
  });
  it('gives project tokens their own SERVICE identity', async () => {
    const r = await call(`${api}/users?limit=1`, bearer(T.prjWrite));
    const name = r.headers.get('x-ausername') ?? '';
    expect(name).not.toBe('');
    expect(name).not.toBe('alice');
    emu.setSwitches({ serviceUserLookup: 'object' });
    const me = await call(`${api}/users/${encodeURIComponent(name)}`, bearer(T.prjWrite));
    expect(me.body).toMatchObject({ type: 'SERVICE', displayName: 'prj-ci' });
    expect(me.body).not.toHaveProperty('emailAddress');
    expect(me.body.links.self[0].href).toContain('/bots/');
  });
});

describe('repositories', () => {
  it('returns the repository with case-insensitive keys and http+ssh clone links', async () => {
    const r = await call(`${api}/projects/prj/repos/APP`, ALICE);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      slug: 'app',
      id: expect.any(Number),
      name: 'app',
      public: false,
      project: { key: 'PRJ', id: expect.any(Number), name: 'Project', type: 'NORMAL' },
    });
    const url = new URL(emu.baseUrl);
    expect(r.body.links.clone).toEqual([
      { href: `http://alice@127.0.0.1:${url.port}/scm/prj/app.git`, name: 'http' },
      { href: 'ssh://git@127.0.0.1:7999/prj/app.git', name: 'ssh' },
    ]);
  });
  it('answers 404 for a missing repository and 401 without read permission', async () => {
    const missing = await call(`${api}/projects/PRJ/repos/nope`, ALICE);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].message).toBe('The specified repository does not exist');
    const denied = await call(`${api}/projects/PRJ/repos/app`, basic('carol@example.com', 'carol-pw'));
    expect(denied.status).toBe(401);
    expect(denied.body.errors[0].message).toMatch(/insufficient permissions to see the specified repository/);
    expect((await call(`${api}/projects/PRJ/repos/app`)).status).toBe(401);
    expect((await call(`${api}/projects/PUB/repos/docs`)).status).toBe(200);
  });
  it('serves personal repositories under ~USER with type PERSONAL', async () => {
    const r = await call(`${api}/projects/~alice/repos/scratch`, ALICE);
    expect(r.body.project).toMatchObject({ key: '~ALICE', type: 'PERSONAL', owner: { name: 'alice' } });
    expect(r.body.links.clone[0].href).toMatch(/\/scm\/~alice\/scratch\.git$/);
  });
  it('filters repos by project, case-insensitive name and permission', async () => {
    const slugs = async (q: string, auth?: string) =>
      ((await call(`${api}/repos?${q}`, auth)).body.values as { slug: string }[]).map((r) => r.slug);
    expect(await slugs('projectkey=PRJ&name=LIB&permission=REPO_WRITE', basic('bob', 'bob-pw'))).toEqual(['lib']);
    expect(await slugs('projectkey=PRJ&name=lib', basic('bob', 'bob-pw'))).toEqual(['lib', 'library']);
    expect(await slugs('projectkey=prj&permission=REPO_WRITE', ALICE)).toEqual(['app', 'lib', 'library']);
    expect(await slugs('permission=REPO_ADMIN', ALICE)).toEqual(['scratch']);
    expect(await slugs('')).toEqual(['docs']);
    expect((await call(`${api}/repos?permission=PROJECT_BOSS`, ALICE)).status).toBe(400);
  });
  it('narrows the repo filter by the token ceiling unless switched off', async () => {
    const q = `${api}/repos?projectkey=PRJ&permission=REPO_WRITE`;
    expect((await call(q, basic('alice', T.aliceRead))).body.values).toEqual([]);
    emu.setSwitches({ tokenCeilingNarrowsRepoFilter: false });
    expect((await call(q, basic('alice', T.aliceRead))).body.values).toHaveLength(3);
  });
});

describe('commits', () => {
  const commits = (repo: string) => `${emu.baseUrl}/rest/api/latest/projects/${repo}/commits`;
  it("answers a commit from the repository's own git, by id or by ref, also under /1.0", async () => {
    const byRef = await call(`${commits('PRJ/repos/app')}/main`, ALICE);
    expect(byRef.status).toBe(200);
    const id = byRef.body.id as string;
    expect(id).toMatch(/^[0-9a-f]{40}$/);
    expect(byRef.body).toMatchObject({
      displayId: id.slice(0, 11),
      author: { name: 'Emulator', emailAddress: 'emulator@example.com' },
      committer: { name: 'Emulator', emailAddress: 'emulator@example.com' },
      committerTimestamp: 1704067200000,
      message: 'Initial commit',
      parents: [],
    });
    const byId = await call(`${api}/projects/prj/repos/APP/commits/${id}`, ALICE);
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(id);
    // the same commit in a repository that does not have it
    const elsewhere = await call(`${commits('PRJ/repos/lib')}/${id}`, ALICE);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.errors[0].exceptionName).toBe('com.atlassian.bitbucket.commit.NoSuchCommitException');
  });
  it('answers 404 NoSuchCommitException for an unknown commit, NoSuchRepositoryException for no repository', async () => {
    for (const id of ['0123456789abcdef0123456789abcdef01234567', '--all', 'HEAD~5']) {
      const r = await call(`${commits('PRJ/repos/app')}/${encodeURIComponent(id)}`, ALICE);
      expect(r.status).toBe(404);
      expect(r.body.errors[0]).toMatchObject({
        message: `Commit '${id}' does not exist in repository 'app'.`,
        exceptionName: 'com.atlassian.bitbucket.commit.NoSuchCommitException',
      });
    }
    const none = await call(`${commits('PRJ/repos/nope')}/main`, ALICE);
    expect(none.status).toBe(404);
    expect(none.body.errors[0].exceptionName).toBe('com.atlassian.bitbucket.repository.NoSuchRepositoryException');
  });
  it('needs read permission on the repository, as the repository itself does', async () => {
    const url = `${commits('PRJ/repos/app')}/main`;
    const denied = await call(url, basic('carol@example.com', 'carol-pw'));
    expect(denied.status).toBe(401);
    expect(denied.body.errors[0].exceptionName).toBe('com.atlassian.bitbucket.AuthorisationException');
    const anonymous = await call(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors[0].exceptionName).toBe('com.atlassian.bitbucket.auth.AuthenticationRequiredException');
    expect((await call(url, bearer(T.aliceRead))).status).toBe(200);
    expect((await call(`${commits('PUB/repos/docs')}/main`)).status).toBe(200);
  });
});

describe('context path', () => {
  it('serves everything under the context and nothing outside it', async () => {
    const ctx = await startEmulator({ data: testFixture(), context: '/bitbucket/' });
    try {
      expect(ctx.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitbucket$/);
      expect((await call(`${ctx.baseUrl}/rest/api/1.0/application-properties`)).status).toBe(200);
      const outside = await call(`http://127.0.0.1:${ctx.port}/rest/api/1.0/application-properties`);
      expect(outside.status).toBe(404);
      expect(outside.headers.get('x-arequestid')).toBeTruthy();
      const repo = await call(`${ctx.baseUrl}/rest/api/1.0/projects/PRJ/repos/app`, ALICE);
      expect(repo.body.links.clone[0].href).toBe(`http://alice@127.0.0.1:${ctx.port}/bitbucket/scm/prj/app.git`);
    } finally {
      await ctx.stop();
    }
  });
});
