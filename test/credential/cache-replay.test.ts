/**
 * `setup --cache`: after login, rotate or logout, git's credential-cache must not hand git the
 * token that was replaced or removed, and git's `store` of such a token (it goes to every helper
 * after a successful request) must not put it back over the new one. Real git (the system's and
 * 2.55), its real credential-cache daemon, the built program and the emulator.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  runBin,
  runGit,
  type RunResult,
  type Sandbox,
} from '../helpers/sandbox.js';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { ALICE, pushFixture } from '../helpers/fixture.js';

const T = { one: makeToken('420000000001'), two: makeToken('420000000002') };
const fixture = pushFixture([
  { owner: { user: 'alice' }, name: 'one', token: T.one, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
  { owner: { user: 'alice' }, name: 'two', token: T.two, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
]);
const GIT_2_55 = process.env.GIT_2_55 ?? '/root/.cache/git-builds/2.55.0/bin/git';
const lanes: Array<[string, string | undefined]> = [
  ['system git', undefined],
  ['git 2.55', fs.existsSync(GIT_2_55) ? path.dirname(GIT_2_55) : undefined],
];
const outputs: string[] = [];
let emu: Emulator;
let sb: Sandbox;

beforeAll(async () => {
  emu = await startEmulator({ data: fixture });
});
afterAll(async () => {
  expectNoSecrets(outputs, [...Object.values(T), ALICE.password!]);
  await emu?.stop();
});

interface Stored {
  username?: string;
  secrets: { password?: string };
  meta?: { tokenName?: string; kind?: string };
}
const stored = (): Stored[] => {
  const file = path.join(sb.dataDir, 'credentials.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Stored[] }).entries : [];
};
const keep = (r: RunResult) => (outputs.push(r.stdout, r.stderr), r);
const bin = async (args: string[], input = '') => keep(await runBin(sb, args, input));
const git = async (args: string[], input = '') => keep(await runGit(sb, args, input));
const lsRemote = () => git(['ls-remote', `${emu.baseUrl}/scm/prj/app.git`]);
const where = () => ({ protocol: 'http', host: new URL(emu.baseUrl).host });
async function login(token: string): Promise<RunResult> {
  const r = await bin(['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

describe.each(lanes)('setup --cache, then login, rotate or logout (%s)', (name, gitDir) => {
  const itLane = gitDir === undefined && name !== 'system git' ? it.skip : it;

  function sandbox(cache = true): Promise<RunResult> {
    sb = makeSandbox();
    if (gitDir) sb.env.PATH = `${gitDir}${path.delimiter}${sb.env.PATH ?? ''}`;
    return bin(['setup', emu.baseUrl, ...(cache ? ['--cache=300'] : [])]);
  }
  afterEach(async () => {
    await git(['credential-cache', 'exit']);
    emu.setFaults([]);
    sb.cleanup();
  });

  itLane('a second login: the cache lets go of the first token, and the next fetch keeps the second', async () => {
    expect((await sandbox()).exitCode).toBe(0);
    await login(T.one);
    expect((await lsRemote()).exitCode).toBe(0); // the cache now holds T.one
    const second = await login(T.two);
    const fetch = await lsRemote();
    expect(fetch.exitCode, fetch.stderr).toBe(0);
    expect(stored()).toMatchObject([{ username: 'alice', secrets: { password: T.two }, meta: { tokenName: 'two' } }]);
    expect(second.stderr).toMatch(/^Erased http:\/\/127\.0\.0\.1:\d+ from git's credential-cache \(setup --cache\)/m);
  });

  itLane(
    'rotate whose revocation fails: the next fetch keeps the new token, and the old one is not put back',
    async () => {
      expect((await sandbox()).exitCode).toBe(0);
      await login(T.one);
      expect((await lsRemote()).exitCode).toBe(0);
      emu.setFaults([{ kind: 'status', status: 500, method: 'DELETE', path: 'access-tokens' }]);
      const rotate = await bin(['rotate', emu.baseUrl, '--password-stdin'], `${ALICE.password}\n`);
      expect(rotate.exitCode, rotate.stderr).toBe(1);
      expect(rotate.stderr).toContain('The new token is stored, but the old token could not be revoked');
      const fresh = stored()[0]?.secrets.password;
      expect(fresh).toMatch(/^BBDC-/);
      expect(fresh).not.toBe(T.one);
      const fetch = await lsRemote();
      expect(fetch.exitCode, fetch.stderr).toBe(0);
      expect(stored()).toMatchObject([{ username: 'alice', secrets: { password: fresh }, meta: { kind: 'personal' } }]);
      expect(rotate.stderr).toContain("from git's credential-cache");
    },
    60_000,
  );

  itLane('logout: the removed token does not come back through the cache', async () => {
    expect((await sandbox()).exitCode).toBe(0);
    await login(T.one);
    expect((await lsRemote()).exitCode).toBe(0);
    const out = await bin(['logout', emu.baseUrl, '--username', 'alice']);
    expect(out.exitCode, out.stderr).toBe(0);
    // nothing answers now, and git may not prompt (GIT_TERMINAL_PROMPT=0)
    expect((await lsRemote()).exitCode).not.toBe(0);
    expect(stored()).toEqual([]);
    expect((await bin(['list'])).stdout).not.toContain('alice');
    expect(out.stderr).toContain("from git's credential-cache");
  });

  itLane('a cache out of reach: its store of the replaced token is refused in one line, nothing changes', async () => {
    expect((await sandbox()).exitCode).toBe(0);
    await login(T.one);
    await login(T.two);
    // as a daemon the commands cannot reach (another socket, another git) would: it still has T.one
    const { protocol, host } = where();
    const put = await git(
      ['credential-cache', '--timeout=300', 'store'],
      desc({ protocol, host, username: 'alice', password: T.one }),
    );
    expect(put.exitCode, put.stderr).toBe(0);
    const fetch = await lsRemote();
    expect(fetch.exitCode, fetch.stderr).toBe(0);
    expect(fetch.stderr).toMatch(
      /^git-credential-bitbucket: store: not storing a token for 127\.0\.0\.1:\d+ that login, rotate or logout replaced or removed .*git credential-cache exit.*; nothing changed$/m,
    );
    expect(stored()).toMatchObject([{ secrets: { password: T.two }, meta: { tokenName: 'two' } }]);
    // a login with that token takes it back: then git may store it again
    await git(['credential-cache', 'exit']);
    await login(T.one);
    const again = await bin(['store'], desc({ protocol, host, username: 'alice', password: T.one }));
    expect(again).toMatchObject({ exitCode: 0, stderr: '' });
  });

  itLane(
    'without --cache: no cache is touched; the replaced token is still refused until logged in again',
    async () => {
      expect((await sandbox(false)).exitCode).toBe(0);
      await login(T.one);
      const second = await login(T.two);
      expect(second.stderr).not.toContain('credential-cache');
      const { protocol, host } = where();
      // a git that got T.one before the second login sends it back: it stays out
      const late = await bin(['store'], desc({ protocol, host, username: 'alice', password: T.one }));
      expect(late.exitCode).toBe(0);
      expect(late.stderr).toMatch(/not storing a token for 127\.0\.0\.1:\d+ that login, rotate or logout replaced/);
      expect(stored()[0]?.secrets.password).toBe(T.two);
      await login(T.one);
      const again = await bin(['store'], desc({ protocol, host, username: 'alice', password: T.one }));
      expect(again).toMatchObject({ exitCode: 0, stderr: '' });
      expect(stored()[0]?.secrets.password).toBe(T.one);
    },
  );
});
