// Token-lifecycle switches: maximum expiry, login options (SSO), lastAuthenticated on use.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { T, basic, call, gitSandbox, testFixture, withCreds } from './test-helpers.js';

let emu: Emulator;
const ALICE = basic('alice', 'alice-pw');
const create = (body: unknown) =>
  call(`${emu.baseUrl}/rest/access-tokens/1.0/users/alice`, ALICE, {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' },
  });

beforeEach(async () => {
  emu = await startEmulator({ data: testFixture(), context: '/bb' });
});
afterEach(() => emu.stop());

describe('tokenMaxExpiryDays', () => {
  it('has no maximum by default', async () => {
    expect((await create({ name: 'x', permissions: ['REPO_READ'], expiryDays: 3650 })).status).toBe(200);
    expect((await create({ name: 'y', permissions: ['REPO_READ'] })).status).toBe(200);
  });
  it('refuses a longer or missing expiry with a field error naming the maximum', async () => {
    emu.setSwitches({ tokenMaxExpiryDays: 30 });
    for (const body of [
      { name: 'x', permissions: ['REPO_READ'], expiryDays: 31 },
      { name: 'x', permissions: ['REPO_READ'] },
    ]) {
      const r = await create(body);
      expect(r.status).toBe(400);
      expect(r.body.errors[0]).toMatchObject({ context: 'expiryDays', message: expect.stringContaining('30 days') });
    }
    const ok = await create({ name: 'x', permissions: ['REPO_READ'], expiryDays: 30 });
    expect(ok.status).toBe(200);
    expect(ok.body.expiryDays).toBe(30);
  });
  it('is validated as a non-negative integer', () => {
    expect(() => emu.setSwitches({ tokenMaxExpiryDays: -1 })).toThrow(/tokenMaxExpiryDays/);
  });
});

describe('login options', () => {
  it('answers the login form by default, anonymously', async () => {
    const r = await call(`${emu.baseUrl}/rest/authconfig/1.0/login-options`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ results: [{ type: 'LOGIN_FORM' }] });
  });
  it('lists only an identity provider when switched to SSO', async () => {
    emu.setSwitches({ loginOptions: 'idp' });
    const r = await call(`${emu.baseUrl}/rest/authconfig/1.0/login-options`);
    expect(r.body.results).toEqual([expect.objectContaining({ type: 'IDP' })]);
    expect(() => emu.setSwitches({ loginOptions: 'saml' as never })).toThrow(/form \| idp/);
  });
});

describe('lastAuthenticated', () => {
  it('is set when a token is used over REST and over git', async () => {
    const entry = async () =>
      (await call(`${emu.baseUrl}/rest/access-tokens/1.0/users/alice/100000000001`, ALICE)).body as {
        lastAuthenticated?: number;
      };
    expect(await entry()).not.toHaveProperty('lastAuthenticated');
    const before = Date.now();
    await call(`${emu.baseUrl}/rest/api/1.0/users?limit=1`, `Bearer ${T.aliceWrite}`);
    const rest = (await entry()).lastAuthenticated ?? 0;
    expect(rest).toBeGreaterThanOrEqual(before);
    const sb = await gitSandbox();
    try {
      await new Promise((r) => setTimeout(r, 5));
      const r = await sb.git(['ls-remote', `${withCreds(emu.baseUrl, 'alice', T.aliceWrite)}/scm/prj/app.git`]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect((await entry()).lastAuthenticated).toBeGreaterThan(rest);
    } finally {
      await sb.cleanup();
    }
  });
});
