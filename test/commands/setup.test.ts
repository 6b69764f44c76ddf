/** setup/unsetup against real git config files. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitAtLeast } from '../helpers/git-version.js';
import { describe as desc, makeSandbox, parsePairs, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let gitconfig: string;
beforeEach(() => {
  sb = makeSandbox();
  gitconfig = sb.env.GIT_CONFIG_GLOBAL!;
});
afterEach(() => sb.cleanup());

const URL_ = 'https://127.0.0.1:7990/bitbucket';
const FRONT = fs.realpathSync(path.join(ROOT, 'bin/git-credential-bitbucket.sh'));
const read = () => (fs.existsSync(gitconfig) ? fs.readFileSync(gitconfig, 'utf8') : null);

describe('setup / unsetup', () => {
  it('writes a host-scoped reset and an absolute, quoted invocation; running it twice changes nothing', async () => {
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Updated .*gitconfig \(global\)/);
    const values = (await runGit(sb, ['config', '--global', '--get-all', `credential.${URL_}.helper`])).stdout.split(
      '\n',
    );
    expect(values[0]).toBe('');
    expect(values[1]).toBe(`!f() { . "$1"; }; f '${FRONT}' '${process.execPath}' ${process.platform}`);
    const after = read();
    const again = await runBin(sb, ['setup', URL_]);
    expect(again.stderr).toMatch(/nothing changed/);
    expect(read()).toBe(after);
  });

  it('replaces the line an earlier version wrote (`!sh <front> …`); unsetup removes it', async () => {
    const older = `!sh '${FRONT}' '${process.execPath}' ${process.platform}`;
    await runGit(sb, ['config', '--global', '--add', `credential.${URL_}.helper`, '']);
    await runGit(sb, ['config', '--global', '--add', `credential.${URL_}.helper`, older]);
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('an older invocation of this helper');
    const values = (await runGit(sb, ['config', '--global', '--get-all', `credential.${URL_}.helper`])).stdout
      .replace(/\n$/, '')
      .split('\n');
    expect(values).toEqual(['', `!f() { . "$1"; }; f '${FRONT}' '${process.execPath}' ${process.platform}`]);
    expect((await runBin(sb, ['unsetup', URL_])).exitCode).toBe(0);
    expect((await runGit(sb, ['config', '--global', '--get-all', `credential.${URL_}.helper`])).stdout).toBe('');
  });

  it('round trip leaves git config byte-identical (existing file with other settings)', async () => {
    fs.writeFileSync(
      gitconfig,
      '[user]\n\tname = Alice\n\temail = alice@example.com\n[credential]\n\thelper = store\n',
    );
    const before = read();
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    expect(read()).not.toBe(before);
    const r = await runBin(sb, ['unsetup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Updated/);
    expect(read()).toBe(before);
  });

  it("--cache puts git's credential-cache before this helper; setup keeps it, --cache=N changes it, unsetup removes it", async () => {
    fs.writeFileSync(gitconfig, '[user]\n\tname = Alice\n');
    const before = read();
    const helpers = async () =>
      (await runGit(sb, ['config', '--global', '--get-all', `credential.${URL_}.helper`])).stdout.split('\n');
    const r = await runBin(sb, ['setup', URL_, '--cache=300']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('cache --timeout=300');
    expect((await helpers()).slice(0, 2)).toEqual(['', 'cache --timeout=300']);
    expect((await helpers())[2]).toMatch(/git-credential-bitbucket\.sh/);
    const kept = read();
    expect((await runBin(sb, ['setup', URL_])).stderr).toMatch(/nothing changed/);
    expect(read()).toBe(kept);
    expect((await runBin(sb, ['setup', URL_, '--cache'])).exitCode).toBe(0);
    expect((await helpers()).slice(0, 2)).toEqual(['', 'cache --timeout=900']);
    expect((await helpers()).length).toBe(3);
    const withCache = read();
    const bad = await runBin(sb, ['setup', '--cache', URL_]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--cache takes a number of seconds');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(read()).toBe(withCache);
    const u = await runBin(sb, ['unsetup', URL_]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(u.stderr).toContain('cache --timeout=900');
    expect(read()).toBe(before);
  });

  it.each(['abc', '-5', '0', '1.5', '99999999999999999999', '30s'])(
    '--cache=%s is a usage error: exit 2, one line, nothing changed',
    async (value) => {
      expect((await runBin(sb, ['setup', URL_, '--cache=300'])).exitCode).toBe(0);
      const files = () => {
        const out: Record<string, string> = {};
        const walk = (dir: string): void => {
          for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else out[path.relative(sb.dir, p)] = fs.readFileSync(p, 'latin1');
          }
        };
        walk(sb.dir);
        return out;
      };
      const before = files();
      expect(Object.keys(before).some((f) => f.endsWith('settings.json'))).toBe(true);
      const r = await runBin(sb, ['setup', URL_, `--cache=${value}`]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `git-credential-bitbucket: --cache takes a number of seconds (1 or more), as --cache=900; got '${value}'`,
      ]);
      expect(r.stdout).toBe('');
      expect(files()).toEqual(before);
    },
  );

  it('round trip with no config file before leaves no file behind', async () => {
    fs.rmSync(gitconfig);
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    expect(read()).not.toBeNull();
    expect((await runBin(sb, ['unsetup', URL_])).exitCode).toBe(0);
    expect(read()).toBeNull();
  });

  it("a section of the user's that holds only comments: the round trip and setup's move to the end keep them", async () => {
    const host = 'https://127.0.0.1:7990';
    const mine = `[init]\n\tdefaultBranch = main\n[credential "${host}"]\n\t# company Bitbucket: tokens from wiki page 1234\n\t; helper = store (off since 2024)\n[alias]\n\tco = checkout\n`;
    fs.writeFileSync(gitconfig, mine);
    expect((await runBin(sb, ['setup', host])).exitCode).toBe(0);
    expect((await runBin(sb, ['unsetup', host])).exitCode).toBe(0);
    expect(read()).toBe(mine);
    // a helper for every host after setup's block: setup moves its block to the end of the file
    expect((await runBin(sb, ['setup', host])).exitCode).toBe(0);
    fs.appendFileSync(gitconfig, '[credential]\n\thelper = store\n');
    const moved = await runBin(sb, ['setup', host]);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(read()).toContain('# company Bitbucket: tokens from wiki page 1234');
    expect(read()).toContain('; helper = store (off since 2024)');
  });

  it("no config file before, git speaking German: git's message for the missing file is still read as an empty config", async (ctx) => {
    fs.rmSync(gitconfig);
    // C.UTF-8 needs no generated locale; LANGUAGE picks git's translation where git has one
    const german = { ...sb.env, LC_ALL: 'C.UTF-8', LANGUAGE: 'de' };
    const said = await runGit({ ...sb, env: german }, ['config', '--global', '--list']);
    if (/unable to read/i.test(said.stderr)) ctx.skip(); // this git has no German translation
    expect(said.stderr).toMatch(/Konfigurationsdatei/);
    const r = await runBin({ ...sb, env: german }, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(read()).not.toBeNull();
    const u = await runBin({ ...sb, env: german }, ['unsetup', URL_]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(read()).toBeNull();
  });

  it.each([
    ['first', 'last'],
    ['last', 'first'],
  ])('two servers set up on a file setup created: unset %s, then %s: no file is left', async (a) => {
    const other = 'https://localhost:7991';
    const order = a === 'first' ? [URL_, other] : [other, URL_];
    fs.rmSync(gitconfig, { force: true });
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    expect((await runBin(sb, ['setup', other])).exitCode).toBe(0);
    expect((await runBin(sb, ['unsetup', order[0]!])).exitCode).toBe(0);
    expect(read()).not.toBeNull();
    const last = await runBin(sb, ['unsetup', order[1]!]);
    expect(last.stderr).toMatch(/created by setup, now empty/);
    expect(read()).toBeNull();
  });

  it('host names are case-insensitive: another spelling of the host is the same setup', async () => {
    const lower = 'https://bb.example.com/Context';
    expect((await runBin(sb, ['setup', lower])).exitCode).toBe(0);
    const after = read();
    const again = await runBin(sb, ['setup', 'https://BB.Example.COM/Context']);
    expect(again.stderr).toMatch(/already sends https:\/\/bb\.example\.com\/Context to this helper; nothing changed/);
    expect(read()).toBe(after);
    expect((await runBin(sb, ['unsetup', 'https://Bb.example.com/Context'])).stderr).toMatch(/Updated/);
    expect(read()).toBe('');
  });

  it('keeps a global store helper and osxkeychain-style helpers for other hosts', async () => {
    // a fake "osxkeychain" helper on PATH that answers for any host
    const binDir = path.join(sb.dir, 'fakebin');
    fs.mkdirSync(binDir);
    fs.writeFileSync(
      path.join(binDir, 'git-credential-fakekeychain'),
      '#!/bin/sh\n[ "$1" = get ] && { echo username=kc-user; echo password=kc-pass; }\nexit 0\n',
      { mode: 0o755 },
    );
    sb.env.PATH = `${binDir}${path.delimiter}${sb.env.PATH}`;
    const storeFile = path.join(sb.dir, 'git-credentials');
    fs.writeFileSync(storeFile, 'https://st-user:st-pass@other.example.invalid\n');
    await runGit(sb, ['config', '--global', '--add', 'credential.helper', `store --file=${storeFile}`]);
    await runGit(sb, ['config', '--global', '--add', 'credential.helper', 'fakekeychain']);
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    // another host: the store helper still answers first, then the keychain
    const other = await runGit(sb, ['credential', 'fill'], desc({ protocol: 'https', host: 'other.example.invalid' }));
    expect(parsePairs(other.stdout)).toContainEqual(['password', 'st-pass']);
    const third = await runGit(sb, ['credential', 'fill'], desc({ protocol: 'https', host: 'third.example.invalid' }));
    expect(parsePairs(third.stdout)).toContainEqual(['password', 'kc-pass']);
    // our host: only this helper is asked (nothing stored yet: git would prompt, so fill fails)
    await runBin(
      sb,
      ['store'],
      desc({ protocol: 'https', host: '127.0.0.1:7990', username: 'alice', password: 'bb-token' }),
    );
    const ours = await runGit(
      sb,
      ['credential', 'fill'],
      desc({ protocol: 'https', host: '127.0.0.1:7990', path: 'bitbucket/scm/prj/app.git' }),
    );
    expect(parsePairs(ours.stdout)).toContainEqual(['password', 'bb-token']);
    // and git's store step for our host reaches neither the store nor the keychain helper
    await runGit(
      sb,
      ['credential', 'approve'],
      desc({
        protocol: 'https',
        host: '127.0.0.1:7990',
        path: 'bitbucket/scm/prj/app.git',
        username: 'alice',
        password: 'bb-token',
      }),
    );
    expect(fs.readFileSync(storeFile, 'utf8')).not.toContain('bb-token');
  });

  it('sets useHttpPath only when path-scoped tokens are stored, and unsetup removes it', async () => {
    await runBin(
      sb,
      ['store'],
      desc({
        protocol: 'https',
        host: '127.0.0.1:7990',
        path: 'bitbucket/scm/prj/app.git',
        username: 'a',
        password: 'p',
      }),
    );
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.stderr).toMatch(/useHttpPath = true/);
    expect((await runGit(sb, ['config', '--global', `credential.${URL_}.useHttpPath`])).stdout.trim()).toBe('true');
    await runBin(sb, ['unsetup', URL_]);
    expect((await runGit(sb, ['config', '--global', '--list'])).stdout).not.toMatch(/credential/);
  });

  it('--local writes into the repository config only', async () => {
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    const r = await runBin(sb, ['setup', URL_, '--local'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8')).toContain(`[credential "${URL_}"]`);
    expect(read()).toBe('');
    const outside = await runBin(sb, ['setup', URL_, '--local']);
    expect(outside.exitCode).not.toBe(0);
    expect(outside.stderr).toMatch(/needs a git repository/);
  });

  it.runIf(!gitAtLeast(2, 54))('--hook installs the guard in the current repository (git < 2.54)', async () => {
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    const r = await runBin(sb, ['setup', URL_, '--hook'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    const hook = fs.readFileSync(path.join(repo, '.git', 'hooks', 'pre-push'), 'utf8');
    expect(hook).toContain('# git-credential-bitbucket pre-push guard');
    expect(fs.statSync(path.join(repo, '.git', 'hooks', 'pre-push')).mode & 0o777).toBe(0o755);
    const outside = await runBin(sb, ['setup', URL_, '--hook']);
    expect(outside.exitCode).toBe(2);
    expect(outside.stderr).toMatch(/installed per repository/);
  });

  it.runIf(gitAtLeast(2, 54))('--hook on git 2.54+: one global config-based hook, no hook file', async () => {
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    const r = await runBin(sb, ['setup', URL_, '--hook'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-push'))).toBe(false);
    const event = await runGit(sb, ['config', '--global', 'hook.bitbucket-pre-push.event']);
    expect(event.stdout.trim()).toBe('pre-push');
    const command = await runGit(sb, ['config', '--global', 'hook.bitbucket-pre-push.command']);
    expect(command.stdout).toContain('pre-push');
    // the same from outside any repository: the global hook covers every one
    const outside = await runBin(sb, ['setup', URL_, '--hook']);
    expect(outside.exitCode, outside.stderr).toBe(0);
  });

  it('refuses SSH URLs and conflicting scopes', async () => {
    expect((await runBin(sb, ['setup', 'ssh://git@127.0.0.1:7999/prj/app.git'])).exitCode).toBe(2);
    expect((await runBin(sb, ['setup', URL_, '--global', '--local'])).exitCode).toBe(2);
  });
});
