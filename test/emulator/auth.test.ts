// Authentication contract (docs/bitbucket-server.md sections 1 and 2): Basic, Bearer, token kinds,
// exact 401 bodies, tokens outside /rest and /scm, CAPTCHA, the auth switches.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { DEFAULT_SWITCHES } from './types.js';
import { T, basic, bearer, call, testFixture } from './test-helpers.js';

const BAD_CREDENTIALS = {
  errors: [
    {
      context: null,
      message: 'Authentication failed. Please check your credentials and try again.',
      exceptionName: 'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
    },
  ],
};

let emu: Emulator;
let users: string;

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture() });
  users = `${emu.baseUrl}/rest/api/1.0/users?limit=1`;
});
afterAll(() => emu.stop());
afterEach(() => {
  emu.setSwitches({ ...DEFAULT_SWITCHES });
  for (const u of ['alice', 'bob', 'carol@example.com', 'ghost']) emu.clearCaptcha(u);
});

describe('accepted credentials', () => {
  it.each([
    ['Basic password', basic('alice', 'alice-pw'), 'alice'],
    ['Basic personal token', basic('alice', T.aliceWrite), 'alice'],
    ['Basic legacy-format token', basic('bob', T.bobLegacy), 'bob'],
    ['Bearer personal token', bearer(T.aliceRead), 'alice'],
  ])('%s authenticates as the owner', async (_label, auth, name) => {
    const r = await call(users, auth);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ausername')).toBe(name);
    expect(r.headers.get('x-auserid')).toMatch(/^\d+$/);
  });
  it('Bearer project token authenticates as its own SERVICE user', async () => {
    const r = await call(users, bearer(T.prjWrite));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ausername')).toMatch(/\S/);
    expect(r.headers.get('x-ausername')).not.toBe('alice');
  });
});

describe('refused credentials get the IncorrectPassword 401', () => {
  it.each([
    ['wrong password', basic('alice', 'nope')],
    ["token with another user's name", basic('bob', T.aliceWrite)],
    ['project token with Basic', basic('alice', T.prjWrite)],
    ['expired token (Basic)', basic('alice', T.aliceExpired)],
    ['expired token (Bearer)', bearer(T.aliceExpired)],
    ['revoked token', bearer(T.aliceRevoked)],
    ['unknown Bearer', bearer('BBDC-unknown')],
    ['unknown user', basic('ghost', 'x')],
  ])('%s', async (_label, auth) => {
    const r = await call(users, auth);
    expect(r.status).toBe(401);
    expect(r.body).toEqual(BAD_CREDENTIALS);
    expect(r.headers.get('x-arequestid')).toBeTruthy();
    expect(r.headers.get('x-ausername')).toBeNull();
    expect(r.text).not.toContain(T.aliceWrite);
  });
  it('project token with Basic under its own bot name is refused too', async () => {
    const who = (await call(users, bearer(T.prjWrite))).headers.get('x-ausername') ?? '';
    expect((await call(users, basic(who, T.prjWrite))).status).toBe(401);
  });
  it('records lastAuthenticated once a token is used', async () => {
    const added = emu.addToken({ owner: { user: 'alice' }, name: 'fresh', permissions: ['REPO_READ'] });
    const entryUrl = `${emu.baseUrl}/rest/access-tokens/1.0/users/alice/${added.id}`;
    expect((await call(entryUrl, basic('alice', 'alice-pw'))).body).not.toHaveProperty('lastAuthenticated');
    const before = Date.now();
    expect((await call(users, bearer(added.token))).status).toBe(200);
    expect((await call(entryUrl, basic('alice', 'alice-pw'))).body.lastAuthenticated).toBeGreaterThanOrEqual(before);
  });
});

describe('switches', () => {
  it('unknownBearerAsAnonymous serves an unknown Bearer as anonymous', async () => {
    emu.setSwitches({ unknownBearerAsAnonymous: true });
    const props = await call(`${emu.baseUrl}/rest/api/1.0/application-properties`, bearer('BBDC-unknown'));
    expect(props.status).toBe(200);
    const r = await call(users, bearer('BBDC-unknown'));
    expect(r.status).toBe(401);
    expect(r.body.errors[0].exceptionName).toMatch(/AuthenticationRequiredException$/);
    expect((await call(users, bearer(T.aliceExpired))).body).toEqual(BAD_CREDENTIALS);
  });
  it('basicAuthDisabled answers 403 to Basic on REST, Bearer still works', async () => {
    emu.setSwitches({ basicAuthDisabled: true });
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(403);
    expect((await call(users, bearer(T.aliceRead))).status).toBe(200);
  });
});

describe('tokens outside /rest and /scm', () => {
  const whoami = () => `${emu.baseUrl}/plugins/servlet/applinks/whoami`;
  it('password Basic works there', async () => {
    const r = await call(whoami(), basic('alice', 'alice-pw'));
    expect(r.status).toBe(200);
    expect(r.text).toBe('alice');
  });
  it('Bearer gets a 302 to the login page', async () => {
    const r = await call(whoami(), bearer(T.aliceWrite));
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`${emu.baseUrl}/login`);
    const followed = await fetch(whoami(), { headers: { Authorization: bearer(T.aliceWrite) } });
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toMatch(/text\/html/);
    expect(await followed.text()).toContain('j_password');
  });
  it('Basic with a token gets a 401 that counts towards the CAPTCHA', async () => {
    for (let i = 0; i < 5; i++) expect((await call(whoami(), basic('bob', T.bobLegacy))).status).toBe(401);
    const r = await call(users, basic('bob', 'bob-pw'));
    expect(r.status).toBe(401);
    expect(r.body.errors[0].exceptionName).toMatch(/CaptchaRequiredAuthenticationException$/);
  });
});

describe('CAPTCHA', () => {
  it('locks a username after 5 failures, even for the right password, until cleared in process', async () => {
    for (let i = 0; i < 4; i++) await call(users, basic('alice', 'wrong'));
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(200); // success resets the count
    for (let i = 0; i < 5; i++) expect((await call(users, basic('alice', 'wrong'))).body).toEqual(BAD_CREDENTIALS);
    const locked = await call(users, basic('alice', 'alice-pw'));
    expect(locked.status).toBe(401);
    expect(locked.body.errors[0].exceptionName).toBe(
      'com.atlassian.bitbucket.auth.CaptchaRequiredAuthenticationException',
    );
    expect((await call(users, basic('ALICE', T.aliceWrite))).status).toBe(401);
    expect((await call(users, bearer(T.aliceWrite))).status).toBe(200); // Bearer has no username to lock
    emu.clearCaptcha('alice');
    expect((await call(users, basic('alice', 'alice-pw'))).status).toBe(200);
  });
  it('is cleared by the admin endpoint', async () => {
    for (let i = 0; i < 5; i++) await call(users, basic('carol@example.com', 'wrong'));
    expect((await call(users, basic('carol@example.com', 'carol-pw'))).status).toBe(401);
    const del = await fetch(`${emu.baseUrl}/__emulator/captcha/${encodeURIComponent('carol@example.com')}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(204);
    expect((await call(users, basic('carol@example.com', 'carol-pw'))).status).toBe(200);
  });
  it('honours the captchaThreshold switch', async () => {
    emu.setSwitches({ captchaThreshold: 2 });
    for (let i = 0; i < 2; i++) await call(users, basic('bob', 'wrong'));
    expect((await call(users, basic('bob', 'bob-pw'))).body.errors[0].exceptionName).toMatch(/Captcha/);
  });
});
