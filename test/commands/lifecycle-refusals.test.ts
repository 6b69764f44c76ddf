/**
 * The account password and the refusal memory (refused-basic.json): only a verdict on the password
 * itself (the sign-in check refused it) is remembered. A CAPTCHA lock is a state of the account,
 * and a 401 on a later call (the create PUT) says nothing about the password, so neither holds the
 * correct password back once the account is usable again. A refusal that comes from the memory
 * says so: since when, where it is kept, and how to forget it. Real processes, the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFUSALS_FILE } from '../../src/bitbucket/refusals.js';
import { stateDir } from '../../src/settings.js';
import { ALICE_PASSWORD, useLifecycleSandbox } from '../helpers/lifecycle.js';

const { f, createLogin, rotate } = useLifecycleSandbox();
const basicSent = () => f.emu.log().filter((l) => l.auth === 'basic').length;

/** Five wrong passwords sent straight to the server lock alice behind a CAPTCHA. */
async function lockAlice(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const auth = `Basic ${Buffer.from(`alice:wrong-${i}`).toString('base64')}`;
    await fetch(`${f.emu.baseUrl}/rest/api/1.0/users?limit=1`, { headers: { Authorization: auth } });
  }
}

describe('the refusal memory and the account password', () => {
  it('a CAPTCHA answer does not hold the correct password back once the account is unlocked', async () => {
    await lockAlice();
    const locked = await createLogin();
    expect(locked.exitCode).toBe(2);
    expect(locked.stderr).toContain('has locked alice behind a CAPTCHA');
    f.emu.clearCaptcha('alice'); // the user solved the CAPTCHA in the browser
    f.emu.clearLog();

    const created = await createLogin();
    expect(created.exitCode, created.stderr).toBe(0);
    expect(basicSent()).toBeGreaterThan(0);
    const rotated = await rotate();
    expect(rotated.exitCode, rotated.stderr).toBe(0);
    const out = await f.bin(['logout', f.emu.baseUrl, '--revoke', '--password-stdin'], `${ALICE_PASSWORD}\n`);
    expect(out.exitCode, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/Revoked ".+" \(id \d{12}\)/);
  });

  it('a 401 on the create request is not taken as a verdict on the password', async () => {
    f.emu.setFaults([{ kind: 'status', status: 401, method: 'PUT', path: 'access-tokens', times: 1 }]);
    const refused = await createLogin();
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toContain('refused to create the token');
    const again = await createLogin();
    expect(again.exitCode, again.stderr).toBe(0);
  });

  it('a wrong password is remembered: the next run sends nothing and says since when, where, and how to forget it', async () => {
    expect((await createLogin([], 'wrong-pw')).exitCode).toBe(4);
    expect(basicSent()).toBe(1);
    const file = path.join(stateDir(f.sb.env), REFUSALS_FILE);
    expect(fs.existsSync(file)).toBe(true);

    const again = await createLogin([], 'wrong-pw');
    expect(again.exitCode).toBe(4);
    expect(basicSent()).toBe(1);
    const line = again.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/not sent/);
    expect(line).not.toMatch(/one failed attempt/);
    expect(line).toMatch(/on \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(line).toContain(file);
    expect(line).toMatch(/delete/);

    fs.rmSync(file); // as the message says: the memory is forgotten
    const third = await createLogin([], 'wrong-pw');
    expect(third.exitCode).toBe(4);
    expect(third.stderr).toMatch(/refused the username or password \(one failed attempt/);
    expect(basicSent()).toBe(2);
  });
});
