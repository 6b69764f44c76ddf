// Faults on demand, the request log and the admin endpoints (docs/bitbucket-server.md section 9).
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { DEFAULT_SWITCHES } from './types.js';
import { T, basic, bearer, call, gitSandbox, testFixture } from './test-helpers.js';

let emu: Emulator;
let props: string;
let users: string;

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture(), context: '/bb' });
  props = `${emu.baseUrl}/rest/api/1.0/application-properties`;
  users = `${emu.baseUrl}/rest/api/1.0/users`;
});
afterAll(() => emu.stop());
afterEach(() => {
  emu.setFaults([]);
  emu.clearLog();
  emu.setSwitches({ ...DEFAULT_SWITCHES });
});

describe('faults', () => {
  it('adds latency and then answers normally', async () => {
    emu.setFaults([{ kind: 'latency', ms: 300 }]);
    const t0 = Date.now();
    const r = await call(props);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(r.status).toBe(200);
    expect(emu.log()[0]).toMatchObject({ fault: 'latency', status: 200 });
  });
  it('answers a given 5xx, limited by path and count', async () => {
    emu.setFaults([{ kind: 'status', status: 503, path: '/users$', times: 2 }]);
    expect((await call(props)).status).toBe(200);
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(503);
    const second = await call(users, basic('alice', 'alice-pw'));
    expect(second.status).toBe(503);
    expect(second.headers.get('x-arequestid')).toBeTruthy();
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(200);
  });
  it('answers 429 with Retry-After in seconds, or without the header', async () => {
    emu.setFaults([
      { kind: 'rateLimit', retryAfter: 7, times: 1 },
      { kind: 'rateLimit', times: 1 },
    ]);
    const first = await call(users, bearer(T.aliceRead));
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    const second = await call(users, bearer(T.aliceRead));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect((await call(users, bearer(T.aliceRead))).status).toBe(200);
  });
  it('resets the connection', async () => {
    emu.setFaults([{ kind: 'reset', times: 1 }]);
    await expect(fetch(props)).rejects.toThrow();
    expect(emu.log()[0]).toMatchObject({ fault: 'reset', status: 0 });
    expect((await call(props)).status).toBe(200);
  });
  it('hangs until the client gives up', async () => {
    emu.setFaults([{ kind: 'hang', method: 'GET', times: 1 }]);
    const t0 = Date.now();
    await expect(fetch(props, { signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(emu.log()[0]).toMatchObject({ fault: 'hang', status: 0 });
  });
  it('sends invalid JSON with 200', async () => {
    emu.setFaults([{ kind: 'invalidJson' }]);
    const res = await fetch(users, { headers: { Authorization: basic('alice', 'alice-pw') } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });
  it('redirects to the HTML login page', async () => {
    emu.setFaults([{ kind: 'loginRedirect', path: '/rest/' }]);
    const r = await call(users, basic('alice', 'alice-pw'));
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`${emu.baseUrl}/login`);
    const page = await fetch(users, { headers: { Authorization: basic('alice', 'alice-pw') } }); // follows the redirect
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });
  it('redirects to `to` with the request path and query, outside the context path too', async () => {
    emu.setFaults([{ kind: 'redirect', status: 301, to: 'https://elsewhere.example:8443', path: '/rest/api/' }]);
    const moved = await call(`${props}?a=1`);
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe(
      'https://elsewhere.example:8443/bb/rest/api/1.0/application-properties?a=1',
    );
    // a front that adds a missing context path: the request outside it is redirected, not a 404
    const origin = new URL(emu.baseUrl).origin;
    emu.clearLog();
    emu.setFaults([{ kind: 'redirect', to: '/bb', path: '^/rest/' }]);
    const bare = await call(`${origin}/rest/api/1.0/application-properties`);
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/bb/rest/api/1.0/application-properties');
    expect((await call(`${origin}/other`)).status).toBe(404);
    expect((await call(props)).status).toBe(200);
    expect(emu.log().map((e) => [e.path, e.status, e.fault])).toEqual([
      ['/rest/api/1.0/application-properties', 302, 'redirect'],
      ['/bb/rest/api/1.0/application-properties', 200, undefined],
    ]);
    expect(() => emu.setFaults([{ kind: 'redirect' }])).toThrow('faults[0].to: required with kind redirect');
    expect(() => emu.setFaults([{ kind: 'redirect', to: '/x', status: 200 }])).toThrow(
      'faults[0].status: a redirect is 3xx',
    );
  });
  it('applies to git over HTTP too (a clone fails on a 500)', async () => {
    const box = await gitSandbox();
    try {
      emu.setFaults([{ kind: 'status', status: 500, path: '/scm/' }]);
      const r = await box.git(['clone', '--quiet', `${emu.baseUrl}/scm/pub/docs.git`, join(box.dir, 'c')]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/500/);
    } finally {
      await box.cleanup();
    }
  });
  describe('afterHandling: the request takes effect, then its answer is lost', () => {
    const tokens = () => `${emu.baseUrl}/rest/access-tokens/1.0/users/alice`;
    const create = (name: string) =>
      fetch(tokens(), {
        method: 'PUT',
        headers: { Authorization: basic('alice', 'alice-pw'), 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, permissions: ['REPO_READ'], expiryDays: 30 }),
      });
    const named = async (name: string) => {
      const page = (await call(`${tokens()}?limit=1000`, basic('alice', 'alice-pw'))).body as {
        values: Array<{ name: string }>;
      };
      return page.values.filter((t) => t.name === name).length;
    };
    it('replaced by a 502: the token exists all the same', async () => {
      emu.setFaults([{ kind: 'afterHandling', then: 'status', method: 'PUT', times: 1 }]);
      const r = await create('lost-502');
      expect(r.status).toBe(502);
      expect(await r.text()).not.toMatch(/"token"/);
      expect(emu.log()[0]).toMatchObject({ method: 'PUT', fault: 'afterHandling', status: 502 });
      expect(await named('lost-502')).toBe(1);
    });
    it('a reset connection (the default)', async () => {
      emu.setFaults([{ kind: 'afterHandling', method: 'PUT', times: 1 }]);
      await expect(create('lost-reset')).rejects.toThrow();
      expect(emu.log()[0]).toMatchObject({ fault: 'afterHandling', status: 0 });
      expect(await named('lost-reset')).toBe(1);
    });
    it('never answered, or answered late', async () => {
      emu.setFaults([{ kind: 'afterHandling', then: 'hang', method: 'PUT', times: 1 }]);
      await expect(
        fetch(tokens(), {
          method: 'PUT',
          headers: { Authorization: basic('alice', 'alice-pw'), 'Content-Type': 'application/json' },
          body: JSON.stringify({ name: 'lost-hang', permissions: ['REPO_READ'], expiryDays: 30 }),
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toThrow(/abort|timeout/i);
      expect(await named('lost-hang')).toBe(1);
      emu.setFaults([{ kind: 'afterHandling', then: 'latency', ms: 50, method: 'PUT', times: 1 }]);
      const late = await create('late');
      expect(late.status).toBe(200);
      expect(((await late.json()) as { name: string }).name).toBe('late');
    });
  });
  it('rejects invalid faults with a clear message', () => {
    expect(() => emu.setFaults([{ kind: 'afterHandling', then: 'explode' } as never])).toThrow(/then/);
    expect(() => emu.setFaults([{ kind: 'status', then: 'reset' }])).toThrow(/then/);
    expect(() => emu.setFaults([{ kind: 'explode' } as never])).toThrow(/kind/);
    expect(() => emu.setFaults([{ kind: 'status', path: '(' }])).toThrow(/regular expression/);
  });
});

describe('request log', () => {
  it('records method, path, query, auth kind, user and status, never secrets', async () => {
    await call(`${users}?filter=bo&limit=2`, basic('alice', T.aliceWrite));
    await call(users, bearer(T.aliceRead));
    await call(users);
    await call(users, basic('alice', 'wrong'));
    const log = emu.log();
    expect(
      log.map(({ method, path, query, auth, user, status }) => ({ method, path, query, auth, user, status })),
    ).toEqual([
      {
        method: 'GET',
        path: '/bb/rest/api/1.0/users',
        query: 'filter=bo&limit=2',
        auth: 'basic',
        user: 'alice',
        status: 200,
      },
      { method: 'GET', path: '/bb/rest/api/1.0/users', query: '', auth: 'bearer', user: 'alice', status: 200 },
      { method: 'GET', path: '/bb/rest/api/1.0/users', query: '', auth: 'none', user: undefined, status: 401 },
      { method: 'GET', path: '/bb/rest/api/1.0/users', query: '', auth: 'basic', user: undefined, status: 401 },
    ]);
    const text = JSON.stringify(log);
    for (const secret of [T.aliceWrite, T.aliceRead, 'wrong']) expect(text).not.toContain(secret);
  });
});

describe('admin endpoints', () => {
  const admin = (p: string) => `${emu.baseUrl}/__emulator${p}`;
  it('PUT/DELETE faults', async () => {
    const put = await fetch(admin('/faults'), {
      method: 'PUT',
      body: JSON.stringify([{ kind: 'status', status: 502 }]),
    });
    expect(put.status).toBe(204);
    expect((await call(props)).status).toBe(502);
    expect((await fetch(admin('/faults'), { method: 'DELETE' })).status).toBe(204);
    expect((await call(props)).status).toBe(200);
    expect((await fetch(admin('/faults'), { method: 'PUT', body: '[{"kind":"nope"}]' })).status).toBe(400);
  });
  it('GET log, not logging itself and not faulted', async () => {
    emu.setFaults([{ kind: 'status', status: 500 }]);
    await call(props);
    const res = await fetch(admin('/log'));
    expect(res.status).toBe(200);
    const log = (await res.json()) as { path: string; status: number }[];
    expect(log).toEqual([expect.objectContaining({ path: '/bb/rest/api/1.0/application-properties', status: 500 })]);
  });
  it('PATCH switches, validated', async () => {
    const res = await fetch(admin('/switches'), {
      method: 'PATCH',
      body: JSON.stringify({ version: '8.9.22', basicAuthDisabled: true }),
    });
    expect(res.status).toBe(200);
    expect((await call(props)).body.version).toBe('8.9.22');
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(403);
    expect((await fetch(admin('/switches'), { method: 'PATCH', body: '{"basicAuthDisabled":"yes"}' })).status).toBe(
      400,
    );
  });
  it('is only reachable under the context path', async () => {
    const outside = await new Promise<number>((resolve, reject) => {
      request(`http://127.0.0.1:${emu.port}/__emulator/log`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(outside).toBe(404);
  });
});
