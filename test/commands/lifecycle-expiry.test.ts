/**
 * Expiry in the token lifecycle: rotate keeps the old token's expiry length, lowered to the
 * server's enforced maximum when an admin set a shorter one (docs/bitbucket-server.md section 5),
 * and says what it did; a token with no known expiry is replaced by one of the default length,
 * said as much; `--expiry-days` is checked against the range the program can read back, before
 * anything is sent. Real processes, the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverDays } from '../../src/bitbucket/server-values.js';
import { MAX_EXPIRY_DAYS } from '../../src/commands/lifecycle/create.js';
import { bearerStatus } from '../helpers/fixture.js';
import { useLifecycleSandbox } from '../helpers/lifecycle.js';

const { f, createLogin, rotate } = useLifecycleSandbox();
const storedToken = () =>
  (
    JSON.parse(fs.readFileSync(path.join(f.sb.dataDir, 'credentials.json'), 'utf8')) as {
      entries: Array<{ secrets: { password?: string } }>;
    }
  ).entries[0]?.secrets.password ?? '';
const restStatus = (token: string) => bearerStatus(f.emu.baseUrl, token);

describe('rotate and the expiry length', () => {
  it("lowers the old token's length to the server's enforced maximum, says so, and replaces the token", async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const old = storedToken();
    f.emu.setSwitches({ tokenMaxExpiryDays: 30 });
    const r = await rotate();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/allows tokens of at most 30 days, not 90; creating one that expires in 30 days/);
    expect(r.stderr).toMatch(/\((29|30) days left\)/);
    expect(r.stderr).toMatch(/Revoked the old token/);
    expect(await restStatus(old)).toBe(401);
    expect(await restStatus(storedToken())).toBe(200);
  });

  it('a token with no known expiry: the new one gets the default 90 days, and the output says so', async () => {
    const never = f.emu.addToken({
      owner: { user: 'alice' },
      name: 'never',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
    });
    const login = await f.bin(['login', f.emu.baseUrl, '--token-stdin'], `${never.token}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    const r = await rotate();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /No expiry is known for the old token \(it may never expire\): the new one will expire in 90 days, the default/,
    );
    expect(r.stderr).toMatch(/\((89|90) days left\)/);
  });
});

describe('login --create and the expiry length', () => {
  it("a refused expiry reads as one sentence (no '.;')", async () => {
    f.emu.setSwitches({ tokenMaxExpiryDays: 30 });
    const r = await createLogin(['--expiry-days', '60']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/refused to create the token: .*30 days.*maximum; nothing was changed/);
    expect(r.stderr).not.toMatch(/\.;/);
  });

  it('--expiry-days beyond what the program can read back: one line, exit 2, nothing sent', async () => {
    expect(serverDays(MAX_EXPIRY_DAYS)).toBe(MAX_EXPIRY_DAYS);
    expect(serverDays(MAX_EXPIRY_DAYS + 1)).toBeUndefined();
    for (const days of ['99999999', String(MAX_EXPIRY_DAYS + 1), '0', '1.5']) {
      const r = await createLogin(['--expiry-days', days]);
      expect(r.exitCode, days).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`--expiry-days: give a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
    }
    expect(f.emu.log()).toEqual([]);
  });
});
