/**
 * One token stored under two entries (the same server as 127.0.0.1 and as localhost): `logout`
 * on one entry must not leave the other holding a token it revoked, nor advise revoking a token
 * the other entry still uses; `rotate` on one entry gives the other the new token. Through the
 * built binary against the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerStatus, useEmulatorSandbox } from '../helpers/fixture.js';
import { expectNoSecrets } from '../helpers/sandbox.js';

const PASSWORD = 'alice-password';
const f = useEmulatorSandbox({ secrets: [PASSWORD] });
const created: string[] = [];
afterEach(() => expectNoSecrets(f.outputs, [...created, PASSWORD]));

const byName = () => f.emu.baseUrl.replace('127.0.0.1', 'localhost');

function stored(): Array<{ host: string; secrets: { password?: string } }> {
  const file = path.join(f.sb.dataDir, 'credentials.json');
  if (!fs.existsSync(file)) return [];
  return (
    JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Array<{ host: string; secrets: { password?: string } }> }
  ).entries;
}

/** A new token of alice's stored for the server under both names; returns it. */
async function storedTwice(): Promise<string> {
  const r = await f.bin(
    ['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const token = stored()[0]?.secrets.password ?? '';
  created.push(token);
  await f.login(token);
  const again = await f.bin(['login', byName(), '--token-stdin'], `${token}\n`);
  expect(again.exitCode, again.stderr).toBe(0);
  expect(
    stored()
      .map((e) => e.host.replace(/:\d+$/, ''))
      .sort(),
  ).toEqual(['127.0.0.1', 'localhost']);
  return token;
}

const restStatus = (token: string) => bearerStatus(f.emu.baseUrl, token);

describe('logout of a token stored under another entry too', () => {
  it('--revoke removes the other entry as well and names it: nothing is left holding a dead token', async () => {
    const token = await storedTwice();
    const r = await f.bin(['logout', byName(), '--revoke', '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Revoked ".+" \(id \d{12}\)/);
    const other = `http://alice@${new URL(f.emu.baseUrl).host}`;
    expect(r.stderr).toContain(`Also removed ${other}`);
    expect(stored()).toEqual([]);
    expect(await restStatus(token)).toBe(401);
    const status = await f.bin(['status']);
    expect(status.stdout + status.stderr).not.toMatch(/rejected|invalid/i);
  });

  it('plain logout names the other entry and does not advise revoking the token it still uses', async () => {
    const token = await storedTwice();
    const r = await f.bin(['logout', byName()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/revoke ".+"|logout --revoke does both/i);
    expect(r.stderr).toContain(`still stored for http://alice@${new URL(f.emu.baseUrl).host}`);
    expect(stored().map((e) => e.host)).toEqual([new URL(f.emu.baseUrl).host]);
    expect(await restStatus(token)).toBe(200);
    const status = await f.bin(['status']);
    expect(status.exitCode, status.stdout).toBe(0);
  });

  it('plain logout of a token no other entry holds still says where to revoke it', async () => {
    const r0 = await f.bin(
      ['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'],
      `${PASSWORD}\n`,
    );
    expect(r0.exitCode, r0.stderr).toBe(0);
    created.push(stored()[0]?.secrets.password ?? '');
    const r = await f.bin(['logout', f.emu.baseUrl]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('The token still works on the server until it expires or is revoked: revoke');
  });
});

describe('rotate of a token stored under another entry too', () => {
  it('the other entry gets the new token and says so: the revoked one is left nowhere, git gets the new one there', async () => {
    const token = await storedTwice();
    const r = await f.bin(['rotate', byName(), '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Revoked the old token/);
    expect(r.stderr).toContain(`Also stored the new token for http://alice@${new URL(f.emu.baseUrl).host}/`);
    const entries = stored();
    expect(entries).toHaveLength(2);
    const fresh = entries[0]?.secrets.password ?? '';
    created.push(fresh);
    expect(fresh).not.toBe(token);
    expect(entries.map((e) => e.secrets.password)).toEqual([fresh, fresh]);
    expect(await restStatus(token)).toBe(401);
    expect(await restStatus(fresh)).toBe(200);
    // what git gets for the other name, and what status says of both
    const got = await f.bin(['get'], `protocol=http\nhost=${new URL(f.emu.baseUrl).host}\n\n`);
    expect(got.stdout).toContain(`password=${fresh}`);
    const status = await f.bin(['status', '--json']);
    const accounts = (JSON.parse(status.stdout) as { accounts: Array<{ server: { accepted: boolean } }> }).accounts;
    expect(accounts.map((a) => a.server.accepted)).toEqual([true, true]);
    expect(status.exitCode, status.stdout).toBe(0);
  });
});
