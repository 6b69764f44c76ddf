/**
 * A dead token is explained where the user is, on git's terminal: an expired token `get`
 * withholds, and a token the server refused (git erases it). Through real git against the
 * emulator, on every git at hand (the system one and a built 2.55 when present).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SWITCHES } from '../emulator/index.js';
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
/** Marks the stored token as expired on 2024-02-01, as the store would after a login long ago. */
function expireStored(): void {
  const data = JSON.parse(fs.readFileSync(storeFile(), 'utf8')) as { entries: Array<{ meta: { expiresAt?: number } }> };
  data.entries[0]!.meta.expiresAt = Date.parse('2024-02-01T00:00:00Z');
  fs.writeFileSync(storeFile(), JSON.stringify(data));
}
const cloneUrl = () => `${f.emu.baseUrl}/scm/prj/app.git`;
const page = () => `${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`;

/** What git's terminal shows when the server refused alice's token: either cause, how to tell, the fix. */
const refusedLine = () =>
  `git-credential-bitbucket: the server refused the token of alice for ${f.emu.baseUrl}, so it was removed: the token was revoked, expired or changed, or the account is locked after failed sign-ins (if signing in at ${f.emu.baseUrl} asks for a CAPTCHA, that was it, and the token still works there); create a new one at ${page()} and run: git credential-bitbucket login ${f.emu.baseUrl}\n`;

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
    expireStored();
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
    expect(r.stderr).toContain(refusedLine());
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

  it('a refusal that may be a CAPTCHA lock (a server answering git with 401): the notice says so and how to tell', async () => {
    const t = await loggedIn();
    const app = path.join(f.sb.dir, 'app');
    expect((await git(['clone', '-q', cloneUrl(), app])).exitCode).toBe(0);
    f.emu.setSwitches({ captchaOnGit: '401' });
    try {
      // someone else's failed sign-ins lock alice's account; her token stays valid
      for (let i = 0; i <= DEFAULT_SWITCHES.captchaThreshold; i++) {
        await fetch(`${f.emu.baseUrl}/rest/api/1.0/users?limit=1`, {
          headers: { authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` },
        });
      }
      const r = await git(['-C', app, 'fetch', '-q']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(refusedLine());
      expect(r.stderr.match(/git-credential-bitbucket:/g)).toHaveLength(1);
    } finally {
      f.emu.setSwitches({ captchaOnGit: DEFAULT_SWITCHES.captchaOnGit });
      f.emu.clearCaptcha('alice');
    }
    // the premise: it was the lock, not the token (which git had the helper remove)
    const who = await fetch(`${f.emu.baseUrl}/rest/api/1.0/users?limit=1`, {
      headers: { authorization: `Bearer ${t.token}` },
    });
    expect(who.status).toBe(200);
  });
});

/** Deletes a token on the server as an administrator would (REST), for `owner` (`users/alice`, `projects/PRJ`). */
async function revoke(owner: string, id: string): Promise<void> {
  const del = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/${owner}/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Basic ${Buffer.from('admin:admin-password').toString('base64')}` },
  });
  expect(del.status).toBe(204);
}

describe('a project token (git 2.55: git < 2.46 cannot send it)', () => {
  const projectLogin = () => `git credential-bitbucket login ${f.emu.baseUrl} --allow-project-token`;
  beforeEach(() => {
    f.sb.env.PATH = `${GIT_255}${path.delimiter}${f.sb.env.PATH}`;
  });

  /** A fresh project token, logged in with --allow-project-token, git set up for the server. */
  async function projectLoggedIn(): Promise<{ id: string; token: string; bot: string }> {
    const t = f.emu.addToken({ owner: { project: 'PRJ' }, name: `p${secrets.length}`, permissions: ['REPO_WRITE'] });
    secrets.push(t.token);
    await f.login(t.token, '--allow-project-token');
    expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
    const data = JSON.parse(fs.readFileSync(storeFile(), 'utf8')) as { entries: Array<{ username?: string }> };
    return { ...t, bot: data.entries[0]!.username ?? '(no username)' };
  }

  it.skipIf(!fs.existsSync(`${GIT_255}/git`))(
    'refused: the notice points to the project or repository settings and login --allow-project-token, not a personal page',
    async () => {
      const t = await projectLoggedIn();
      const app = path.join(f.sb.dir, 'app');
      expect((await git(['clone', '-q', cloneUrl(), app])).exitCode).toBe(0);
      await revoke('projects/PRJ', t.id);

      const r = await git(['-C', app, 'fetch', '-q']);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(
        `git-credential-bitbucket: the server refused the project or repository token of ${t.bot} for ${f.emu.baseUrl} (revoked, expired or changed), so it was removed; create a new one in the project or repository settings and run: ${projectLogin()}\n`,
      );
      expect(r.stderr).not.toContain('/access-tokens/users/');
      expect(r.stderr).not.toContain('CAPTCHA');
      expect(fs.readFileSync(storeFile(), 'utf8')).not.toContain(t.token);
      // list and status remember it the same way: a plain login would refuse the new project token
      for (const args of [['list'], ['status']]) {
        const shown = await bin(args);
        expect(shown.stdout).toContain(`: refused by the server on `);
        expect(shown.stdout).toContain(`Run: ${projectLogin()}`);
      }
      const json = JSON.parse((await bin(['status', '--json'])).stdout) as { refused: Array<{ kind: string | null }> };
      expect(json.refused.map((x) => x.kind)).toEqual(['project']);
    },
  );

  it.skipIf(!fs.existsSync(`${GIT_255}/git`))(
    'expired: get withholds it and points to the project or repository settings and login --allow-project-token',
    async () => {
      const t = await projectLoggedIn();
      expireStored();
      const r = await git(['clone', '-q', cloneUrl(), path.join(f.sb.dir, 'app')]);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(
        `git-credential-bitbucket: the project or repository token of ${t.bot} for ${f.emu.baseUrl} expired on 2024-02-01; create a new one in the project or repository settings and run: ${projectLogin()}\n`,
      );
      expect(r.stderr).not.toContain('/access-tokens/users/');
    },
  );
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
