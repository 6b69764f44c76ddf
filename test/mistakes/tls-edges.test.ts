/**
 * TLS mistakes as a user meets them, with the built program and real git config: a server whose
 * certificate has expired (or is not valid yet), a CA file that lacks the server's CA, a server
 * that asks for a client certificate (http.sslCert / http.sslKey), and https:// to a plain http
 * port. Each is one line naming the cause and the next step; a client certificate git is
 * configured with works. The TLS servers are fronts for the emulator on 127.0.0.1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN, describe as credential } from '../helpers/sandbox.js';
import {
  EXPIRED_ON,
  makeEdgePki,
  startTlsFront,
  VALID_FROM,
  type EdgePki,
  type TlsFront,
} from '../bitbucket/tls-pki.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ secrets: [token] });
const { bin, git } = f;

let pki: EdgePki;
let other: EdgePki;
let expired: TlsFront;
let future: TlsFront;
let valid: TlsFront;
let mtls: TlsFront;
beforeAll(async () => {
  pki = makeEdgePki();
  other = makeEdgePki();
  const port = Number(new URL(f.emu.baseUrl).port);
  [expired, future, valid, mtls] = await Promise.all([
    startTlsFront(pki, pki.expired, port),
    startTlsFront(pki, pki.notYetValid, port),
    startTlsFront(pki, pki.valid, port),
    startTlsFront(pki, pki.valid, port, { clientCa: pki.caFile }),
  ]);
});
afterAll(async () => {
  await Promise.all([expired, future, valid, mtls].map((s) => s.close()));
  pki.remove();
  other.remove();
});

const login = (url: string, env: NodeJS.ProcessEnv = {}) =>
  bin(['login', url, '--token-stdin'], `${token}\n`, { env: { ...f.sb.env, ...env } });
const trust = (url: string, caFile = pki.caFile) => git(['config', '--global', `http.${url}/.sslCAInfo`, caFile]);

/** One line, exit 1, nothing stored, no OpenSSL text. */
function oneLine(r: { exitCode: number; stderr: string }): string {
  expect(r.exitCode, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/deps\/openssl|:error:[0-9A-F]{8}:/);
  expect(fs.existsSync(f.sb.dataDir) ? fs.readdirSync(f.sb.dataDir) : []).not.toContain('credentials.json');
  return lines[0]!;
}

describe('login, before any token is sent', () => {
  it("an expired certificate: when it expired, and that the server's administrator must renew it", async () => {
    await trust(expired.url);
    expect(oneLine(await login(expired.url))).toBe(
      `git-credential-bitbucket: TLS failure with 127.0.0.1:${expired.port}: the server's certificate expired on ${EXPIRED_ON} (CERT_HAS_EXPIRED); tell the server's administrator: the certificate must be renewed; nothing was stored`,
    );
  });

  it('a certificate not valid yet: from when, and to check the clock', async () => {
    await trust(future.url);
    expect(oneLine(await login(future.url))).toContain(
      `the server's certificate is valid only from ${VALID_FROM} (CERT_NOT_YET_VALID); check this machine's date and time, else tell the server's administrator`,
    );
  });

  it('http.sslCAInfo set to a file without the CA: names that file (and GIT_SSL_CAINFO when it names it)', async () => {
    await trust(valid.url, other.caFile);
    const line = oneLine(await login(valid.url));
    expect(line).toContain(
      `127.0.0.1:${valid.port} presents a certificate signed by a CA that ${other.caFile} does not hold (UNABLE_TO_VERIFY_LEAF_SIGNATURE), the CA file http.sslCAInfo names; get the CA's PEM file from your administrator and add it to ${other.caFile}, or run: git config --global http.${valid.url}/.sslCAInfo <file>`,
    );
    const env = oneLine(await login(valid.url, { GIT_SSL_CAINFO: other.caFile }));
    expect(env).toContain(`the CA file GIT_SSL_CAINFO names;`);
    expect(env).toContain(`add it to ${other.caFile}, or set GIT_SSL_CAINFO to it`);
    expect((await login(valid.url, { GIT_SSL_CAINFO: pki.caFile })).exitCode).toBe(0);
  });

  it('a server that asks for a client certificate: says so; with http.sslCert and sslKey login works', async () => {
    await trust(mtls.url);
    expect(oneLine(await login(mtls.url))).toContain(
      `TLS failure with 127.0.0.1:${mtls.port}: the server asks for a client certificate (http.sslCert/http.sslKey) (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED)`,
    );
    await git(['config', '--global', `http.${mtls.url}/.sslCert`, pki.clientCert]);
    await git(['config', '--global', `http.${mtls.url}/.sslKey`, pki.clientKey]);
    const r = await login(mtls.url);
    expect(r.exitCode, r.stderr).toBe(0);
  });
});

describe('doctor', () => {
  it('https:// to a plain http port: the server does not speak TLS there', async () => {
    const url = f.emu.baseUrl.replace(/^http:/, 'https:');
    const r = await bin(['doctor', url]);
    expect(r.exitCode).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain(
      `TLS failure with ${new URL(url).host}: the server does not speak TLS on this port (http:// URL?) (ERR_SSL_WRONG_VERSION_NUMBER)`,
    );
    expect(out).not.toMatch(/deps\/openssl|EPROTO/);
  });
});

describe('the guard', () => {
  it('says TLS failed in its title, and checks the push with the client certificate git config names', async () => {
    await trust(mtls.url);
    const host = `127.0.0.1:${mtls.port}`;
    const stored = await bin(['store'], credential({ protocol: 'https', host, username: 'alice', password: token }));
    expect(stored.exitCode, stored.stderr).toBe(0);
    const work = path.join(f.sb.dir, 'work');
    await git(['init', '-q', '-b', 'main', work]);
    const inWork = { cwd: work };
    await git(
      ['-c', 'user.email=alice@example.com', '-c', 'user.name=A', 'commit', '-q', '--allow-empty', '-m', 'x'],
      inWork,
    );
    await git(['config', 'credential.helper', BIN], inWork);
    const head = (await git(['rev-parse', 'HEAD'], inWork)).stdout.trim();
    const input = `refs/heads/main ${head} refs/heads/main ${'0'.repeat(40)}\n`;
    const remote = `${mtls.url}/scm/PRJ/app.git`;
    const without = await bin(['hook', 'pre-push', 'origin', remote], input, inWork);
    expect(without.exitCode, without.stderr).toBe(0);
    expect(without.stderr).toContain(`could not reach ${mtls.url}: TLS failed; the push was not checked`);
    expect(without.stderr).toContain('the server asks for a client certificate (http.sslCert/http.sslKey)');
    await git(['config', '--global', `http.${mtls.url}/.sslCert`, pki.clientCombined]);
    const withCert = await bin(['hook', 'pre-push', 'origin', remote], input, inWork);
    expect(withCert.exitCode, withCert.stderr).toBe(0);
    expect(withCert.stderr).not.toMatch(/could not reach|TLS/);
  });
});
