// Server variants (docs/bitbucket-server.md section 12): user headers, project tokens on the
// users API, CAPTCHA on git over HTTP, the anonymous permission filter, project listings.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { DEFAULT_SWITCHES } from './types.js';
import { T, basic, bearer, call, gitSandbox, testFixture } from './test-helpers.js';

let emu: Emulator;
let api: string;
const CAROL = basic('carol@example.com', 'carol-pw');

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture() });
  api = `${emu.baseUrl}/rest/api/1.0`;
});
afterAll(() => emu.stop());
afterEach(() => emu.setSwitches({ ...DEFAULT_SWITCHES }));

describe('user headers', () => {
  it('X-AUSERNAME is URL-encoded by default, as captured; raw with userHeaderEncoding=raw', async () => {
    expect((await call(`${api}/users?limit=1`, CAROL)).headers.get('x-ausername')).toBe('carol%40example.com');
    emu.setSwitches({ userHeaderEncoding: 'raw' });
    expect((await call(`${api}/users?limit=1`, CAROL)).headers.get('x-ausername')).toBe('carol@example.com');
  });

  it('projectTokenUserHeader=absent: no user headers for project and repository tokens, personal ones keep them', async () => {
    expect((await call(`${api}/users?limit=1`, bearer(T.prjWrite))).headers.get('x-ausername')).toBeTruthy();
    emu.setSwitches({ projectTokenUserHeader: 'absent' });
    for (const token of [T.prjWrite, T.appRead]) {
      const r = await call(`${api}/projects/PRJ/repos/app`, bearer(token));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ausername')).toBeNull();
      expect(r.headers.get('x-auserid')).toBeNull();
    }
    expect((await call(`${api}/users?limit=1`, bearer(T.aliceWrite))).headers.get('x-ausername')).toBe('alice');
  });

  it('projectTokenUsersApi=401: /users refuses project and repository tokens, other REST still works', async () => {
    emu.setSwitches({ projectTokenUsersApi: '401' });
    for (const token of [T.prjWrite, T.appRead]) {
      expect((await call(`${api}/users?limit=1`, bearer(token))).status).toBe(401);
      expect((await call(`${api}/users/alice`, bearer(token))).status).toBe(401);
      expect((await call(`${api}/projects/PRJ/repos/app`, bearer(token))).status).toBe(200);
    }
    expect((await call(`${api}/users?limit=1`, bearer(T.aliceWrite))).status).toBe(200);
  });
});

describe('anonymous permission filter', () => {
  it('anonymous repos?permission= is an empty page by default; public lists public repositories', async () => {
    const empty = await call(`${api}/repos?permission=REPO_READ`);
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ size: 0, values: [], isLastPage: true });
    emu.setSwitches({ anonymousPermissionFilter: 'public' });
    const listed = await call(`${api}/repos?permission=REPO_READ`);
    expect(listed.body.values.map((r: { slug: string }) => r.slug)).toEqual(['docs']);
  });
});

describe('project listings', () => {
  it('GET /projects pages the projects the caller can see', async () => {
    const all = await call(`${api}/projects`, basic('alice', 'alice-pw'));
    expect(all.status).toBe(200);
    expect(all.body.values.map((p: { key: string }) => p.key)).toEqual(['PRJ', 'PUB']);
    const first = await call(`${api}/projects?limit=1`, basic('alice', 'alice-pw'));
    expect(first.body).toMatchObject({ size: 1, isLastPage: false, nextPageStart: 1 });
    const anonymous = await call(`${api}/projects`);
    expect(anonymous.body.values.map((p: { key: string }) => p.key)).toEqual(['PUB']);
  });

  it('GET /projects/{key}/repos pages the readable repositories; 404 for no such project', async () => {
    const r = await call(`${api}/projects/PRJ/repos?limit=2`, basic('alice', 'alice-pw'));
    expect(r.body).toMatchObject({ size: 2, isLastPage: false, nextPageStart: 2 });
    const rest = await call(`${api}/projects/PRJ/repos?start=2`, basic('alice', 'alice-pw'));
    expect(rest.body).toMatchObject({ size: 1, isLastPage: true });
    expect([...r.body.values, ...rest.body.values].map((x: { slug: string }) => x.slug).sort()).toEqual([
      'app',
      'lib',
      'library',
    ]);
    const repoToken = await call(`${api}/projects/PRJ/repos`, bearer(T.appRead));
    expect(repoToken.body.values.map((x: { slug: string }) => x.slug)).toEqual(['app']);
    expect((await call(`${api}/projects/NOPE/repos`, basic('alice', 'alice-pw'))).status).toBe(404);
  });
});

describe('CAPTCHA on git over HTTP', () => {
  /** Locks carol, then runs `git ls-remote` with her right password through a helper that logs its operations. */
  async function lsRemoteWhileLocked(): Promise<{ stderr: string; ops: string[]; exitCode: number }> {
    for (let i = 0; i < DEFAULT_SWITCHES.captchaThreshold; i++)
      await call(`${api}/users?limit=1`, basic('carol@example.com', 'wrong'));
    const sb = await gitSandbox();
    try {
      const log = path.join(sb.dir, 'ops.log');
      const helper = path.join(sb.dir, 'helper.sh');
      fs.writeFileSync(
        helper,
        `#!/bin/sh\necho "$1" >> '${log}'\ncat >/dev/null\n[ "$1" = get ] && printf 'username=carol@example.com\\npassword=carol-pw\\n'\nexit 0\n`,
        { mode: 0o755 },
      );
      const r = await sb.git(['-c', `credential.helper=${helper}`, 'ls-remote', `${emu.baseUrl}/scm/prj/app.git`]);
      const ops = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      return { stderr: r.stderr, ops, exitCode: r.exitCode };
    } finally {
      await sb.cleanup();
      await fetch(`${emu.baseUrl}/__emulator/captcha/${encodeURIComponent('carol@example.com')}`, { method: 'DELETE' });
    }
  }

  it('default error-packet: git prints "remote error: CAPTCHA required" and never calls erase', async () => {
    const r = await lsRemoteWhileLocked();
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('remote error: CAPTCHA required');
    expect(r.stderr).toContain('Your Bitbucket account has been locked');
    expect(r.ops).toContain('get');
    expect(r.ops).not.toContain('erase');
  });

  it('captchaOnGit=401: git gets a 401 and erases the (valid) credential', async () => {
    emu.setSwitches({ captchaOnGit: '401' });
    const r = await lsRemoteWhileLocked();
    expect(r.exitCode).not.toBe(0);
    expect(r.ops).toContain('erase');
  });
});
