/**
 * No account passwords on Bitbucket hosts: after a token died, the user types the account
 * password at git's prompt, the fetch works, and git sends `store`: on a host with a Bitbucket
 * login the helper keeps nothing and says why; `bitbucket.<url>.storePasswords` allows it, and
 * status then flags the stored password. Hosts without a login keep git's generic behaviour.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { describe as desc } from '../helpers/sandbox.js';

const PASSWORD = 'alice-password';
const secrets = [PASSWORD];
const f = useEmulatorSandbox({ context: '/bitbucket', secrets });
const { bin, git } = f;
beforeEach(() => {
  // git's askpass: answers alice / her account password, and notes that it was asked
  const askpass = path.join(f.sb.dir, 'askpass');
  fs.writeFileSync(
    askpass,
    `#!/bin/sh\necho asked >> '${f.sb.dir}/asked'\ncase "$1" in Username*) echo alice ;; *) echo ${PASSWORD} ;; esac\n`,
    { mode: 0o755 },
  );
  f.sb.env.GIT_ASKPASS = askpass;
});

const storeText = () => fs.readFileSync(path.join(f.sb.dataDir, 'credentials.json'), 'utf8');
const asked = () =>
  fs.existsSync(path.join(f.sb.dir, 'asked')) ? fs.readFileSync(path.join(f.sb.dir, 'asked'), 'utf8') : '';

/** Logged in, cloned, then the token revoked on the server and erased by git's next fetch. */
async function tokenDied(): Promise<string> {
  const t = f.emu.addToken({ owner: { user: 'alice' }, name: `p${secrets.length}`, permissions: ['REPO_WRITE'] });
  secrets.push(t.token);
  await f.login(t.token);
  expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
  const app = path.join(f.sb.dir, 'app');
  expect((await git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, app])).exitCode).toBe(0);
  expect(asked()).toBe('');
  await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice/${t.id}`, {
    method: 'DELETE',
    headers: { authorization: `Basic ${Buffer.from('admin:admin-password').toString('base64')}` },
  });
  // a second login keeps the host a Bitbucket host: the refused token is gone, this one is bob's
  const bob = fixtureToken('bob-legacy');
  secrets.push(bob);
  await f.login(bob, '--username', 'bob');
  // the first fetch as alice gets her refused token, and git erases it
  const first = await git(['-C', app, '-c', 'credential.username=alice', 'fetch', '-q']);
  expect(first.stderr).toContain('the server refused the token of alice');
  return app;
}

describe('an account password typed at git’s prompt', () => {
  it('is used for the fetch but not stored on a Bitbucket host; the helper says why in one line', async () => {
    const app = await tokenDied();
    const r = await git(['-C', app, '-c', 'credential.username=alice', 'fetch', '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(asked()).not.toBe('');
    const line = r.stderr.split('\n').find((l) => l.includes('not storing the password'));
    expect(line).toBe(
      `git-credential-bitbucket: not storing the password git used for alice on ${f.emu.baseUrl}: it is not an access token (Bitbucket advises against account passwords for git); use a token: git credential-bitbucket login ${f.emu.baseUrl} (or allow passwords there: git config --global bitbucket.${f.emu.baseUrl}.storePasswords true)`,
    );
    expect(storeText()).not.toContain(PASSWORD);
    expect(JSON.parse(storeText()).entries.map((e: { username: string }) => e.username)).toEqual(['bob']);
  });

  it('is stored where bitbucket.<url>.storePasswords is true, and status flags it with the command that replaces it', async () => {
    const app = await tokenDied();
    await git(['config', '--global', `bitbucket.${f.emu.baseUrl}.storePasswords`, 'true']);
    const r = await git(['-C', app, '-c', 'credential.username=alice', 'fetch', '-q']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('not storing');
    f.emu.clearLog();
    const status = await bin(['status']);
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain('token: none: an account password is stored');
    expect(status.stdout).toContain(
      `an account password is stored, not an access token; replace it with a token: git credential-bitbucket login`,
    );
    // doctor and check say it too, with the same command; doctor does not send it to be checked
    const doctor = await bin(['doctor', f.emu.baseUrl]);
    expect(doctor.stdout).toContain(`✗ alice: an account password is stored, not an access token`);
    expect(doctor.stdout).toContain(`fix: replace it with a token: git credential-bitbucket login ${f.emu.baseUrl}`);
    expect(doctor.exitCode).not.toBe(0);
    // the password was not sent to the server to be checked
    expect(f.emu.log().filter((e) => e.via === 'password')).toEqual([]);
    const check = await bin(['check'], '', { cwd: app });
    expect(check.stdout).toContain(
      `! alice: an account password is stored, not an access token; replace it with a token: git credential-bitbucket login ${f.emu.baseUrl}`,
    );
    const json = await bin(['check', '--json'], '', { cwd: app });
    expect((JSON.parse(json.stdout) as { storedPasswords: string[] }).storedPasswords).toEqual(['alice']);
  });

  it('a token-shaped secret typed at the prompt is stored as usual', async () => {
    await tokenDied();
    const t = f.emu.addToken({ owner: { user: 'alice' }, name: 'typed', permissions: ['REPO_WRITE'] });
    secrets.push(t.token);
    const host = new URL(f.emu.baseUrl).host;
    const r = await bin(['store'], desc({ protocol: 'http', host, username: 'alice', password: t.token }));
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(storeText()).toContain('"alice"');
  });

  it('on a host with no Bitbucket login, git’s generic behaviour: the password is stored and returned', async () => {
    const r = await bin(['store'], desc({ protocol: 'https', host: '127.0.0.2', username: 'u', password: PASSWORD }));
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    const fill = await bin(['get'], desc({ protocol: 'https', host: '127.0.0.2' }));
    expect(fill.stdout).toContain('username=u\n');
  });
});
