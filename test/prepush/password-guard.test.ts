/**
 * The guard never sends an account password for its checks: when the credential git is about to
 * push with is a stored account password (allowed by `bitbucket.<url>.storePasswords`), a real push
 * through the installed hook says so with the line doctor and check use, at the level of an
 * unchecked push (`bitbucket.unreachable`), and the emulator's request log shows no password and no
 * Basic request on the REST API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import {
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  ROOT,
  runBin,
  runGit,
  type Sandbox,
} from '../helpers/sandbox.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const PASSWORD = 'alice-password';
const bob = fixture.tokens!.find((t) => t.name === 'bob-legacy')!.token!;
const outputs: string[] = [];

let emu: Emulator;
let sb: Sandbox;
let app: string;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
  sb = makeSandbox();
  const host = new URL(emu.baseUrl).host;
  // a Bitbucket login on the host (bob's), passwords allowed there, alice's password stored
  expect((await bin(['login', emu.baseUrl, '--username', 'bob', '--token-stdin'], `${bob}\n`)).exitCode).toBe(0);
  expect((await bin(['setup', emu.baseUrl])).exitCode).toBe(0);
  await git(['config', '--global', `bitbucket.${emu.baseUrl}.storePasswords`, 'true']);
  const stored = await bin(['store'], desc({ protocol: 'http', host, username: 'alice', password: PASSWORD }));
  expect(stored.exitCode, stored.stderr).toBe(0);
  app = path.join(sb.dir, 'app');
  expect(
    (await git(['-c', 'credential.username=alice', 'clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, app])).exitCode,
  ).toBe(0);
  await git(['-C', app, 'config', 'credential.username', 'alice']);
  await git(['-C', app, 'config', 'user.email', 'alice@example.com']);
  await git(['-C', app, 'config', 'user.name', 'Alice']);
  const hook = await runBin(sb, ['hook', 'install'], '', { cwd: app });
  outputs.push(hook.stdout, hook.stderr);
  expect(hook.exitCode, hook.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await emu.stop();
  sb.cleanup();
  expectNoSecrets(outputs, [PASSWORD, bob]);
});

async function bin(args: string[], input = '') {
  const r = await runBin(sb, args, input);
  outputs.push(r.stdout, r.stderr);
  return r;
}
async function git(args: string[]) {
  const r = await runGit(sb, args);
  outputs.push(r.stdout, r.stderr);
  return r;
}
/** A new commit in `repo`, pushed to `branch` with the emulator's log cleared first. */
async function commitAndPush(repo: string, name: string, branch: string) {
  fs.writeFileSync(path.join(repo, name), `${name}\n`);
  await git(['-C', repo, 'add', name]);
  await git(['-C', repo, 'commit', '-q', '-m', name]);
  emu.clearLog();
  return git(['-C', repo, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
}

describe('a stored account password at push time', () => {
  it('is reported by the guard, never sent for its checks; the push goes on at the default level', async () => {
    const push = await commitAndPush(app, 'a.txt', 'pw-warn');
    expect(push.stderr).toContain(
      'warning: alice: an account password is stored, not an access token; the push was not checked',
    );
    expect(push.stderr).toContain(`replace it with a token: git credential-bitbucket login ${emu.baseUrl}`);
    expect(push.exitCode, push.stderr).toBe(0);
    const rest = emu.log().filter((e) => e.path.includes('/rest/'));
    expect(rest.filter((e) => e.via === 'password' || e.auth === 'basic')).toEqual([]);
    // git itself sent it for the push (its choice): the guard only reported it
    expect(emu.log().some((e) => e.path.includes('/scm/') && e.via === 'password')).toBe(true);
  });

  it('bitbucket.unreachable=block blocks it, still without sending it', async () => {
    await git(['-C', app, 'config', 'bitbucket.unreachable', 'block']);
    try {
      const push = await commitAndPush(app, 'b.txt', 'pw-block');
      expect(push.exitCode).not.toBe(0);
      expect(push.stderr).toContain('blocked: alice: an account password is stored, not an access token');
      expect(emu.log().filter((e) => e.path.includes('/rest/'))).toEqual([]);
      // check says it once, the same way
      const check = await runBin(sb, ['check'], '', { cwd: app });
      outputs.push(check.stdout, check.stderr);
      expect(check.stdout.split('an account password is stored').length - 1).toBe(1);
    } finally {
      await git(['-C', app, 'config', '--unset', 'bitbucket.unreachable']);
    }
  });
});

describe('an account password from another helper in front of this one', () => {
  it('is reported as what git’s helpers give, not as stored, and never sent for the checks', async () => {
    const app2 = path.join(sb.dir, 'app2');
    const storeFile = path.join(sb.dir, 'other-helper-credentials');
    const url = new URL(emu.baseUrl);
    fs.writeFileSync(storeFile, `${url.protocol}//alice:${PASSWORD}@${url.host}\n`, { mode: 0o600 });
    expect((await git(['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, app2])).exitCode).toBe(0);
    // only git's own credential-store for this repository: an empty value drops the helpers before it
    await git(['-C', app2, 'config', 'credential.helper', '']);
    await git(['-C', app2, 'config', '--add', 'credential.helper', `store --file ${storeFile}`]);
    await git(['-C', app2, 'config', 'user.email', 'alice@example.com']);
    await git(['-C', app2, 'config', 'user.name', 'Alice']);
    const hook = await runBin(sb, ['hook', 'install'], '', { cwd: app2 });
    outputs.push(hook.stdout, hook.stderr);
    expect(hook.exitCode, hook.stderr).toBe(0);
    const push = await commitAndPush(app2, 'c.txt', 'pw-other');
    expect(push.stderr).toContain(
      "warning: alice: git's credential helpers give an account password, not an access token; the push was not checked",
    );
    expect(push.stderr).not.toContain('is stored');
    expect(push.exitCode, push.stderr).toBe(0);
    expect(emu.log().filter((e) => e.path.includes('/rest/'))).toEqual([]);
  });
});
