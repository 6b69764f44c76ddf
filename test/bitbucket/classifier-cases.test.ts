// The token classifier (src/bitbucket/classifier.ts) against the emulator, case by case: personal vs
// project/repository tokens under every serviceUserLookup behaviour, invalid tokens (no retries),
// expiry, context path, HTTPS, CAPTCHA. The decision table itself is walked by classifier.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { BitbucketClient } from '../../src/bitbucket/client.js';
import { classifyToken, type TokenReport, type ValidTokenReport } from '../../src/bitbucket/classifier.js';
import { parseBitbucketUrl } from '../../src/bitbucket/url.js';
import { ALICE_WRITE_EXPIRES, ALL_TOKENS, TOK, bitbucketFixture } from './fixture.js';
import { closedPort } from './helpers.js';

let emu: Emulator;
let client: BitbucketClient;
const settings = { sslVerify: true };
const sleep = async (): Promise<void> => undefined;

beforeAll(async () => {
  emu = await startEmulator({ data: bitbucketFixture() });
  client = new BitbucketClient({ baseUrl: emu.baseUrl, settings, sleep, timeoutMs: 2000 });
});
afterAll(async () => {
  await emu.stop();
});
afterEach(() => {
  emu.setFaults([]);
  emu.setSwitches({
    serviceUserLookup: '404',
    tokenCanReadOwnEntry: true,
    exposeExpiryDate: false,
    unknownBearerAsAnonymous: false,
  });
  emu.clearLog();
});

function valid(r: TokenReport): ValidTokenReport {
  noSecrets(r);
  if (r.status !== 'valid') throw new Error(`expected a valid token, got ${r.status}: ${r.message}`);
  return r;
}
function noSecrets(r: unknown): void {
  const text = JSON.stringify(r);
  for (const t of ALL_TOKENS) expect(text).not.toContain(t);
}
/** A bearer token as login, status and doctor give it, with the repository hints of the old interface. */
function introspectToken(o: {
  client: BitbucketClient;
  token: string;
  username?: string;
  projectKey?: string;
  repoSlug?: string;
}): Promise<TokenReport> {
  return classifyToken({
    client: o.client,
    credential: { scheme: 'bearer', secret: o.token },
    allowBasic: true,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.projectKey !== undefined
      ? { repository: { projectKey: o.projectKey, ...(o.repoSlug !== undefined ? { repoSlug: o.repoSlug } : {}) } }
      : {}),
  });
}
const basicCalls = () => emu.log().filter((e) => e.auth === 'basic');

describe('personal tokens', () => {
  it('alice: personal, Basic for git, entry with name, permissions and expiry; no Basic probe needed', async () => {
    const r = valid(await introspectToken({ client, token: TOK.aliceWrite }));
    expect(r).toMatchObject({
      kind: 'personal',
      authScheme: 'basic',
      tokenId: '000000000101',
      tokenName: 'alice-write',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
      expiresAt: ALICE_WRITE_EXPIRES,
      server: { version: '9.4.22' },
      user: { name: 'alice', slug: 'alice', email: 'alice@example.com', type: 'NORMAL', displayName: 'Alice' },
    });
    expect(r.usernameMismatch).toBeUndefined();
    expect(basicCalls()).toHaveLength(0);
    // ...and Basic with the reported username does work, as the report promises.
    expect(await client.whoAmI({ scheme: 'basic', username: r.user.name, secret: TOK.aliceWrite })).toMatchObject({
      status: 'ok',
    });
  });
  it('takes expiry from expiryDate when the server sends it', async () => {
    emu.setSwitches({ exposeExpiryDate: true });
    expect(valid(await introspectToken({ client, token: TOK.aliceWrite })).expiresAt).toBe(ALICE_WRITE_EXPIRES);
  });
  it('has no expiry for a token without one', async () => {
    const r = valid(await introspectToken({ client, token: TOK.aliceRead }));
    expect(r).toMatchObject({ kind: 'personal', tokenName: 'alice-read', permissions: ['REPO_READ'] });
    expect(r.expiresAt).toBeUndefined();
  });
  it('falls back gracefully when the token may not read its own entry', async () => {
    emu.setSwitches({ tokenCanReadOwnEntry: false });
    const r = valid(await introspectToken({ client, token: TOK.aliceWrite }));
    expect(r).toMatchObject({ kind: 'personal', tokenId: '000000000101' });
    expect(r.tokenName).toBeUndefined();
  });
  it('reports a username that differs from the acting user', async () => {
    const r = valid(await introspectToken({ client, token: TOK.aliceWrite, username: 'bob' }));
    expect(r.usernameMismatch).toEqual({ expected: 'bob', actual: 'alice' });
    expect(
      valid(await introspectToken({ client, token: TOK.aliceWrite, username: 'ALICE' })).usernameMismatch,
    ).toBeUndefined();
  });
  it('legacy (non-BBDC) tokens decode too', async () => {
    expect(valid(await introspectToken({ client, token: TOK.bobLegacy }))).toMatchObject({
      kind: 'personal',
      tokenId: '000000000105',
      tokenName: 'bob-legacy',
    });
  });
  it('finds users whose slug differs from their name', async () => {
    const r = valid(await introspectToken({ client, token: TOK.carol }));
    expect(r).toMatchObject({
      kind: 'personal',
      user: { name: 'carol@example.com', slug: 'carol_example.com' },
      tokenName: 'carol',
    });
  });
  it('a NORMAL user without email is confirmed with Basic, using the server-reported name', async () => {
    const r = valid(await introspectToken({ client, token: TOK.dave }));
    expect(r).toMatchObject({ kind: 'personal', authScheme: 'basic', user: { name: 'dave' } });
    expect(r.evidence.join(' ')).toMatch(/no email.*Basic/);
    expect(basicCalls()).toHaveLength(1);
    expect(basicCalls()[0]?.user).toBe('dave');
  });
  it('a NORMAL user without email stays personal when the admin disabled Basic on REST', async () => {
    emu.setSwitches({ basicAuthDisabled: true });
    try {
      expect(valid(await introspectToken({ client, token: TOK.dave }))).toMatchObject({ kind: 'personal' });
      emu.setSwitches({ serviceUserLookup: '401' });
      expect(valid(await introspectToken({ client, token: TOK.prj }))).toMatchObject({
        kind: 'project',
        authScheme: 'bearer',
      });
    } finally {
      emu.setSwitches({ basicAuthDisabled: false });
    }
  });
});

describe('project and repository tokens', () => {
  for (const lookup of ['object', '404', '401'] as const) {
    it(`are classified project when the service user lookup answers ${lookup}`, async () => {
      emu.setSwitches({ serviceUserLookup: lookup });
      for (const [token, name] of [
        [TOK.prj, 'prj-ci'],
        [TOK.repo, 'app-deploy'],
      ] as const) {
        emu.clearLog();
        const r = valid(await introspectToken({ client, token, projectKey: 'PRJ', repoSlug: 'app' }));
        expect(r).toMatchObject({ kind: 'project', authScheme: 'bearer', tokenName: name });
        expect(r.user.email).toBeUndefined();
        // its entry under the project or repository decides (docs/classifier.md R8): no Basic attempt
        expect(r.decidedBy).toBe('R8');
        expect(basicCalls()).toHaveLength(0);
      }
    });
  }
  it('the service user record shows type SERVICE when it can be read', async () => {
    emu.setSwitches({ serviceUserLookup: 'object' });
    const r = valid(await introspectToken({ client, token: TOK.prj }));
    expect(r.user.type).toBe('SERVICE');
    expect(r.evidence).toContain('user type SERVICE');
    expect(r.tokenName).toBeUndefined(); // no project hint: the entry cannot be located
    expect(r.tokenId).toBe('000000000201');
  });
});

describe('invalid tokens', () => {
  for (const [label, token] of [
    ['revoked', TOK.aliceRevoked],
    ['expired', TOK.aliceExpired],
    ['unknown', TOK.unknown],
    ['garbage', 'not-a-token'],
  ] as const) {
    it(`${label}: invalid, one Bearer probe, no retry, no Basic`, async () => {
      const r = await introspectToken({ client, token, username: 'alice' });
      noSecrets(r);
      expect(r.status).toBe('invalid');
      if (r.status === 'invalid') expect(r.message).not.toContain(token);
      const probes = emu.log().filter((e) => e.path === '/rest/api/1.0/users');
      expect(probes).toHaveLength(1);
      expect(probes[0]).toMatchObject({ auth: 'bearer', status: 401 });
      expect(basicCalls()).toHaveLength(0);
    });
  }
  it('an unknown Bearer served as anonymous (Bitbucket 10) is still invalid', async () => {
    emu.setSwitches({ unknownBearerAsAnonymous: true });
    expect((await introspectToken({ client, token: TOK.unknown })).status).toBe('invalid');
  });
  it('refuses empty tokens and tokens with line breaks without any request', async () => {
    for (const token of ['', `${TOK.aliceWrite}\n`]) {
      const r = await introspectToken({ client, token });
      noSecrets(r);
      expect(r.status).toBe('invalid');
    }
    expect(emu.log()).toHaveLength(0);
  });
});

describe('server trouble', () => {
  it('not-bitbucket, unreachable, error', async () => {
    const gone = new BitbucketClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, settings, sleep });
    expect((await introspectToken({ client: gone, token: TOK.aliceWrite })).status).toBe('unreachable');
    const wrongContext = new BitbucketClient({ baseUrl: `${emu.baseUrl}/nothing-here`, settings, sleep });
    expect((await introspectToken({ client: wrongContext, token: TOK.aliceWrite })).status).toBe('not-bitbucket');
    emu.setFaults([{ kind: 'status', status: 500, path: '/rest/api/1.0/users$' }]);
    const r = await introspectToken({ client, token: TOK.aliceWrite });
    noSecrets(r);
    expect(r.status).toBe('error');
  });
  it('a hanging server gives unreachable within the timeout', async () => {
    const quick = new BitbucketClient({ baseUrl: emu.baseUrl, settings, sleep, timeoutMs: 300 });
    emu.setFaults([{ kind: 'hang', path: '/rest/api/1.0/users' }]);
    expect((await introspectToken({ client: quick, token: TOK.aliceWrite })).status).toBe('unreachable');
  });
  it('rides out a 429 on the probe', async () => {
    emu.setFaults([{ kind: 'rateLimit', retryAfter: 1, times: 1, path: '/rest/api/1.0/users$' }]);
    expect(valid(await introspectToken({ client, token: TOK.aliceWrite })).kind).toBe('personal');
  });
});

describe('CAPTCHA', () => {
  it('is reported when the Basic confirmation hits a locked person', async () => {
    for (let i = 0; i < 5; i++) await client.whoAmI({ scheme: 'basic', username: 'dave', secret: 'wrong' });
    try {
      const r = await introspectToken({ client, token: TOK.dave });
      noSecrets(r);
      expect(r.status).toBe('captcha');
      // Bearer is unaffected by the lock: tokens still identify their user.
      expect(await client.whoAmI({ scheme: 'bearer', secret: TOK.dave })).toMatchObject({
        status: 'ok',
        username: 'dave',
      });
    } finally {
      emu.clearCaptcha('dave');
    }
  });
});

describe('context path and HTTPS', () => {
  it('works under /bitbucket over HTTPS with the emulator CA, from a clone URL', async () => {
    const secure = await startEmulator({ data: bitbucketFixture(), context: '/bitbucket', https: true });
    try {
      const port = new URL(secure.baseUrl).port;
      const loc = parseBitbucketUrl(`https://alice@127.0.0.1:${port}/bitbucket/scm/prj/app.git`);
      if (loc?.kind !== 'http') throw new Error('parse failed');
      expect(loc.baseUrl).toBe(secure.baseUrl);
      const c = new BitbucketClient({
        baseUrl: loc.baseUrl,
        settings: { sslVerify: true, caFile: secure.caFile },
        sleep,
      });
      const r = valid(await introspectToken({ client: c, token: TOK.aliceWrite, username: loc.username }));
      expect(r).toMatchObject({ kind: 'personal', tokenName: 'alice-write' });
      expect(
        await c.canWrite({ scheme: 'bearer', secret: TOK.aliceWrite }, loc.projectKey ?? '', loc.repoSlug ?? ''),
      ).toEqual({ status: 'ok', writable: true });
      expect(secure.log().every((e) => e.path.startsWith('/bitbucket/rest/'))).toBe(true);
      const untrusted = new BitbucketClient({ baseUrl: loc.baseUrl, settings: { sslVerify: true }, sleep });
      expect((await introspectToken({ client: untrusted, token: TOK.aliceWrite })).status).toBe('unreachable');
    } finally {
      await secure.stop();
    }
  });
});
