// httpRequest against real loopback servers: timeouts, resets, TLS trust, proxies, body cap.
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest, type HttpResult } from '../../src/bitbucket/http.js';
import {
  closedPort,
  makePki,
  startProxy,
  startServer,
  type TestProxy,
  type TestPki,
  type TestServer,
} from './helpers.js';
import { bound } from '../helpers/bounds.js';

const SECRET = 'BBDC-c2VjcmV0LXRva2VuLWZvci10ZXN0cy1vbmx5';
const direct = { sslVerify: true };
let pki: TestPki;
let plain: TestServer;
let secure: TestServer;
let proxy: TestProxy;

beforeAll(async () => {
  pki = await makePki();
  plain = await startServer();
  secure = await startServer({ key: pki.key, cert: pki.cert });
  proxy = await startProxy();
});
afterAll(async () => {
  await Promise.all([plain.close(), secure.close(), proxy.close()]);
  await rm(pki.dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const s of [plain, secure]) {
    s.requests.length = 0;
    s.handler = (_req, res) => res.end('ok');
  }
  proxy.log.length = 0;
  delete proxy.requireAuth;
});

function expectFailure(r: HttpResult, error: string): string {
  if (r.ok) throw new Error(`expected ${error}, got HTTP ${r.status}`);
  expect(r.error).toBe(error);
  expect(r.message).not.toContain(SECRET);
  return r.message;
}

describe('httpRequest: plain http', () => {
  it('returns status, lower-cased headers, body and parsed json', async () => {
    plain.handler = (_req, res) =>
      res.writeHead(201, { 'Content-Type': 'application/json;charset=UTF-8', 'X-AREQUESTID': 'r1' }).end('{"a":1}');
    const r = await httpRequest({ url: `${plain.url}/x?y=1`, timeoutMs: 2000, settings: direct });
    expect(r).toEqual({
      ok: true,
      status: 201,
      headers: expect.objectContaining({ 'x-arequestid': 'r1' }),
      body: '{"a":1}',
      json: { a: 1 },
    });
    expect(plain.requests[0]?.url).toBe('/x?y=1');
  });
  it('leaves json undefined on a malformed json body', async () => {
    plain.handler = (_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{nope');
    const r = await httpRequest({ url: plain.url, timeoutMs: 2000, settings: direct });
    expect(r.ok && r.json).toBeUndefined();
  });
  it('times out on a server that never answers, within the bound', async () => {
    plain.handler = () => undefined;
    const t0 = Date.now();
    expectFailure(await httpRequest({ url: plain.url, timeoutMs: 300, settings: direct }), 'timeout');
    expect(Date.now() - t0).toBeLessThan(bound(300));
  });
  it('waits for a slow answer under a timeout longer than Node timers take (no 1 ms timer, no warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    plain.handler = (_req, res) => setTimeout(() => res.end('late'), 50);
    try {
      const r = await httpRequest({ url: plain.url, timeoutMs: 2_200_000_000, settings: direct });
      expect(r.ok && r.body).toBe('late');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
  it('times out on a body that never ends (the deadline covers the whole response)', async () => {
    plain.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial');
    };
    expectFailure(await httpRequest({ url: plain.url, timeoutMs: 300, settings: direct }), 'timeout');
  });
  it('reports a reset connection', async () => {
    plain.handler = (req) => req.socket.destroy();
    expectFailure(await httpRequest({ url: plain.url, timeoutMs: 2000, settings: direct }), 'reset');
  });
  it('reports a connection cut mid-body as reset', async () => {
    plain.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('partial', () => res.socket?.destroy());
    };
    expectFailure(await httpRequest({ url: plain.url, timeoutMs: 2000, settings: direct }), 'reset');
  });
  it('reports a refused connection as unreachable', async () => {
    expectFailure(
      await httpRequest({ url: `http://127.0.0.1:${await closedPort()}/`, timeoutMs: 2000, settings: direct }),
      'unreachable',
    );
  });
  it('caps the body size', async () => {
    plain.handler = (_req, res) => res.end('x'.repeat(64 * 1024));
    expectFailure(
      await httpRequest({ url: plain.url, timeoutMs: 2000, settings: direct, maxBodyBytes: 1024 }),
      'too-large',
    );
  });
  it('stops on abort', async () => {
    plain.handler = () => undefined;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    expectFailure(
      await httpRequest({ url: plain.url, timeoutMs: 5000, settings: direct, signal: ac.signal }),
      'aborted',
    );
  });
  it('refuses a header value with CR/LF without sending and without echoing it', async () => {
    const r = await httpRequest({
      url: plain.url,
      timeoutMs: 2000,
      settings: direct,
      headers: { Authorization: `Bearer ${SECRET}\r\nX: y` },
    });
    expectFailure(r, 'unreachable');
    expect(plain.requests).toHaveLength(0);
  });
  it('sends a body with Content-Length', async () => {
    let got = '';
    plain.handler = (req, res) => {
      req.on('data', (c: Buffer) => {
        got += c.toString();
      });
      req.on('end', () => res.end());
    };
    await httpRequest({ url: plain.url, method: 'POST', body: 'héllo', timeoutMs: 2000, settings: direct });
    expect(got).toBe('héllo');
  });
});

describe('httpRequest: TLS', () => {
  it('accepts the server with the CA file', async () => {
    const r = await httpRequest({
      url: secure.url,
      timeoutMs: 2000,
      settings: { sslVerify: true, caFile: pki.caFile },
    });
    expect(r).toMatchObject({ ok: true, status: 200, body: 'ok' });
  });
  it('refuses an unknown CA (default roots, or another CA file)', async () => {
    expectFailure(await httpRequest({ url: secure.url, timeoutMs: 2000, settings: direct }), 'tls');
    expectFailure(
      await httpRequest({ url: secure.url, timeoutMs: 2000, settings: { sslVerify: true, caFile: pki.otherCaFile } }),
      'tls',
    );
    expect(secure.requests).toHaveLength(0);
  });
  it('accepts anything with sslVerify=false', async () => {
    expect(await httpRequest({ url: secure.url, timeoutMs: 2000, settings: { sslVerify: false } })).toMatchObject({
      ok: true,
      status: 200,
    });
  });
  it('reports an unreadable CA file', async () => {
    expectFailure(
      await httpRequest({
        url: secure.url,
        timeoutMs: 2000,
        settings: { sslVerify: true, caFile: `${pki.dir}/missing.pem` },
      }),
      'tls',
    );
  });
  it('reports TLS against a plain http port', async () => {
    expectFailure(
      await httpRequest({ url: plain.url.replace('http:', 'https:'), timeoutMs: 2000, settings: direct }),
      'tls',
    );
  });
});

describe('httpRequest: proxy', () => {
  it('sends http requests to the proxy as absolute URIs', async () => {
    const r = await httpRequest({
      url: `${plain.url}/rest/x?q=1`,
      timeoutMs: 2000,
      settings: { sslVerify: true, proxy: proxy.url },
    });
    expect(r).toMatchObject({ ok: true, status: 200 });
    expect(proxy.log).toEqual([{ method: 'GET', target: `${plain.url}/rest/x?q=1` }]);
    expect(plain.requests).toHaveLength(1);
  });
  it('tunnels https with CONNECT and still verifies the server', async () => {
    const settings = { sslVerify: true, caFile: pki.caFile, proxy: proxy.url };
    expect(await httpRequest({ url: `${secure.url}/rest/y`, timeoutMs: 2000, settings })).toMatchObject({
      ok: true,
      body: 'ok',
    });
    expect(proxy.log).toEqual([{ method: 'CONNECT', target: `127.0.0.1:${secure.port}` }]);
    expect(secure.requests[0]?.url).toBe('/rest/y');
    expectFailure(
      await httpRequest({ url: secure.url, timeoutMs: 2000, settings: { ...settings, caFile: pki.otherCaFile } }),
      'tls',
    );
  });
  it('sends proxy credentials from the proxy URL and never shows them', async () => {
    const expected = 'Basic ' + Buffer.from('pu:p@ss').toString('base64');
    proxy.requireAuth = expected;
    const withCreds = proxy.url.replace('http://', 'http://pu:p%40ss@');
    expect(
      await httpRequest({ url: plain.url, timeoutMs: 2000, settings: { sslVerify: true, proxy: withCreds } }),
    ).toMatchObject({ ok: true });
    expect(
      await httpRequest({ url: secure.url, timeoutMs: 2000, settings: { sslVerify: false, proxy: withCreds } }),
    ).toMatchObject({ ok: true });
    expect(proxy.log.map((l) => l.proxyAuthorization)).toEqual([expected, expected]);
    expect(plain.requests.some((r) => JSON.stringify(r).includes('p@ss'))).toBe(false);
    const wrong = proxy.url.replace('http://', 'http://pu:wrong@');
    for (const url of [plain.url, secure.url]) {
      const msg = expectFailure(
        await httpRequest({ url, timeoutMs: 2000, settings: { sslVerify: false, proxy: wrong } }),
        'proxy',
      );
      expect(msg).not.toContain('wrong');
      expect(msg).not.toContain('pu:');
    }
  });
  it('bypasses the proxy for NO_PROXY hosts (loopback included only when listed)', async () => {
    await httpRequest({
      url: plain.url,
      timeoutMs: 2000,
      settings: { sslVerify: true, proxy: proxy.url, noProxy: 'example.com' },
    });
    expect(proxy.log).toHaveLength(1);
    proxy.log.length = 0;
    for (const noProxy of ['127.0.0.1', '*', 'example.com, 127.0.0.1']) {
      expect(
        await httpRequest({
          url: plain.url,
          timeoutMs: 2000,
          settings: { sslVerify: true, proxy: proxy.url, noProxy },
        }),
      ).toMatchObject({ ok: true });
      expect(
        await httpRequest({
          url: secure.url,
          timeoutMs: 2000,
          settings: { sslVerify: true, caFile: pki.caFile, proxy: proxy.url, noProxy },
        }),
      ).toMatchObject({ ok: true });
    }
    expect(proxy.log).toHaveLength(0);
  });
  it('reports a proxy that is down as a proxy error', async () => {
    const settings = { sslVerify: true, proxy: `http://127.0.0.1:${await closedPort()}` };
    expectFailure(await httpRequest({ url: plain.url, timeoutMs: 2000, settings }), 'proxy');
    expectFailure(await httpRequest({ url: secure.url, timeoutMs: 2000, settings }), 'proxy');
  });
  it('refuses unsupported proxy schemes', async () => {
    expectFailure(
      await httpRequest({
        url: plain.url,
        timeoutMs: 2000,
        settings: { sslVerify: true, proxy: 'socks5://127.0.0.1:1' },
      }),
      'proxy',
    );
  });
  it('times out a hanging server behind the proxy', async () => {
    secure.handler = () => undefined;
    const t0 = Date.now();
    expectFailure(
      await httpRequest({ url: secure.url, timeoutMs: 300, settings: { sslVerify: false, proxy: proxy.url } }),
      'timeout',
    );
    expect(Date.now() - t0).toBeLessThan(bound(300));
  });
});
