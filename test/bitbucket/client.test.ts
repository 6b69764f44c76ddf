// BitbucketClient against the emulator (and a few stub servers for shapes the emulator lacks).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { BitbucketClient, type Auth } from '../../src/bitbucket/client.js';
import { ALL_TOKENS, TOK, bitbucketFixture } from './fixture.js';
import { closedPort, startServer, type TestServer } from './helpers.js';

let emu: Emulator;
let stub: TestServer;
const waits: number[] = [];
const settings = { sslVerify: true };
const sleep = async (ms: number): Promise<void> => {
  waits.push(ms);
};
const bearer = (secret: string): Auth => ({ scheme: 'bearer', secret });
const basic = (username: string, secret: string): Auth => ({ scheme: 'basic', username, secret });
let client: BitbucketClient;

beforeAll(async () => {
  emu = await startEmulator({ data: bitbucketFixture() });
  stub = await startServer();
  client = new BitbucketClient({ baseUrl: emu.baseUrl, settings, sleep, timeoutMs: 2000 });
});
afterAll(async () => {
  await Promise.all([emu.stop(), stub.close()]);
});
afterEach(() => {
  emu.setFaults([]);
  emu.clearLog();
  waits.length = 0;
  stub.requests.length = 0;
});

/** Every message in a result must be free of every raw token. */
function clean(result: unknown): void {
  const text = JSON.stringify(result);
  for (const t of ALL_TOKENS) expect(text).not.toContain(t);
}

const restLog = () => emu.log().map((e) => `${e.auth} ${e.path}${e.query ? '?' + e.query : ''} ${e.status}`);

describe('applicationProperties', () => {
  it('recognises Bitbucket and reads its version', async () => {
    expect(await client.applicationProperties()).toMatchObject({
      status: 'ok',
      version: '9.4.22',
      displayName: 'Bitbucket',
    });
    expect(emu.log()[0]).toMatchObject({ auth: 'none', path: '/rest/api/1.0/application-properties' });
  });
  it('says not-bitbucket without X-AREQUESTID or the right shape', async () => {
    const other = new BitbucketClient({ baseUrl: stub.url, settings, sleep });
    stub.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"version":"1.0"}');
    expect((await other.applicationProperties()).status).toBe('not-bitbucket');
    stub.handler = (_req, res) =>
      res.writeHead(200, { 'Content-Type': 'text/html', 'X-AREQUESTID': 'x' }).end('<html>');
    expect((await other.applicationProperties()).status).toBe('not-bitbucket');
    stub.handler = (_req, res) => res.writeHead(404).end();
    expect((await other.applicationProperties()).status).toBe('not-bitbucket');
  });
  it('reports an unreachable server', async () => {
    const gone = new BitbucketClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, settings, sleep });
    expect(await gone.applicationProperties()).toMatchObject({ status: 'network', network: 'unreachable' });
  });
});

describe('whoAmI', () => {
  it('reads X-AUSERNAME with Bearer and with Basic', async () => {
    expect(await client.whoAmI(bearer(TOK.aliceWrite))).toMatchObject({ status: 'ok', username: 'alice' });
    expect(await client.whoAmI(basic('alice', TOK.aliceWrite))).toMatchObject({ status: 'ok', username: 'alice' });
    expect(restLog()).toEqual(['bearer /rest/api/1.0/users?limit=1 200', 'basic /rest/api/1.0/users?limit=1 200']);
  });
  it('never retries a rejected credential', async () => {
    for (const t of [TOK.aliceRevoked, TOK.aliceExpired, TOK.unknown]) {
      const r = await client.whoAmI(bearer(t));
      expect(r).toMatchObject({ status: 'unauthorized', httpStatus: 401 });
      clean(r);
    }
    const r = await client.whoAmI(basic('bob', TOK.aliceWrite));
    expect(r.status).toBe('unauthorized');
    expect(emu.log()).toHaveLength(4);
  });
  it('treats an anonymous answer as unauthorized (Bitbucket 10 unknown Bearer)', async () => {
    emu.setSwitches({ unknownBearerAsAnonymous: true });
    try {
      expect((await client.whoAmI(bearer(TOK.unknown))).status).toBe('unauthorized');
    } finally {
      emu.setSwitches({ unknownBearerAsAnonymous: false });
    }
  });
  it('recognises the CAPTCHA lock and stops there', async () => {
    emu.clearCaptcha('bob');
    emu.clearLog();
    for (let i = 0; i < 5; i++) expect((await client.whoAmI(basic('bob', 'wrong'))).status).toBe('unauthorized');
    const locked = await client.whoAmI(basic('bob', 'bob-pw'));
    expect(locked).toMatchObject({ status: 'captcha' });
    expect(emu.log()).toHaveLength(6);
    emu.clearCaptcha('bob');
  });
  it('reports a login redirect as an error, not a success', async () => {
    emu.setFaults([{ kind: 'loginRedirect', path: '/rest/api/1.0/users' }]);
    const r = await client.whoAmI(bearer(TOK.aliceWrite));
    expect(r).toMatchObject({ status: 'error', httpStatus: 302 });
    clean(r);
  });
});

describe('429 handling', () => {
  it('waits Retry-After then retries the same request', async () => {
    emu.setFaults([{ kind: 'rateLimit', retryAfter: 2, times: 1 }]);
    expect(await client.whoAmI(bearer(TOK.aliceWrite))).toMatchObject({ status: 'ok', username: 'alice' });
    expect(waits).toEqual([2000]);
    expect(restLog()).toEqual(['bearer /rest/api/1.0/users?limit=1 429', 'bearer /rest/api/1.0/users?limit=1 200']);
  });
  it('falls back to 5 s without Retry-After, and gives up after the retry budget', async () => {
    emu.setFaults([{ kind: 'rateLimit' }]);
    expect(await client.whoAmI(bearer(TOK.aliceWrite))).toMatchObject({ status: 'rate-limited', retryAfterMs: 5000 });
    expect(waits).toEqual([5000, 5000]);
    expect(emu.log()).toHaveLength(3);
  });
  it('does not wait beyond the cap', async () => {
    emu.setFaults([{ kind: 'rateLimit', retryAfter: 3600 }]);
    expect(await client.whoAmI(bearer(TOK.aliceWrite))).toMatchObject({
      status: 'rate-limited',
      retryAfterMs: 3_600_000,
    });
    expect(waits).toEqual([]);
    expect(emu.log()).toHaveLength(1);
  });
  it('retries a 429 but never the 401 that follows it', async () => {
    emu.setFaults([{ kind: 'rateLimit', retryAfter: 1, times: 1 }]);
    expect((await client.whoAmI(bearer(TOK.aliceRevoked))).status).toBe('unauthorized');
    expect(restLog()).toEqual(['bearer /rest/api/1.0/users?limit=1 429', 'bearer /rest/api/1.0/users?limit=1 401']);
  });
});

describe('faults', () => {
  it('maps 5xx, resets, hangs and bad JSON to failures', async () => {
    const quick = new BitbucketClient({ baseUrl: emu.baseUrl, settings, sleep, timeoutMs: 300 });
    emu.setFaults([{ kind: 'status', status: 503, times: 1 }]);
    expect(await quick.getUser(bearer(TOK.aliceWrite), 'alice')).toMatchObject({ status: 'error', httpStatus: 503 });
    emu.setFaults([{ kind: 'reset', times: 1 }]);
    expect(await quick.getUser(bearer(TOK.aliceWrite), 'alice')).toMatchObject({ status: 'network', network: 'reset' });
    emu.setFaults([{ kind: 'hang', times: 1 }]);
    expect(await quick.getUser(bearer(TOK.aliceWrite), 'alice')).toMatchObject({
      status: 'network',
      network: 'timeout',
    });
    emu.setFaults([{ kind: 'invalidJson', times: 1 }]);
    expect(await quick.getUser(bearer(TOK.aliceWrite), 'alice')).toMatchObject({ status: 'error' });
    emu.setFaults([{ kind: 'latency', ms: 50, times: 1 }]);
    expect(await quick.getUser(bearer(TOK.aliceWrite), 'alice')).toMatchObject({ status: 'ok' });
  });
});

describe('users and repositories', () => {
  it('reads users; SERVICE lookups follow the server', async () => {
    const r = await client.getUser(bearer(TOK.aliceWrite), 'alice');
    expect(r).toMatchObject({
      status: 'ok',
      user: { name: 'alice', slug: 'alice', email: 'alice@example.com', type: 'NORMAL' },
    });
    expect((await client.getUser(bearer(TOK.aliceWrite), 'nobody')).status).toBe('not-found');
    expect(await client.findUserByName(bearer(TOK.aliceWrite), 'carol@example.com')).toMatchObject({
      status: 'ok',
      user: { slug: 'carol_example.com' },
    });
    expect((await client.findUserByName(bearer(TOK.aliceWrite), 'carol')).status).toBe('not-found');
  });
  it('reads repositories; 404 missing, 401 invisible', async () => {
    expect(await client.getRepo(bearer(TOK.aliceWrite), 'PRJ', 'app')).toMatchObject({
      status: 'ok',
      repo: { slug: 'app', name: 'Application Server', projectKey: 'PRJ' },
    });
    expect((await client.getRepo(bearer(TOK.aliceWrite), 'PRJ', 'nope')).status).toBe('not-found');
    expect((await client.getRepo(bearer(TOK.aliceWrite), 'OTHER', 'app')).status).toBe('unauthorized');
  });
  it('hasCommit: present, absent (404 naming the commit), and failures that say nothing about the commit', async () => {
    const head = await fetch(`${emu.baseUrl}/rest/api/1.0/projects/PRJ/repos/app/commits/main`, {
      headers: { Authorization: `Bearer ${TOK.aliceWrite}` },
    });
    const { id } = (await head.json()) as { id: string };
    const tok = bearer(TOK.aliceWrite);
    expect(await client.hasCommit(tok, 'PRJ', 'app', id)).toEqual({ status: 'ok', present: true });
    expect(await client.hasCommit(tok, 'PRJ', 'lib', id)).toEqual({ status: 'ok', present: false });
    expect(emu.log().at(-1)).toMatchObject({
      auth: 'bearer',
      path: `/rest/api/latest/projects/PRJ/repos/lib/commits/${id}`,
      status: 404,
    });
    // no such repository, no permission, a refused token: no answer about the commit
    expect(await client.hasCommit(tok, 'PRJ', 'missing', id)).toMatchObject({ status: 'not-found', httpStatus: 404 });
    expect((await client.hasCommit(tok, 'OTHER', 'app', id)).status).toBe('unauthorized');
    const refused = await client.hasCommit(bearer(TOK.aliceRevoked), 'PRJ', 'app', id);
    expect(refused.status).toBe('unauthorized');
    clean(refused);
    const quick = new BitbucketClient({ baseUrl: emu.baseUrl, settings, sleep, timeoutMs: 300 });
    emu.setFaults([{ kind: 'hang', times: 1 }]);
    expect(await quick.hasCommit(tok, 'PRJ', 'app', id)).toMatchObject({ status: 'network', network: 'timeout' });
    // a 404 of something in front of the server, or a 200 that is not this commit: failures, never "absent"
    const other = new BitbucketClient({ baseUrl: stub.url, settings, sleep });
    stub.handler = (_req, res) => res.writeHead(404, { 'Content-Type': 'text/html' }).end('<html>not here</html>');
    expect(await other.hasCommit(tok, 'PRJ', 'app', id)).toMatchObject({ status: 'not-found' });
    stub.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>sign in</html>');
    expect(await other.hasCommit(tok, 'PRJ', 'app', id)).toMatchObject({ status: 'error', httpStatus: 200 });
    // an older server's name for the same 404
    stub.handler = (_req, res) =>
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          errors: [
            {
              message: `The changeset '${id}' does not exist in repository 'app'`,
              exceptionName: 'com.atlassian.stash.exception.NoSuchChangesetException',
            },
          ],
        }),
      );
    expect(await other.hasCommit(tok, 'PRJ', 'app', id)).toEqual({ status: 'ok', present: false });
  });
  it('canWrite: write vs read-only tokens, repo names that differ from slugs, exact slug match', async () => {
    expect(await client.canWrite(bearer(TOK.aliceWrite), 'PRJ', 'app')).toEqual({ status: 'ok', writable: true });
    expect(await client.canWrite(bearer(TOK.aliceWrite), 'prj', 'lib')).toEqual({ status: 'ok', writable: true });
    expect(await client.canWrite(bearer(TOK.aliceRead), 'PRJ', 'app')).toEqual({ status: 'ok', writable: false });
    // bob can write "library" only; name=lib also matches "library", but the slug must match exactly.
    expect(await client.canWrite(bearer(TOK.bobLegacy), 'PRJ', 'lib')).toEqual({ status: 'ok', writable: false });
    expect(await client.canWrite(bearer(TOK.bobLegacy), 'PRJ', 'library')).toEqual({ status: 'ok', writable: true });
    expect(await client.canWrite(bearer(TOK.aliceWrite), 'OTHER', 'app')).toEqual({ status: 'ok', writable: false });
    // 401 above is a permission; a 404 is a repository that does not exist, nothing about the token
    expect(await client.canWrite(bearer(TOK.aliceWrite), 'PRJ', 'missing')).toEqual({
      status: 'missing',
      message: `PRJ/missing does not exist on ${emu.baseUrl}`,
    });
    expect(await client.canWrite(bearer(TOK.prj), 'PRJ', 'app')).toEqual({ status: 'ok', writable: true });
    expect(await client.canWrite(bearer(TOK.repo), 'PRJ', 'lib')).toEqual({ status: 'ok', writable: false });
    emu.clearLog();
    expect(await client.canWrite(bearer(TOK.aliceRevoked), 'PRJ', 'app')).toMatchObject({ status: 'unauthorized' });
    expect(emu.log()).toHaveLength(1);
  });
  it('canWrite pages through results', async () => {
    const pages = [
      {
        isLastPage: false,
        nextPageStart: 2,
        values: [
          { slug: 'app-1', project: { key: 'PRJ' } },
          { slug: 'app-2', project: { key: 'PRJ' } },
        ],
      },
      {
        isLastPage: false,
        nextPageStart: 4,
        values: [
          { slug: 'app-3', project: { key: 'PRJ' } },
          { slug: 'app-4', project: { key: 'PRJ' } },
        ],
      },
      { isLastPage: true, values: [{ slug: 'app', project: { key: 'PRJ' } }] },
    ];
    stub.handler = (req, res) => {
      const start = Number(new URL(req.url ?? '', 'http://x').searchParams.get('start'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(pages[start / 2]));
    };
    const other = new BitbucketClient({ baseUrl: stub.url, settings, sleep });
    expect(await other.canWrite(bearer('t'), 'PRJ', 'app')).toEqual({ status: 'ok', writable: true });
    expect(stub.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('start'))).toEqual(['0', '2', '4']);
    expect(stub.requests[0]?.url).toContain('permission=REPO_WRITE');
    // slugs are lowercase on the server; a remote URL may spell them otherwise
    expect(await other.canWrite(bearer('t'), 'PRJ', 'App')).toEqual({ status: 'ok', writable: true });
  });
});

describe('access tokens', () => {
  it('reads a token entry and computes expiresAt', async () => {
    const r = await client.getAccessToken(bearer(TOK.aliceWrite), { user: 'alice' }, '000000000101');
    expect(r).toMatchObject({
      status: 'ok',
      token: { id: '000000000101', name: 'alice-write', permissions: ['PROJECT_READ', 'REPO_WRITE'] },
    });
    clean(r);
  });
  it('reads project and repository token entries', async () => {
    expect(await client.getAccessToken(bearer(TOK.prj), { project: 'PRJ' }, '000000000201')).toMatchObject({
      status: 'ok',
      token: { name: 'prj-ci' },
    });
    expect(
      await client.getAccessToken(bearer(TOK.repo), { project: 'PRJ', repo: 'app' }, '000000000202'),
    ).toMatchObject({ status: 'ok', token: { name: 'app-deploy' } });
  });
  it('is refused for other tokens, and when the server does not allow self-reads', async () => {
    expect((await client.getAccessToken(bearer(TOK.aliceRead), { user: 'alice' }, '000000000101')).status).toBe(
      'unauthorized',
    );
    emu.setSwitches({ tokenCanReadOwnEntry: false });
    try {
      expect((await client.getAccessToken(bearer(TOK.aliceWrite), { user: 'alice' }, '000000000101')).status).toBe(
        'unauthorized',
      );
    } finally {
      emu.setSwitches({ tokenCanReadOwnEntry: true });
    }
  });
});

describe('requests', () => {
  it('only ever calls /rest paths', async () => {
    await client.applicationProperties();
    await client.whoAmI(bearer(TOK.aliceWrite));
    await client.canWrite(bearer(TOK.aliceWrite), 'PRJ', 'app');
    await client.getAccessToken(bearer(TOK.aliceWrite), { user: 'alice' }, '000000000101');
    await client.hasCommit(bearer(TOK.aliceWrite), 'PRJ', 'app', 'main');
    expect(emu.log().every((e) => e.path.startsWith('/rest/'))).toBe(true);
  });
});
