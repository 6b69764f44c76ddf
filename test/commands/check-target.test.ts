/**
 * Where `check` looks is where `git push` goes: the remote a plain push uses (git's order,
 * remote.c `pushremote_for_branch`: `branch.<b>.pushRemote`, `remote.pushDefault`,
 * `branch.<b>.remote`, the only remote, `origin`), every push URL of it (git pushes to each and
 * runs the guard for each), and a URL typed on the command line as git rewrites it for a push
 * (`url.<base>.pushInsteadOf`, else `url.<base>.insteadOf`). Each case is one git would push
 * somewhere the read-only token is refused, which check once passed. Through the built program,
 * real git and two emulators.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { DEMO, fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN } from '../helpers/sandbox.js';

const READ = fixtureToken('alice-read');
const WRITE = fixtureToken('alice-write');
const f = useEmulatorSandbox();
let other: Emulator; // a second server, with its own token
beforeAll(async () => {
  other = await startEmulator({ data: DEMO, context: '/bitbucket' });
});
afterAll(async () => {
  await other.stop();
});
const app = (base: string) => `${base}/scm/prj/app.git`;
let work: string;

async function git(args: string[], cwd = work): Promise<string> {
  const r = await f.git(args, { cwd });
  expect(r.exitCode, `git ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

async function check(args: string[] = [], cwd = work): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return f.bin(['check', '--timeout', '30', ...args], '', { cwd });
}

interface CheckJson {
  remote?: { name: string; url: string; baseUrl: string };
  pushed?: string[];
  message?: string;
  exitCode: number;
  pushUrls?: Array<{ url: string; exitCode: number; remote?: { baseUrl: string }; message?: string }>;
}

async function checkJson(args: string[] = [], cwd = work): Promise<CheckJson> {
  const r = await check(['--json', ...args], cwd);
  expect(r.stderr).toBe('');
  const parsed = JSON.parse(r.stdout) as CheckJson;
  expect(parsed.exitCode).toBe(r.exitCode);
  return parsed;
}

/** A clone of PRJ/app whose Bitbucket remote is `bb`, the token on the server read-only. */
beforeEach(async () => {
  await git(['config', '--global', 'credential.helper', BIN], f.sb.dir);
  await git(['config', '--global', 'init.defaultBranch', 'main'], f.sb.dir);
  await f.login(READ);
  work = path.join(f.sb.dir, 'work');
  await git(['clone', '-q', app(f.emu.baseUrl), work], f.sb.dir);
  await git(['remote', 'rename', 'origin', 'bb']);
  await git([
    '-c',
    'user.email=alice@example.com',
    '-c',
    'user.name=Alice Example',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'x',
  ]);
});

// each test runs check several times, each asking a server: room for a loaded machine
describe('check looks at the remote git pushes to', { timeout: 90_000 }, () => {
  /** A local repository as origin, which the branch fetches from (a triangular workflow). */
  async function triangular(): Promise<void> {
    await git(['init', '-q', '--bare', path.join(f.sb.dir, 'upstream.git')], f.sb.dir);
    await git(['remote', 'add', 'origin', '../upstream.git']);
    await git(['config', 'branch.main.remote', 'origin']);
  }
  const refused = 'push:     refused: no REPO_WRITE';
  const local = '../upstream.git is not a Bitbucket HTTP(S) remote; nothing to check';

  it('remote.pushDefault, then branch.<b>.pushRemote over it, over branch.<b>.remote', async () => {
    await triangular();
    expect(await check()).toMatchObject({ exitCode: 0, stdout: local });
    await git(['config', 'remote.pushDefault', 'bb']);
    const viaDefault = await check();
    expect(viaDefault.exitCode).toBe(1);
    expect(viaDefault.stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote bb)`);
    expect(viaDefault.stdout).toContain(refused);
    // git pushes there too, and the server refuses the token
    expect((await f.git(['push', '-q'], { cwd: work })).stderr).toContain('403');
    await git(['config', 'remote.pushDefault', 'origin']);
    expect(await check()).toMatchObject({ exitCode: 0, stdout: local });
    await git(['config', 'branch.main.pushRemote', 'bb']);
    const viaBranch = await check();
    expect(viaBranch.exitCode).toBe(1);
    expect(viaBranch.stdout).toContain('(remote bb)');
    // a remote named on the command line still wins
    expect(await check(['origin'])).toMatchObject({ exitCode: 0, stdout: local });
  });

  it('pushing to another remote than the branch fetches from pushes the branch under its own name', async () => {
    await triangular();
    await git(['config', 'branch.main.merge', 'refs/heads/develop']);
    await git(['config', 'remote.pushDefault', 'bb']);
    expect((await checkJson()).pushed).toEqual(['refs/heads/main']);
    // to the remote it fetches from, it pushes to the branch it merges (push.default simple, upstream)
    await git(['config', 'branch.main.remote', 'bb']);
    expect((await checkJson()).pushed).toEqual(['refs/heads/main:refs/heads/develop']);
  });

  it('without branch.<b>.remote: the only remote, whatever its name; origin when there are several', async () => {
    await git(['config', '--unset', 'branch.main.remote']);
    const only = await check();
    expect(only.exitCode).toBe(1);
    expect(only.stdout).toContain('(remote bb)');
    await git(['remote', 'add', 'mirror', app(other.baseUrl)]);
    expect(await check()).toMatchObject({
      exitCode: 1,
      stderr: "git-credential-bitbucket: no remote named 'origin' (name one: check REMOTE)",
    });
  });

  it('a push remote that does not exist is named with the setting that names it', async () => {
    await git(['config', 'remote.pushDefault', 'gone']);
    expect((await check()).stderr).toBe(
      "git-credential-bitbucket: no remote named 'gone' (remote.pushDefault names it; name one: check REMOTE)",
    );
    await git(['config', 'branch.main.pushRemote', 'gone2']);
    expect((await check()).stderr).toContain("no remote named 'gone2' (branch.main.pushRemote names it;");
  });

  it('HEAD not on a branch: remote.pushDefault still picks the remote; the token is checked, no commits', async () => {
    await triangular();
    await git(['config', 'remote.pushDefault', 'bb']);
    await git(['checkout', '-q', '--detach']);
    const r = await check();
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('(remote bb)');
    expect(r.stdout).toContain(refused);
    expect(r.stdout).toContain(
      '  commits:  none checked: HEAD is not on a branch, so a plain git push pushes nothing (name what to push: git push bb HEAD:<branch>)',
    );
    expect((await checkJson()).pushed).toEqual([]);
  });
});

describe('check looks at every push URL', { timeout: 90_000 }, () => {
  // the server bb fetches from takes the token now; the other one has the read-only token
  beforeEach(async () => {
    await f.login(WRITE);
    await f.bin(['login', other.baseUrl, '--token-stdin'], `${READ}\n`);
    await git(['remote', 'set-url', '--add', '--push', 'bb', app(f.emu.baseUrl)]);
  });

  it('one push URL: the report as before, no pushUrls', async () => {
    const json = await checkJson();
    expect(json.exitCode).toBe(0);
    expect(json.remote?.baseUrl).toBe(f.emu.baseUrl);
    expect(json).not.toHaveProperty('pushUrls');
  });

  it('two: each checked in git order; the exit code and the JSON report are the worst one', async () => {
    await git(['remote', 'set-url', '--add', '--push', 'bb', app(other.baseUrl)]);
    const text = await check();
    expect(text.exitCode).toBe(1);
    expect(text.stdout.indexOf(`bb pushes to 2 URLs; each is checked, as git pushes to each:\n\n`)).toBe(0);
    const first = text.stdout.indexOf(`PRJ/app on ${f.emu.baseUrl} (remote bb)`);
    const second = text.stdout.indexOf(`PRJ/app on ${other.baseUrl} (remote bb)`);
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(text.stdout.slice(first, second)).toContain('No problems found.\n\n');
    expect(text.stdout.slice(second)).toContain('refused: no REPO_WRITE');
    const json = await checkJson();
    expect(json.exitCode).toBe(1);
    expect(json.remote?.baseUrl).toBe(other.baseUrl);
    expect(json.pushUrls?.map((u) => [u.url, u.exitCode, u.remote?.baseUrl])).toEqual([
      [app(f.emu.baseUrl), 0, f.emu.baseUrl],
      [app(other.baseUrl), 1, other.baseUrl],
    ]);
  });

  it('a URL that is not Bitbucket, or SSH, among them is said in its place', async () => {
    await git(['remote', 'set-url', '--add', '--push', 'bb', '../elsewhere.git']);
    await git(['remote', 'set-url', '--add', '--push', 'bb', 'ssh://git@bb.invalid:7999/prj/app.git']);
    const json = await checkJson();
    expect(json.exitCode).toBe(0);
    expect(json.pushUrls?.slice(1)).toEqual([
      {
        url: '../elsewhere.git',
        message: '../elsewhere.git is not a Bitbucket HTTP(S) remote; nothing to check',
        exitCode: 0,
      },
      {
        url: 'ssh://git@bb.invalid:7999/prj/app.git',
        message:
          'bb (ssh://git@bb.invalid:7999/prj/app.git) is an SSH remote; the guard checks HTTP(S) tokens only, nothing to check',
        exitCode: 0,
      },
    ]);
  });
});

describe('check URL rewrites the URL as git push URL does', { timeout: 90_000 }, () => {
  const alias = 'https://bb.corp.invalid/scm/prj/app.git';

  it('url.<base>.insteadOf: the server it leads to is checked', async () => {
    await git(['config', '--global', `url.${f.emu.baseUrl}/scm/.insteadOf`, 'https://bb.corp.invalid/scm/']);
    const r = await check([alias]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote ${alias})`);
    expect(r.stdout).toContain('push:     refused: no REPO_WRITE');
    expect((await f.git(['push', '-q', alias, 'main'], { cwd: work })).stderr).toContain('403');
    const json = await checkJson([alias]);
    expect(json.remote).toMatchObject({ name: alias, url: app(f.emu.baseUrl) });
    // a shortcut with no scheme of its own, the usual use of insteadOf
    await git(['config', '--global', `url.${f.emu.baseUrl}/scm/.insteadOf`, 'bb:']);
    expect((await check(['bb:prj/app.git'])).stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote bb:prj/app.git)`);
    // and no repository needed
    const outside = path.join(f.sb.dir, 'plain');
    fs.mkdirSync(outside);
    const there = await f.bin(['check', '--timeout', '30', 'bb:prj/app.git'], '', {
      cwd: outside,
      env: { ...f.sb.env, GIT_CEILING_DIRECTORIES: f.sb.dir },
    });
    expect(there.exitCode).toBe(1);
    expect(there.stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote bb:prj/app.git)`);
  });

  it('url.<base>.pushInsteadOf wins over insteadOf, even a longer one; the longest of each kind', async () => {
    await git(['config', '--global', `url.${other.baseUrl}/scm/.insteadOf`, 'https://bb.corp.invalid/scm/prj/']);
    await git(['config', '--global', 'url.https://short.invalid/.pushInsteadOf', 'https://bb.corp.invalid/']);
    await git(['config', '--global', `url.${f.emu.baseUrl}/scm/.pushInsteadOf`, 'https://bb.corp.invalid/scm/']);
    const r = await check([alias]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote ${alias})`);
    // what git pushes to for the same URL as a remote's
    await git(['remote', 'add', 'aliased', alias]);
    expect(await git(['remote', '-v'])).toContain(`aliased\t${app(f.emu.baseUrl)} (push)`);
    expect((await check(['aliased'])).stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote aliased)`);
  });

  it('a rule given in the environment (GIT_CONFIG_COUNT) applies too', async () => {
    const env = {
      ...f.sb.env,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `url.${f.emu.baseUrl}/scm/.insteadOf`,
      GIT_CONFIG_VALUE_0: 'https://bb.corp.invalid/scm/',
    };
    const r = await f.bin(['check', '--timeout', '30', alias], '', { cwd: work, env });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`PRJ/app on ${f.emu.baseUrl} (remote ${alias})`);
  });

  it('a name that is neither a remote nor rewritten is still no remote', async () => {
    expect(await check(['nowhere'])).toMatchObject({
      exitCode: 1,
      stderr: "git-credential-bitbucket: no remote named 'nowhere' (name one: check REMOTE)",
    });
  });
});
