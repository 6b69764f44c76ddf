/**
 * The answer to the create request is lost (a reset connection, a timeout, a proxy's 502) after
 * the server created the token: its value never arrives, so nobody could use it. `login --create`
 * and `rotate` list the user's tokens, revoke the one created since the request started, and say
 * so; what they cannot revoke or find they name, with the token page. The emulator's
 * `afterHandling` fault lets the request take effect and then loses its answer. Real processes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../emulator/index.js';
import { ALICE_PASSWORD, useLifecycleSandbox } from '../helpers/lifecycle.js';

const NAME = /git-credential-bitbucket on /;
const { f, createLogin, rotate } = useLifecycleSandbox();
const page = () => `${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`;
const lostPut = (then: Fault['then']): Fault => ({ kind: 'afterHandling', then, method: 'PUT', times: 1 });

/** alice's tokens named like ours, as the server lists them. */
async function ours(): Promise<Array<{ id: string; name: string }>> {
  const auth = `Basic ${Buffer.from(`alice:${ALICE_PASSWORD}`).toString('base64')}`;
  const res = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice?limit=1000`, {
    headers: { Authorization: auth },
  });
  const body = (await res.json()) as { values: Array<{ id: string; name: string }> };
  return body.values.filter((t) => NAME.test(t.name));
}
const storedIds = (): string[] => {
  const file = path.join(f.sb.dataDir, 'credentials.json');
  if (!fs.existsSync(file)) return [];
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Array<{ meta?: { tokenId?: string } }> };
  return data.entries.map((e) => e.meta?.tokenId ?? '');
};

describe('login --create when the answer to the create request is lost', () => {
  it.each([
    ['a proxy answers 502', lostPut('status')],
    ['the connection is reset', lostPut('reset')],
  ])('%s: the token the server created is found and revoked', async (_, fault) => {
    const before = (await ours()).map((t) => t.id);
    f.emu.setFaults([fault]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    const line = r.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/the answer to the request to create the token was lost/);
    expect(line).toMatch(
      /had created "git-credential-bitbucket on .+" \(id \d{12}, created .*\) all the same: revoked/,
    );
    expect(line).not.toMatch(/refused to create/);
    expect((await ours()).map((t) => t.id)).toEqual(before);
    expect(storedIds()).toEqual([]);
  });

  it('no answer within --timeout: the same', async () => {
    f.emu.setFaults([lostPut('hang')]);
    const r = await createLogin(['--timeout', '2']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/was lost .*all the same: revoked, so nothing was changed/);
    expect(await ours()).toEqual([]);
  });

  it('a 502 before the server handled it: nothing listed, nothing changed', async () => {
    f.emu.setFaults([{ kind: 'status', status: 502, method: 'PUT', times: 1 }]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/was lost \(.*502.*\); no new token by that name is listed, so nothing was changed/);
    expect(f.emu.log().filter((l) => l.method === 'DELETE')).toEqual([]);
  });

  it('when it cannot be revoked, it is named: name, id and token page', async () => {
    f.emu.setFaults([lostPut('status'), { kind: 'status', status: 500, method: 'DELETE', path: 'access-tokens' }]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    const [left] = await ours();
    expect(left).toBeDefined();
    expect(r.stderr).toContain(`"${left?.name}" (id ${left?.id}, created`);
    expect(r.stderr).toMatch(/could not be revoked: it works until revoked at /);
    expect(r.stderr).toContain(page());
  });

  it('when the tokens cannot be listed: says it may have been created, and where to look', async () => {
    f.emu.setFaults([lostPut('status'), { kind: 'status', status: 503, method: 'GET', path: 'access-tokens' }]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(
      /the tokens could not be listed .*may have created "git-credential-bitbucket on .+" all the same; look for it at /,
    );
    expect(r.stderr).toContain(page());
    expect(r.stderr).toMatch(/created at \d{4}-\d\d-\d\d \d\d:\d\d UTC or later\) and revoke it/);
  });
});

describe('rotate when the answer to the create request is lost', () => {
  it('the new token is revoked; the old one stays stored and is not revoked', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const [oldId] = storedIds();
    f.emu.setFaults([lostPut('status')]);
    const r = await rotate();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/was lost .*all the same: revoked, so nothing was changed/);
    expect(storedIds()).toEqual([oldId]);
    expect((await ours()).map((t) => t.id)).toEqual([oldId]);
  });

  it('a second login --create at once does not revoke the stored token of the first', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const [first] = storedIds();
    f.emu.setFaults([lostPut('reset')]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/all the same: revoked/);
    expect((await ours()).map((t) => t.id)).toEqual([first]);
    expect(storedIds()).toEqual([first]);
  });
});
