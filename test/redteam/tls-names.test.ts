// Issue 14 item 1: the server certificate is checked against the host of the URL in every path:
// direct and through a CONNECT proxy, for IPv4, IPv6 and host names. The attack: a certificate
// that names only `localhost`, served on 127.0.0.3, was accepted through a proxy.
import { lookup } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from '../../src/bitbucket/http.js';
import { expectNoSecrets, makeSandbox, runBin } from '../helpers/sandbox.js';
import { fakeBitbucket, makeCa, type HostileCa } from './hostile-server.js';
import { startProxy, startServer, type TestProxy, type TestServer } from '../bitbucket/helpers.js';

const TOKEN = 'BBDC-MDAwMDAwMDAwMDQyOnRscy1uYW1lLXRlc3QtdG9rZW4';
let ca: HostileCa;
let proxy: TestProxy;
let localhostAddress: string;
const servers: TestServer[] = [];

beforeAll(async () => {
  ca = makeCa();
  proxy = await startProxy();
  localhostAddress = (await lookup('localhost')).address;
});
afterAll(async () => {
  await Promise.all([proxy.close(), ...servers.map((s) => s.close())]);
  ca.remove();
});

async function serve(host: string, san: string): Promise<TestServer> {
  const s = await startServer(ca.issue(san), host);
  s.handler = fakeBitbucket({});
  servers.push(s);
  return s;
}

const paths = [
  { name: 'direct', proxy: undefined as string | undefined },
  { name: 'through a CONNECT proxy', proxy: 'proxy' },
];

async function get(url: string, via: string | undefined) {
  return httpRequest({
    url: `${url}/rest/api/1.0/users?limit=1`,
    headers: { Authorization: `Bearer ${TOKEN}` },
    timeoutMs: 5000,
    settings: { sslVerify: true, caFile: ca.caFile, ...(via ? { proxy: proxy.url } : {}) },
  });
}

describe.each(paths)('certificate names, $name', ({ proxy: via }) => {
  it('refuses a localhost-only certificate on 127.0.0.3; the server never sees the token', async () => {
    const s = await serve('127.0.0.3', 'DNS:localhost');
    const r = await get(s.url, via);
    expect(r.ok ? `HTTP ${r.status}` : r.error).toBe('tls');
    expect(s.requests).toHaveLength(0);
  });
  it('refuses a localhost-only certificate on [::1]', async () => {
    const s = await serve('::1', 'DNS:localhost');
    const r = await get(s.url, via);
    expect(r.ok ? `HTTP ${r.status}` : r.error).toBe('tls');
    expect(s.requests).toHaveLength(0);
  });
  it('refuses a certificate for another IP address', async () => {
    const s = await serve('127.0.0.3', 'IP:127.0.0.4');
    const r = await get(s.url, via);
    expect(r.ok ? `HTTP ${r.status}` : r.error).toBe('tls');
  });
  it('refuses a certificate for another name on a named host', async () => {
    const s = await serve(localhostAddress, 'DNS:bitbucket.invalid');
    const r = await get(`https://localhost:${s.port}`, via);
    expect(r.ok ? `HTTP ${r.status}` : r.error).toBe('tls');
  });
  it('accepts the right certificate for IPv4, IPv6 and a name', async () => {
    const v4 = await serve('127.0.0.3', 'IP:127.0.0.3');
    const v6 = await serve('::1', 'IP:::1');
    const named = await serve(localhostAddress, 'DNS:localhost');
    for (const url of [v4.url, v6.url, `https://localhost:${named.port}`]) {
      const r = await get(url, via);
      expect(r.ok && r.status, url).toBe(200);
    }
  });
});

describe('login through an honest CONNECT proxy to a server with the wrong certificate', () => {
  it('fails like the direct path and never sends the token', async () => {
    const s = await serve('127.0.0.3', 'DNS:localhost');
    const outputs: string[] = [];
    for (const env of [{}, { HTTPS_PROXY: proxy.url }]) {
      const sb = makeSandbox({ GIT_SSL_CAINFO: ca.caFile, ...env });
      try {
        const r = await runBin(sb, ['login', s.url, '--token-stdin'], `${TOKEN}\n`);
        outputs.push(r.stdout, r.stderr);
        expect(r.exitCode, r.stderr).not.toBe(0);
        expect(r.stderr).toMatch(/certificate|TLS/i);
      } finally {
        sb.cleanup();
      }
    }
    expect(proxy.log.some((x) => x.method === 'CONNECT' && x.target === `127.0.0.3:${s.port}`)).toBe(true);
    expect(s.requests.filter((x) => x.authorization !== undefined)).toEqual([]);
    expectNoSecrets(outputs, [TOKEN]);
  });
});
