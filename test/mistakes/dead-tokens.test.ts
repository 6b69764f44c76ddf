/**
 * A dead token is explained where the user is, on git's terminal: an expired token `get`
 * withholds, and a token the server refused (git erases it). Through real git against the
 * emulator, on every git at hand (the system one and a built 2.55 when present).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulatorSandbox } from '../helpers/fixture.js';

const GIT_255 = '/root/.cache/git-builds/2.55.0/bin';
const GITS = [
  ['system git', ''] as const,
  ...(fs.existsSync(`${GIT_255}/git`) ? [['git 2.55', GIT_255] as const] : []),
];
const secrets: string[] = [];
const f = useEmulatorSandbox({ context: '/bitbucket', secrets });
const { bin, git } = f;

const storeFile = () => path.join(f.sb.dataDir, 'credentials.json');
const cloneUrl = () => `${f.emu.baseUrl}/scm/prj/app.git`;
const page = () => `${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`;

/** A fresh token of alice's, logged in, git set up for the server. */
async function loggedIn(): Promise<{ id: string; token: string }> {
  const t = f.emu.addToken({ owner: { user: 'alice' }, name: `t${secrets.length}`, permissions: ['REPO_WRITE'] });
  secrets.push(t.token);
  await f.login(t.token);
  expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
  return t;
}

describe.each(GITS)('%s', (_name, dir) => {
  beforeEach(() => {
    if (dir) f.sb.env.PATH = `${dir}${path.delimiter}${f.sb.env.PATH}`;
  });

  it('an expired token: get withholds it and says whose, since when, where to make one and what to run', async () => {
    await loggedIn();
    const data = JSON.parse(fs.readFileSync(storeFile(), 'utf8')) as {
      entries: Array<{ meta: { expiresAt?: number } }>;
    };
    data.entries[0]!.meta.expiresAt = Date.parse('2024-02-01T00:00:00Z');
    fs.writeFileSync(storeFile(), JSON.stringify(data));
    const r = await git(['clone', '-q', cloneUrl(), path.join(f.sb.dir, 'app')]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(
      `git-credential-bitbucket: the token of alice for ${f.emu.baseUrl} expired on 2024-02-01; create a new one at ${page()} and run: git credential-bitbucket login ${f.emu.baseUrl}\n`,
    );
    expect(r.stderr.match(/expired on/g)).toHaveLength(1);
  });

  it('a token the server refused: git erases it, the helper says so in one line and remembers it until the next login', async () => {
    const t = await loggedIn();
    const app = path.join(f.sb.dir, 'app');
    expect((await git(['clone', '-q', cloneUrl(), app])).exitCode).toBe(0);
    // revoked on the server (by an administrator, through the REST API)
    const del = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice/${t.id}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from('admin:admin-password').toString('base64')}` },
    });
    expect(del.status).toBe(204);

    const r = await git(['-C', app, 'fetch', '-q']);
    expect(r.exitCode).not.toBe(0);
    const line = `git-credential-bitbucket: the server refused the token of alice for ${f.emu.baseUrl} (revoked, expired or changed), so it was removed; create a new one at ${page()} and run: git credential-bitbucket login ${f.emu.baseUrl}\n`;
    expect(r.stderr).toContain(line);
    expect(fs.readFileSync(storeFile(), 'utf8')).not.toContain(t.token);
    expect(fs.readFileSync(path.join(f.sb.dataDir, 'settings.json'), 'utf8')).not.toContain(t.token);

    const today = new Date().toISOString().slice(0, 10);
    const list = await bin(['list']);
    expect(list.stdout).toContain(`alice on ${f.emu.baseUrl}: refused by the server on ${today}`);
    expect(list.stdout).toContain(`Run: git credential-bitbucket login ${f.emu.baseUrl}`);
    const status = await bin(['status']);
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toContain(`alice on ${f.emu.baseUrl}: refused by the server on ${today}`);
    const json = JSON.parse((await bin(['status', '--json'])).stdout) as { refused: Array<{ username: string }> };
    expect(json.refused.map((x) => x.username)).toEqual(['alice']);

    // the next fetch: no token, no repeated notice (git asks for a username, which this test refuses)
    const again = await git(['-C', app, 'fetch', '-q']);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).not.toContain('refused the token');

    await loggedIn();
    expect((await bin(['list'])).stdout).not.toContain('refused');
    expect((await bin(['status'])).exitCode).toBe(0);
    expect((await git(['-C', app, 'fetch', '-q'])).exitCode).toBe(0);
  });
});

describe('erase that is not a refusal says nothing', () => {
  it('a host-wide erase (no secret in the request) and an erase of git-stored passwords are silent', async () => {
    await loggedIn();
    const host = new URL(f.emu.baseUrl).host;
    const r = await bin(['erase'], `protocol=http\nhost=${host}\n\n`);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect((await bin(['list'])).stdout).not.toContain('refused');
  });
});
