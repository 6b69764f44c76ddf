// httpRequest at the edges of TLS, against real TLS servers on 127.0.0.1 and with settings read
// from real git config: one TLS context per process (not one per request), client certificates
// (http.sslCert / http.sslKey, GIT_SSL_CERT / GIT_SSL_KEY), and short messages for what OpenSSL
// says at length; and the guard's title worded by the kind of failure.
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { httpRequest, type HttpResult } from '../../src/bitbucket/http.js';
import { BitbucketClient } from '../../src/bitbucket/client.js';
import { httpSettingsFor, type HttpSettings } from '../../src/git/config.js';
import { decide } from '../../src/prepush/verdict.js';
import { DEFAULT_POLICY } from '../../src/prepush/policy.js';
import type { CheckFacts } from '../../src/prepush/facts.js';
import { makeSandbox, runGit, type Sandbox } from '../helpers/sandbox.js';
import { closedPort, startProxy, startServer, type TestProxy, type TestServer } from './helpers.js';
import { EXPIRED_ON, makeEdgePki, startTlsFront, VALID_FROM, type EdgePki, type TlsFront } from './tls-pki.js';

let pki: EdgePki;
let plain: TestServer;
let proxy: TestProxy;
let valid: TlsFront;
let mtls: TlsFront;
let sb: Sandbox;

beforeAll(async () => {
  pki = makeEdgePki();
  plain = await startServer();
  proxy = await startProxy();
  valid = await startTlsFront(pki, pki.valid, plain.port);
  mtls = await startTlsFront(pki, pki.valid, plain.port, { clientCa: pki.caFile });
});
afterAll(async () => {
  await Promise.all([plain.close(), proxy.close(), valid.close(), mtls.close()]);
  pki.remove();
});
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => {
  sb.cleanup();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  plain.requests.length = 0;
  plain.handler = (_req, res) => res.end('ok');
  proxy.log.length = 0;
});

const get = (url: string, settings: HttpSettings): Promise<HttpResult> =>
  httpRequest({ url, timeoutMs: 5000, settings });

/** The settings git config gives for `url` after `git config --global` of each pair. */
async function configured(url: string, pairs: Array<[string, string]>, env: NodeJS.ProcessEnv = {}) {
  for (const [k, v] of pairs) expect((await runGit(sb, ['config', '--global', k, v])).exitCode).toBe(0);
  return httpSettingsFor(`${url}/`, undefined, { ...sb.env, ...env });
}

function failure(r: HttpResult, kind = 'tls'): string {
  if (r.ok) throw new Error(`expected a ${kind} failure, got HTTP ${r.status}`);
  expect(r.error).toBe(kind);
  // one line, no OpenSSL source paths or error stacks
  expect(r.message).not.toMatch(/\n|deps\/openssl|:error:[0-9A-F]{8}:/);
  return r.message;
}

describe('one TLS context per process', () => {
  it('the system trust is built once for many requests, concurrent or one after the other', async () => {
    vi.stubEnv('SSL_CERT_FILE', pki.caFile);
    const built = vi.spyOn(tls, 'createSecureContext');
    const wave = await Promise.all(Array.from({ length: 6 }, () => get(valid.url, { sslVerify: true })));
    for (const r of wave) expect(r).toMatchObject({ ok: true, status: 200 });
    for (let i = 0; i < 3; i++) expect(await get(valid.url, { sslVerify: true })).toMatchObject({ ok: true });
    expect(built.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('http.sslCAInfo too, and through a CONNECT proxy, which still verifies the server', async () => {
    const settings = await configured(valid.url, [[`http.${valid.url}/.sslCAInfo`, pki.caFile]]);
    const built = vi.spyOn(tls, 'createSecureContext');
    const viaProxy = { ...settings, proxy: proxy.url, noProxy: '' };
    const wave = await Promise.all([
      ...Array.from({ length: 3 }, () => get(valid.url, settings)),
      ...Array.from({ length: 3 }, () => get(valid.url, viaProxy)),
    ]);
    for (const r of wave) expect(r).toMatchObject({ ok: true, status: 200 });
    expect(proxy.log.filter((l) => l.method === 'CONNECT')).toHaveLength(3);
    expect(built.mock.calls.length).toBeLessThanOrEqual(1);
    vi.stubEnv('SSL_CERT_FILE', '/nonexistent');
    failure(await get(valid.url, { sslVerify: true, proxy: proxy.url, noProxy: '' }));
  });
});

describe('client certificates (mTLS), as git reads them', () => {
  it('without one: says the server asks for it and which settings give it', async () => {
    const settings = await configured(mtls.url, [[`http.${mtls.url}/.sslCAInfo`, pki.caFile]]);
    const message = failure(await get(mtls.url, settings));
    expect(message).toBe(
      `TLS failure with 127.0.0.1:${mtls.port}: the server asks for a client certificate (http.sslCert/http.sslKey) (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)`,
    );
  });

  it('http.<url>.sslCert and sslKey from git config, directly and through a proxy', async () => {
    const settings = await configured(mtls.url, [
      [`http.${mtls.url}/.sslCAInfo`, pki.caFile],
      [`http.${mtls.url}/.sslCert`, pki.clientCert],
      [`http.${mtls.url}/.sslKey`, pki.clientKey],
    ]);
    expect(await get(mtls.url, settings)).toMatchObject({ ok: true, status: 200 });
    expect(await get(mtls.url, { ...settings, proxy: proxy.url, noProxy: '' })).toMatchObject({ ok: true });
    expect(proxy.log.map((l) => l.method)).toContain('CONNECT');
  });

  it('a key in the certificate file (curl reads it there without http.sslKey), and a ~/ path', async () => {
    const { copyFileSync } = await import('node:fs');
    copyFileSync(pki.clientCombined, `${sb.home}/client.pem`);
    const settings = await configured(mtls.url, [
      ['http.sslCAInfo', pki.caFile],
      ['http.sslCert', '~/client.pem'],
    ]);
    expect(await get(mtls.url, settings)).toMatchObject({ ok: true, status: 200 });
  });

  it('http.sslCertPasswordProtected with a key in clear: the key is used as it is', async () => {
    const settings = await configured(mtls.url, [
      ['http.sslCAInfo', pki.caFile],
      ['http.sslCert', pki.clientCert],
      ['http.sslKey', pki.clientKey],
      ['http.sslCertPasswordProtected', 'true'],
    ]);
    expect(await get(mtls.url, settings)).toMatchObject({ ok: true, status: 200 });
  });

  it('GIT_SSL_CERT and GIT_SSL_KEY override the config, as for git', async () => {
    const settings = await configured(
      mtls.url,
      [
        ['http.sslCAInfo', pki.caFile],
        ['http.sslCert', `${pki.dir}/missing.pem`],
      ],
      { GIT_SSL_CERT: pki.clientCert, GIT_SSL_KEY: pki.clientKey },
    );
    expect(await get(mtls.url, settings)).toMatchObject({ ok: true, status: 200 });
  });

  it('a missing file, a key under a passphrase or a non-PEM type: one line each, nothing sent', async () => {
    const missing = await configured(mtls.url, [
      ['http.sslCAInfo', pki.caFile],
      ['http.sslCert', `${pki.dir}/missing.pem`],
    ]);
    expect(failure(await get(mtls.url, missing))).toBe(
      `cannot read the client certificate ${pki.dir}/missing.pem (http.sslCert) (ENOENT)`,
    );
    const encrypted = await configured(mtls.url, [
      ['http.sslCert', pki.clientCert],
      ['http.sslKey', pki.clientKeyEncrypted],
    ]);
    expect(failure(await get(mtls.url, encrypted))).toBe(
      `the client key ${pki.clientKeyEncrypted} is protected by a passphrase (http.sslKey); set http.sslCertPasswordProtected to true to have git's credential helpers or prompt give it`,
    );
    const der = await configured(mtls.url, [['http.sslCertType', 'P12']]);
    expect(failure(await get(mtls.url, der))).toContain('http.sslCertType P12 is not supported (PEM only)');
    expect(plain.requests).toHaveLength(0);
  });
});

describe('OpenSSL errors in a few words', () => {
  it('https:// to a plain http port: the server does not speak TLS there', async () => {
    const r = await get(plain.url.replace('http:', 'https:'), { sslVerify: true });
    expect(failure(r)).toBe(
      `TLS failure with 127.0.0.1:${plain.port}: the server does not speak TLS on this port (http:// URL?) (ERR_SSL_WRONG_VERSION_NUMBER)`,
    );
  });

  it('an expired or not yet valid certificate: its dates, directly and through a proxy', async () => {
    const expired = await startTlsFront(pki, pki.expired, plain.port);
    const future = await startTlsFront(pki, pki.notYetValid, plain.port);
    try {
      const settings = { sslVerify: true, caFile: pki.caFile };
      expect(failure(await get(expired.url, settings))).toBe(
        `TLS failure with 127.0.0.1:${expired.port}: the server's certificate expired on ${EXPIRED_ON} (CERT_HAS_EXPIRED)`,
      );
      expect(failure(await get(expired.url, { ...settings, proxy: proxy.url, noProxy: '' }))).toContain(
        `expired on ${EXPIRED_ON} (CERT_HAS_EXPIRED)`,
      );
      expect(failure(await get(future.url, settings))).toBe(
        `TLS failure with 127.0.0.1:${future.port}: the server's certificate is valid only from ${VALID_FROM} (CERT_NOT_YET_VALID)`,
      );
      expect(plain.requests).toHaveLength(0);
    } finally {
      await Promise.all([expired.close(), future.close()]);
    }
  });

  it('an untrusted certificate names the CA file in use', async () => {
    const other = makeEdgePki();
    try {
      const settings = await configured(valid.url, [[`http.${valid.url}/.sslCAInfo`, other.caFile]]);
      expect(failure(await get(valid.url, settings))).toBe(
        `TLS failure with 127.0.0.1:${valid.port}: the server's certificate is signed by a CA that the CA file ${other.caFile} does not hold (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
      );
    } finally {
      other.remove();
    }
  });
});

describe("the guard's title says what failed", () => {
  const facts = (message: string): CheckFacts => ({
    remote: { name: 'origin', url: `${valid.url}/scm/p/r.git`, baseUrl: valid.url },
    credential: { found: true, source: 'credential store', scheme: 'bearer' },
    server: { status: 'unreachable', message: `${message}; not checked: who the token acts as` },
    now: 0,
  });
  const title = (r: HttpResult) =>
    decide(facts(failure(r, r.ok ? 'none' : r.error)), DEFAULT_POLICY).findings[0]?.title;

  it('TLS, refused, reset and timeout each in their own words', async () => {
    const base = valid.url;
    expect(title(await get(valid.url, { sslVerify: true, caFile: pki.clientCert }))).toBe(
      `could not reach ${base}: TLS failed; the push was not checked`,
    );
    expect(title(await get(`http://127.0.0.1:${await closedPort()}`, { sslVerify: true }))).toBe(
      `could not reach ${base}: no connection; the push was not checked`,
    );
    plain.handler = (req) => req.socket.destroy();
    expect(title(await get(plain.url, { sslVerify: true }))).toBe(
      `could not reach ${base}: the connection was closed; the push was not checked`,
    );
    plain.handler = () => {};
    expect(title(await httpRequest({ url: plain.url, timeoutMs: 200, settings: { sslVerify: true } }))).toBe(
      `could not reach ${base} in time; the push was not checked`,
    );
  });

  it("a proxy that is down, and the client's spent time budget, too", async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    expect(title(await get(valid.url, { sslVerify: true, proxy: down, noProxy: '' }))).toBe(
      `could not reach ${valid.url}: the proxy failed; the push was not checked`,
    );
    const client = new BitbucketClient({
      baseUrl: plain.url,
      settings: { sslVerify: true },
      timeoutMs: 1000,
      deadline: Date.now() - 1,
    });
    const spent = await client.applicationProperties();
    if (spent.status === 'ok') throw new Error('expected no answer');
    expect(decide(facts(spent.message), DEFAULT_POLICY).findings[0]?.title).toBe(
      `could not reach ${valid.url} in time; the push was not checked`,
    );
  });
});
