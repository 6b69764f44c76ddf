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
  MISNAMED_FOR,
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
let misnamed: TlsFront;
beforeAll(async () => {
  pki = makeEdgePki();
  other = makeEdgePki();
  const port = Number(new URL(f.emu.baseUrl).port);
  [expired, future, valid, mtls, misnamed] = await Promise.all([
    startTlsFront(pki, pki.expired, port),
    startTlsFront(pki, pki.notYetValid, port),
    startTlsFront(pki, pki.valid, port),
    startTlsFront(pki, pki.valid, port, { clientCa: pki.caFile }),
    startTlsFront(pki, pki.misnamed, port),
  ]);
});
afterAll(async () => {
  await Promise.all([expired, future, valid, mtls, misnamed].map((s) => s.close()));
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

  it("a certificate for other names: the URL's host and the certificate's names", async () => {
    await trust(misnamed.url);
    expect(oneLine(await login(misnamed.url))).toBe(
      `git-credential-bitbucket: TLS failure with 127.0.0.1:${misnamed.port}: the server's certificate is not valid for 127.0.0.1: it names DNS:${MISNAMED_FOR} (ERR_TLS_CERT_ALTNAME_INVALID); the URL's host 127.0.0.1 is not among the certificate's names (DNS:${MISNAMED_FOR}): use the server's URL with one of them, or ask the server's administrator for a certificate that names 127.0.0.1; nothing was stored`,
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

describe('a client key under a passphrase, given by git credential fill as git asks for it', () => {
  /** A credential helper that logs each action and what it was given, and answers `pass` to get. */
  async function helper(pass: string): Promise<() => string> {
    const log = path.join(f.sb.dir, 'helper.log');
    const script = path.join(f.sb.dir, 'helper.sh');
    fs.writeFileSync(
      script,
      `#!/bin/sh\n{ echo "action=$1"; cat; } >> '${log}'\n[ "$1" = get ] && echo 'password=${pass}'\nexit 0\n`,
      { mode: 0o755 },
    );
    await git(['config', '--global', 'credential.helper', script]);
    return () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
  }
  /** The lines git gave the helper for each `action` in `log`, without git's capability lines. */
  const given = (log: string, action: string) =>
    log
      .split('action=')
      .filter((b) => b.startsWith(`${action}\n`))
      .map((b) => b.split('\n').filter((l) => l && l !== action && !l.startsWith('capability[]=')));
  const cert = () => ['protocol=cert', 'host=', `path=${pki.clientCert}`, 'username='];
  async function encryptedKey(protectedFlag: boolean) {
    await trust(mtls.url);
    await git(['config', '--global', `http.${mtls.url}/.sslCert`, pki.clientCert]);
    await git(['config', '--global', `http.${mtls.url}/.sslKey`, pki.clientKeyEncrypted]);
    if (protectedFlag) await git(['config', '--global', 'http.sslCertPasswordProtected', 'true']);
  }
  it('with http.sslCertPasswordProtected: asks protocol=cert and the certificate path, uses the answer, approves it', async () => {
    await encryptedKey(true);
    const log = await helper('secret-pass');
    const r = await login(mtls.url);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(given(log(), 'get')).toEqual([cert()]);
    expect(given(log(), 'store')).toEqual([[...cert(), 'password=secret-pass']]);
    expect(r.stdout + r.stderr).not.toContain('secret-pass');
  });

  it('a wrong passphrase: one line, and it is rejected to the helpers as git does', async () => {
    await encryptedKey(true);
    const log = await helper('wrong-pass');
    const line = oneLine(await login(mtls.url));
    expect(line).toBe(
      `git-credential-bitbucket: cannot reach ${mtls.url}: the client key ${pki.clientKeyEncrypted} does not open with the passphrase git's credential helpers gave for ${pki.clientCert} (http.sslKey); it was rejected to them; nothing was stored`,
    );
    expect(given(log(), 'erase')).toEqual([[...cert(), 'password=wrong-pass']]);
    expect(line).not.toContain('wrong-pass');
  });

  it('no helper answers (and no terminal): one line', async () => {
    await encryptedKey(true);
    expect(oneLine(await login(mtls.url))).toBe(
      `git-credential-bitbucket: cannot reach ${mtls.url}: the client key ${pki.clientKeyEncrypted} is protected by a passphrase (http.sslKey), and git gave none for ${pki.clientCert} (git credential fill, protocol=cert); nothing was stored`,
    );
  });

  it('without http.sslCertPasswordProtected: one line naming it, nothing asked', async () => {
    await encryptedKey(false);
    const log = await helper('secret-pass');
    expect(oneLine(await login(mtls.url))).toBe(
      `git-credential-bitbucket: cannot reach ${mtls.url}: the client key ${pki.clientKeyEncrypted} is protected by a passphrase (http.sslKey); set http.sslCertPasswordProtected to true to have git's credential helpers or prompt give it; nothing was stored`,
    );
    expect(log()).toBe('');
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

  interface Found {
    id: string;
    level: string;
    title: string;
    detail?: string;
    fix?: string;
  }
  /** doctor --json for `url`: its findings, the server's, and its whole output (to scan). */
  async function doctor(url: string, env: NodeJS.ProcessEnv = {}) {
    const r = await bin(['doctor', url, '--json'], '', { env: { ...f.sb.env, ...env } });
    const findings = (JSON.parse(r.stdout) as { findings: Found[] }).findings;
    const server = findings.find((x) => x.id === 'server');
    if (!server) throw new Error(`no server finding: ${r.stdout}`);
    return { findings, server, out: r.stdout + r.stderr };
  }

  it('an unknown CA: the fix names the CAs in use, http.sslCAInfo, GIT_SSL_CAINFO and NODE_EXTRA_CA_CERTS', async () => {
    const bare = await doctor(valid.url, { SSL_CERT_FILE: other.caFile, NODE_EXTRA_CA_CERTS: '' });
    expect(bare.server.level).toBe('error');
    expect(bare.server.fix).toBe(
      `the CAs in use (the system bundle ${other.caFile} from SSL_CERT_FILE, and Node's own) do not include the server's CA: get its PEM certificate from your administrator and run: git config --global http.${valid.url}/.sslCAInfo <file> (or set GIT_SSL_CAINFO to it); NODE_EXTRA_CA_CERTS reaches this helper only, not git`,
    );
    const extra = await doctor(valid.url, { SSL_CERT_FILE: other.caFile, NODE_EXTRA_CA_CERTS: other.clientCert });
    expect(extra.server.fix).toContain(
      `(the system bundle ${other.caFile} from SSL_CERT_FILE, NODE_EXTRA_CA_CERTS ${other.clientCert}, and Node's own)`,
    );
  });

  it('an unknown CA with a CA file: names the file and the setting that names it', async () => {
    await trust(valid.url, other.caFile);
    const configured = await doctor(valid.url);
    expect(configured.server.fix).toBe(
      `the CA file in use, ${other.caFile} (http.sslCAInfo), does not hold the server's CA: add its PEM certificate (from your administrator) to that file, or run: git config --global http.${valid.url}/.sslCAInfo <file> with a file that holds it; NODE_EXTRA_CA_CERTS is not read while a CA file is set`,
    );
    const fromEnv = await doctor(valid.url, { GIT_SSL_CAINFO: other.caFile });
    expect(fromEnv.server.fix).toContain(
      `the CA file in use, ${other.caFile} (GIT_SSL_CAINFO), does not hold the server's CA: add its PEM certificate (from your administrator) to that file, or set GIT_SSL_CAINFO to a file that holds it;`,
    );
    expect((await doctor(valid.url, { GIT_SSL_CAINFO: pki.caFile })).server.level).toBe('ok');
  });

  it("an expired or not yet valid certificate: the server's administrator (and this machine's clock)", async () => {
    await trust(expired.url);
    await trust(future.url);
    expect((await doctor(expired.url)).server).toMatchObject({
      level: 'error',
      title: expect.stringContaining(`expired on ${EXPIRED_ON} (CERT_HAS_EXPIRED)`) as unknown,
      fix: "tell the server's administrator: the certificate must be renewed",
    });
    expect((await doctor(future.url)).server.fix).toBe(
      "check this machine's date and time, else tell the server's administrator",
    );
  });

  it("a host name mismatch: the URL's host against the certificate's names", async () => {
    await trust(misnamed.url);
    const { server } = await doctor(misnamed.url);
    expect(server.title).toContain(
      `the server's certificate is not valid for 127.0.0.1: it names DNS:${MISNAMED_FOR} (ERR_TLS_CERT_ALTNAME_INVALID)`,
    );
    expect(server.fix).toBe(
      `the URL's host 127.0.0.1 is not among the certificate's names (DNS:${MISNAMED_FOR}): use the server's URL with one of them, or ask the server's administrator for a certificate that names 127.0.0.1`,
    );
  });

  it('a client certificate required or refused: http.sslCert and http.sslKey; the one in use is shown', async () => {
    await trust(mtls.url);
    const none = await doctor(mtls.url);
    expect(none.server.fix).toBe(
      `the server asks for a client certificate: get yours from your administrator and run: git config --global http.${mtls.url}/.sslCert <certificate file> and git config --global http.${mtls.url}/.sslKey <key file>`,
    );
    expect(none.findings.some((x) => x.id === 'client-cert')).toBe(false);

    await git(['config', '--global', `http.${mtls.url}/.sslCert`, other.clientCert]);
    await git(['config', '--global', `http.${mtls.url}/.sslKey`, other.clientKey]);
    const refused = await doctor(mtls.url);
    expect(refused.server.level, refused.server.title).toBe('error');
    // the TLS front (Node) closes the connection on a certificate it refuses, without an alert
    expect(refused.server.fix, refused.server.title).toBe(
      `the server closed the connection: it may not take the client certificate ${other.clientCert} (http.sslCert): set http.sslCert and http.sslKey to the certificate and key issued for this server (ask its administrator)`,
    );
    expect(refused.findings.find((x) => x.id === 'client-cert')?.title).toMatch(
      new RegExp(
        `^client certificate ${other.clientCert} \\(http\\.sslCert\\): CN=alice, issued by CN=gcb tls-edges CA, valid until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC$`,
      ),
    );

    await git(['config', '--global', `http.${mtls.url}/.sslCert`, pki.clientCombined]);
    await git(['config', '--global', '--unset', `http.${mtls.url}/.sslKey`]);
    const taken = await doctor(mtls.url);
    expect(taken.server.level, taken.out).toBe('ok');
    expect(taken.findings.find((x) => x.id === 'client-cert')).toMatchObject({
      level: 'info',
      title: expect.stringMatching(
        new RegExp(`^client certificate ${pki.clientCombined} \\(http\\.sslCert\\): CN=alice,`),
      ) as unknown,
      detail: `key: in the same file (http.sslCert)`,
    });
    // never key material
    const key = fs.readFileSync(pki.clientKey, 'utf8').split('\n')[1]!;
    expect(taken.out).not.toContain(key);
    expect(taken.out).not.toMatch(/PRIVATE KEY/);
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
