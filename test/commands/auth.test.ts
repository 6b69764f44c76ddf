/**
 * login, logout, status and list against the emulator, through the real binary. Every output
 * is scanned for every token the fixture holds.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { startProxy } from '../bitbucket/helpers.js';
import { describe as desc, expectNoSecrets, parsePairs, ROOT, runGit } from '../helpers/sandbox.js';
import { DEMO as fixture, fixtureToken as tok, useEmulatorSandbox } from '../helpers/fixture.js';
import { bound } from '../helpers/bounds.js';
import { DECLINE_SETUP, runOnPty } from '../helpers/pty.js';

// every token of the fixture (and those made later) is scanned for in every output (`get`'s stdout aside)
const ALL_TOKENS = (fixture.tokens ?? []).map((t) => t.token).filter((t): t is string => Boolean(t));
const f = useEmulatorSandbox({ context: '/bitbucket', secrets: ALL_TOKENS });
const { bin } = f;
beforeEach(() => {
  f.emu.setFaults([]);
  f.emu.clearLog();
});
const login = (token: string, ...args: string[]) =>
  bin(['login', f.emu.baseUrl, '--token-stdin', ...args], `${token}\n`);
const storeFile = () => path.join(f.sb.dataDir, 'credentials.json');
const stored = () =>
  fs.existsSync(storeFile())
    ? (JSON.parse(fs.readFileSync(storeFile(), 'utf8')) as { entries: Array<Record<string, unknown>> }).entries
    : [];
const host = () => new URL(f.emu.baseUrl).host;

describe('login', () => {
  it("stores a personal token so that git's host-level request gets it (context path or not)", async () => {
    const r = await login(tok('alice-write'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('Logged in to');
    expect(r.stderr).toMatch(/personal token "alice-write" \[PROJECT_READ, REPO_WRITE\]/);
    expect(r.stderr).toContain('2099-01-01');
    expect(stored()).toHaveLength(1);
    expect(stored()[0]).toMatchObject({
      protocol: 'http',
      host: host(),
      username: 'alice',
      isDefault: true,
      meta: { kind: 'personal', email: 'alice@example.com', baseUrl: f.emu.baseUrl },
    });
    expect(stored()[0]).not.toHaveProperty('path');
    const fill = await runGit(
      f.sb,
      ['-c', `credential.helper=${path.join(ROOT, 'bin/git-credential-bitbucket.js')}`, 'credential', 'fill'],
      desc({ protocol: 'http', host: host() }),
    );
    expect(parsePairs(fill.stdout)).toContainEqual(['password', tok('alice-write')]);
    // Bearer first: the person's Basic counter is never touched by a probe
    expect(
      f.emu
        .log()
        .filter((l) => l.path.includes('/rest/'))
        .every((l) => l.auth !== 'basic'),
    ).toBe(true);
  });

  it('confirms with Basic when the user record is inconclusive (no email address)', async () => {
    const token = makeToken('100000000099');
    ALL_TOKENS.push(token);
    const data = structuredClone(fixture);
    data.users!.push({ name: 'dave', displayName: 'Dave NoMail', password: 'dave-password' });
    data.permissions!.push({ user: 'dave', project: 'PRJ', permission: 'PROJECT_WRITE' });
    data.tokens!.push({ owner: { user: 'dave' }, name: 'dave-write', token, permissions: ['REPO_WRITE'] });
    const other = await startEmulator({ data });
    try {
      const r = await bin(['login', other.baseUrl, '--token-stdin'], `${token}\n`);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(stored()[0]).toMatchObject({ username: 'dave', meta: { kind: 'personal', authScheme: 'basic' } });
      expect(other.log().some((l) => l.auth === 'bearer')).toBe(true);
      expect(other.log().some((l) => l.auth === 'basic' && l.status === 200)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('refuses a project token with the duplicate-identity explanation, and stores it with --allow-project-token', async () => {
    const refused = await login(tok('prj-ci'));
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(/project or repository access token/);
    expect(refused.stderr).toMatch(/two identities/);
    expect(refused.stderr).toMatch(/nothing was stored/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(stored()).toEqual([]);

    const accepted = await login(tok('prj-ci'), '--allow-project-token');
    expect(accepted.exitCode, accepted.stderr).toBe(0);
    expect(accepted.stderr).toMatch(/Bearer/);
    expect(stored()[0]).toMatchObject({
      authtype: 'Bearer',
      hasPassword: false,
      hasCredential: true,
      meta: { kind: 'project' },
    });
    const withCap = await bin(
      ['get'],
      desc([
        ['capability[]', 'authtype'],
        ['protocol', 'http'],
        ['host', host()],
      ]),
    );
    expect(parsePairs(withCap.stdout)).toEqual([
      ['capability[]', 'authtype'],
      ['authtype', 'Bearer'],
      ['credential', tok('prj-ci')],
    ]);
    // git without the capability gets nothing: Basic with a project token would fail anyway
    expect((await bin(['get'], desc({ protocol: 'http', host: host() }))).stdout).toBe('');
    // git stores back what get answered (no username): that is the same entry, not a new one
    await bin(
      ['store'],
      desc([
        ['capability[]', 'authtype'],
        ['protocol', 'http'],
        ['host', host()],
        ['authtype', 'Bearer'],
        ['credential', tok('prj-ci')],
      ]),
    );
    expect(stored()).toHaveLength(1);
    expect((await bin(['logout', f.emu.baseUrl])).exitCode).toBe(0);
    expect(
      (
        await bin(
          ['get'],
          desc([
            ['capability[]', 'authtype'],
            ['protocol', 'http'],
            ['host', host()],
          ]),
        )
      ).stdout,
    ).toBe('');
  });

  it.each([
    ['revoked', 'alice-revoked'],
    ['expired', 'alice-expired'],
    ['wrong', 'BBDC-bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtZm9yLXRlc3Rz'],
  ])('refuses a %s token with a clear error and stores nothing', async (_what, name) => {
    const token = name.startsWith('BBDC-') ? name : tok(name);
    const r = await login(token);
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/rejected the token.*nothing was stored/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectNoSecrets([r.stderr, r.stdout], [token]);
    expect(stored()).toEqual([]);
    // never retried: one Bearer probe, no Basic attempt
    expect(f.emu.log().filter((l) => l.auth !== 'none')).toHaveLength(1);
  });

  it('stores a read-only token with a warning', async () => {
    const r = await bin(['login', `${f.emu.baseUrl}/scm/prj/app.git`, '--token-stdin'], `${tok('alice-read')}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cannot push: it lacks repository write permission \(REPO_WRITE\) on PRJ\/app/);
    expect(stored()).toHaveLength(1);
  });

  it("refuses a username that is not the token's owner", async () => {
    const r = await login(tok('alice-write'), '--username', 'bob');
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/belongs to 'alice', not 'bob'/);
    expect(stored()).toEqual([]);
  });

  it('rides out a 429 with Retry-After', async () => {
    f.emu.setFaults([{ kind: 'rateLimit', retryAfter: 1, times: 1, path: '/rest/api/1.0/users' }]);
    const started = Date.now();
    const r = await login(tok('alice-write'));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(f.emu.log().some((l) => l.status === 429)).toBe(true);
  });

  it('gives up on a hanging server within the timeout, with a clear message', async () => {
    f.emu.setFaults([{ kind: 'hang', path: '/rest/' }]);
    const started = Date.now();
    const r = await login(tok('alice-write'), '--timeout', '1');
    expect(r.exitCode).toBe(1);
    // the server is recognised before the token is read: the first request is the one that hangs
    expect(r.stderr).toMatch(
      /127\.0\.0\.1:\d+ did not answer within 1 s; check the URL, your VPN or proxy, or raise --timeout/,
    );
    expect(Date.now() - started).toBeLessThan(bound(1000));
    expect(stored()).toEqual([]);
  });

  it('refuses plain http to a non-loopback host and SSH addresses', async () => {
    const r1 = await bin(['login', 'http://bitbucket.example.invalid', '--token-stdin'], 'x\n');
    expect(r1.exitCode).toBe(2);
    expect(r1.stderr).toMatch(/plain http/);
    const r2 = await bin(['login', 'ssh://git@bitbucket.example.invalid:7999/prj/app.git', '--token-stdin'], 'x\n');
    expect(r2.exitCode).toBe(2);
    expect(r2.stderr).toMatch(/SSH/);
  });

  it('goes through a proxy configured in git (http.<url>.proxy)', async () => {
    const proxy = await startProxy();
    try {
      await runGit(f.sb, ['config', '--global', `http.${f.emu.baseUrl}/.proxy`, proxy.url]);
      // plain http through a proxy is cleartext on the network, loopback server or not
      const refused = await login(tok('alice-write'));
      expect(refused.exitCode).not.toBe(0);
      expect(proxy.log.filter((l) => l.authorization !== undefined)).toEqual([]);
      const r = await login(tok('alice-write'), '--allow-http');
      expect(r.exitCode, r.stderr).toBe(0);
      expect(proxy.log.some((l) => l.target.includes('/bitbucket/rest/api/1.0/users'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe('login over HTTPS', () => {
  let tls: Emulator;
  beforeAll(async () => {
    tls = await startEmulator({ data: fixture, https: true });
  });
  afterAll(async () => tls.stop());

  it('fails without the CA and works with http.sslCAInfo from git config', async () => {
    const without = await bin(['login', tls.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`);
    expect(without.exitCode).toBe(1);
    expect(without.stderr).toMatch(/certificate|TLS/i);
    await runGit(f.sb, ['config', '--global', `http.${tls.baseUrl}/.sslCAInfo`, tls.caFile!]);
    const r = await bin(['login', tls.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(stored()[0]).toMatchObject({ protocol: 'https' });
  });

  it('trusts the system CA bundle as git does (here: SSL_CERT_FILE naming the test CA)', async () => {
    const r = await bin(['login', tls.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`, {
      env: { ...f.sb.env, SSL_CERT_FILE: tls.caFile! },
    });
    expect(r.exitCode, r.stderr).toBe(0);
  });
});

describe('status, list, logout', () => {
  it('status --json has the documented shape and exits 0 for a good personal token', async () => {
    await login(tok('alice-write'));
    const r = await bin(['status', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ version: 1, ok: true, fileFallback: null });
    expect(s.accounts).toHaveLength(1);
    expect(s.accounts[0]).toEqual({
      protocol: 'http',
      host: host(),
      baseUrl: f.emu.baseUrl,
      username: 'alice',
      default: true,
      user: { name: 'alice', slug: 'alice', displayName: 'Alice Example', email: 'alice@example.com' },
      kind: 'personal',
      decidedBy: 'R10',
      tokenName: 'alice-write',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
      expiresAt: '2099-01-01T00:00:00.000Z',
      daysLeft: expect.any(Number),
      backend: 'file',
      token: 'BBDC…',
      server: { status: 'valid', accepted: true, version: '9.4.22', message: null },
      problems: [],
      ok: true,
    });
  });

  it('status exits 1 for a project token and for a token the server no longer accepts', async () => {
    await login(tok('prj-ci'), '--allow-project-token');
    let r = await bin(['status']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/project\/repository token/);
    await bin(['logout', f.emu.baseUrl]);
    // a token that worked at login, then revoked on the server (by its owner, with her password)
    const created = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice`, {
      method: 'PUT',
      headers: {
        authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'short-lived', permissions: ['REPO_WRITE'] }),
    }).then((res) => res.json() as Promise<{ id: string; token: string }>);
    ALL_TOKENS.push(created.token);
    expect((await login(created.token)).exitCode).toBe(0);
    await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice/${created.id}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}` },
    });
    r = await bin(['status', f.emu.baseUrl, '--json']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).accounts[0].problems).toContain('invalid');
  });

  it('status exits 1 when the server is unreachable, within the timeout', async () => {
    await login(tok('alice-write'));
    f.emu.setFaults([{ kind: 'hang' }]);
    const started = Date.now();
    const r = await bin(['status', '--json', '--timeout', '1']);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).accounts[0].problems).toContain('unreachable');
    expect(Date.now() - started).toBeLessThan(bound(1000));
  });

  it('keeps several accounts per host; list is offline; logout removes only the one named', async () => {
    await login(tok('alice-write'));
    await login(tok('bob-legacy'));
    f.emu.setFaults([{ kind: 'reset' }]);
    const list = await bin(['list', '--json']);
    expect(list.exitCode).toBe(0);
    const accounts = JSON.parse(list.stdout).accounts as Array<{ username: string; default: boolean }>;
    expect(accounts.map((a) => [a.username, a.default])).toEqual([
      ['alice', false],
      ['bob', true],
    ]);
    f.emu.setFaults([]);
    const ambiguous = await bin(['logout', f.emu.baseUrl]);
    expect(ambiguous.exitCode).toBe(2);
    expect(ambiguous.stderr).toMatch(/several tokens match/);
    const r = await bin(['logout', f.emu.baseUrl, '--username', 'bob']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(stored().map((e) => [e.username, e.isDefault])).toEqual([['alice', true]]);
  });
});

describe('the prompts on a terminal', () => {
  it('asks for the server URL, then reads the token without echoing it', async () => {
    const token = tok('alice-write');
    const r = await runOnPty(
      f.sb,
      ['login'],
      [
        { wait: 'Bitbucket Server URL', send: `${f.emu.baseUrl}\r` },
        { wait: 'input is hidden', send: `${token}\r` },
        DECLINE_SETUP,
      ],
    );
    f.outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain('Bitbucket Server URL');
    expect(r.output).toContain(f.emu.baseUrl); // the URL is echoed as typed
    expect(r.output).toContain('Paste the token (input is hidden)');
    expect(r.output).toContain('Logged in to');
    expect(r.output).not.toContain(token.slice(5, 20));
    expect(stored()).toHaveLength(1);
  });

  it('without a terminal, asks for --token-stdin instead of hanging', async () => {
    const r = await bin(['login', f.emu.baseUrl]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no terminal to read the token from; pipe it with --token-stdin/);
  });
});
