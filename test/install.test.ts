/**
 * install.sh in a clean temporary prefix: a working binary on PATH, idempotent, the URL mode
 * (setup + login), and --uninstall. It runs on a copy of the checkout (sharing node_modules)
 * so that the checkout the other tests use is never rebuilt under them. install.sh installs for
 * real where that is what a test checks; the tests of --uninstall start from a copy of the first
 * install (cp -a: npm links the binary by a relative path, nothing in the package names its place).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir, dataDir, stateDir } from '../src/settings.js';
import { startEmulator, type Emulator, type Fixture } from './emulator/index.js';
import {
  copyCheckout,
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  parsePairs,
  ROOT,
  runGit,
  type Sandbox,
} from './helpers/sandbox.js';

let sb: Sandbox;
let copy: string;
let prefix: string;
/** The prefix of the first install: its name needs sh quoting (an apostrophe, a space, a $). */
let odd: string;
/** A copy of the first install, as install.sh left it. */
let template: string;
let first: Awaited<ReturnType<typeof install>>;
let emu: Emulator;
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;

beforeAll(async () => {
  sb = makeSandbox();
  copy = path.join(sb.dir, 'checkout');
  prefix = path.join(sb.dir, 'prefix');
  odd = path.join(sb.dir, "o'brien z$x");
  template = path.join(sb.dir, 'template');
  await copyCheckout(copy);
  // the shared node_modules match the lock file: install.sh must not run npm ci over them
  fs.utimesSync(path.join(copy, 'package-lock.json'), new Date('2000-01-01'), new Date('2000-01-01'));
  const started = startEmulator({ data: fixture });
  first = await install(['--prefix', odd]);
  if (first.exitCode === 0) await execa('cp', ['-a', odd, template]);
  emu = await started;
}, 300_000);

afterAll(async () => {
  await emu?.stop();
  sb.cleanup();
});

const install = (args: string[], input = '', env: NodeJS.ProcessEnv = sb.env) =>
  execa('sh', [path.join(copy, 'install.sh'), ...args], {
    // no check for a newer npm on each npm run: nothing here reads it
    env: { ...env, npm_config_update_notifier: 'false' },
    extendEnv: false,
    input,
    reject: false,
    cwd: sb.dir,
    timeout: 240_000,
  });

/** The package installed in the prefix `dest`, as install.sh installs it: a copy of the first install. */
const installedAt = async (dest: string) => {
  expect(first.exitCode, String(first.stderr)).toBe(0);
  fs.mkdirSync(dest, { recursive: true });
  await execa('cp', ['-a', `${template}/.`, dest]);
};

const run = (bin: string, args: string[], input = '') =>
  execa(bin, args, { env: sb.env, extendEnv: false, reject: false, cwd: sb.dir, input });

const binIn = (dest: string) => path.join(dest, 'bin', 'git-credential-bitbucket');
const packageIn = (dest: string) => fs.realpathSync(path.join(dest, 'lib', 'node_modules', 'git-credential-bitbucket'));

const helperValues = async (key: string) => {
  const r = await runGit(sb, ['config', '--global', '--get-all', key], '', { stripFinalNewline: false });
  return r.exitCode === 0 ? r.stdout.split('\n').slice(0, -1) : [];
};

/** The keys of the setup records in settings.json. */
const setupRecords = () => {
  const file = path.join(sb.dataDir, 'settings.json');
  if (!fs.existsSync(file)) return [];
  return Object.keys((JSON.parse(fs.readFileSync(file, 'utf8')) as { setups?: object }).setups ?? {});
};

describe('install.sh', () => {
  it('puts a working binary on PATH in a clean prefix, and is idempotent', async () => {
    const r = first;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(
      `Installed git-credential-bitbucket 0.1.0 at ${odd}/bin/git-credential-bitbucket`,
    );
    expect(String(r.stdout)).toMatch(/is not on your PATH/);
    // the command it suggests, pasted into sh, puts that directory first on PATH (a $ and a ' in it)
    const hint = /add it, e\.g\.: (.*)$/m.exec(String(r.stdout))?.[1];
    const pasted = await execa('sh', ['-c', `${hint}; printf '%s' "$PATH"`], { env: sb.env, extendEnv: false });
    expect(pasted.stdout.split(path.delimiter)[0]).toBe(`${odd}/bin`);
    const env = { ...sb.env, PATH: `${odd}/bin${path.delimiter}${sb.env.PATH}` };
    const version = await execa('git', ['credential-bitbucket', '--version'], { env, extendEnv: false });
    expect(version.stdout.trim()).toBe('0.1.0');
    await execa('git', ['credential-bitbucket', 'store'], {
      env,
      extendEnv: false,
      input: desc({ protocol: 'https', host: 'inst.invalid', username: 'u', password: 'installed-secret' }),
    });
    const get = await execa('git', ['credential-bitbucket', 'get'], {
      env,
      extendEnv: false,
      input: desc({ protocol: 'https', host: 'inst.invalid' }),
    });
    expect(parsePairs(get.stdout)).toContainEqual(['password', 'installed-secret']);

    // the update, with another copy first on PATH that a helper line also names: both are named
    const shadow = path.join(sb.dir, 'shadow');
    await installedAt(shadow);
    const url = 'https://shadow.example.com';
    const key = `credential.${url}.helper`;
    expect((await run(binIn(shadow), ['setup', url])).exitCode).toBe(0);
    const again = await install(['--prefix', odd], '', {
      ...sb.env,
      PATH: `${shadow}/bin${path.delimiter}${sb.env.PATH}`,
    });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(String(again.stdout)).not.toContain('Installing dependencies');
    expect((await execa('git', ['credential-bitbucket', '--version'], { env, extendEnv: false })).stdout.trim()).toBe(
      '0.1.0',
    );
    const warned = String(again.stderr);
    expect(warned).toContain(
      `install.sh: warning: git credential-bitbucket runs ${binIn(shadow)} (0.1.0), which PATH finds instead of this one; remove it (${path.join(copy, 'install.sh')} --uninstall --prefix '${shadow}') or put ${odd}/bin before it in PATH`,
    );
    const [shadowLine] = (await helperValues(key)).slice(-1);
    expect(shadowLine).toContain(`${packageIn(shadow)}/bin/git-credential-bitbucket.sh`);
    expect(warned).toContain(
      `install.sh: warning: git still runs another copy of git-credential-bitbucket for:\n  ${key} = ${shadowLine} (global, ${sb.env.GIT_CONFIG_GLOBAL})\n`,
    );
    // the command it gives points that line at this copy
    const fix = /^ {4}to run this one there: (.*)$/m.exec(warned)?.[1];
    expect(fix).toBeDefined();
    expect((await execa('sh', ['-c', fix!], { env: sb.env, extendEnv: false, reject: false })).exitCode).toBe(0);
    expect(await helperValues(key)).toEqual([
      '',
      shadowLine!.replace(packageIn(shadow), packageIn(odd).replace(/'/g, "'\\''")),
    ]);
    expect((await run(binIn(odd), ['unsetup', url])).exitCode).toBe(0);
    fs.rmSync(shadow, { recursive: true });
  }, 240_000);

  it('with a URL also sets git up and logs in; --uninstall URL removes all of it', async () => {
    const r = await install(['--prefix', prefix, emu.baseUrl], `${token}\n`);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expectNoSecrets([String(r.stdout), String(r.stderr)], [token]);
    expect(String(r.stderr)).toContain('Logged in to');
    const helpers = (await runGit(sb, ['config', '--global', '--get-all', `credential.${emu.baseUrl}.helper`])).stdout;
    expect(helpers).toContain('git-credential-bitbucket');
    const u = await install(['--uninstall', '--prefix', prefix, emu.baseUrl]);
    expect(u.exitCode, String(u.stderr)).toBe(0);
    expect(String(u.stdout)).toContain(`Removed git-credential-bitbucket from ${prefix}`);
    expect(fs.existsSync(path.join(prefix, 'bin', 'git-credential-bitbucket'))).toBe(false);
    expect((await runGit(sb, ['config', '--global', '--list'])).stdout).not.toMatch(/credential/);
    const stored = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'credentials.json'), 'utf8')) as {
      entries: Array<{ host: string }>;
    };
    expect(stored.entries.map((e) => e.host)).toEqual(['inst.invalid']);
  }, 240_000);

  it('--uninstall URL also removes the helper lines of other hosts and the config hook, and names hook files', async () => {
    const other = await startEmulator({ data: fixture });
    try {
      await installedAt(prefix);
      const bin = path.join(prefix, 'bin', 'git-credential-bitbucket');
      const pkg = fs.realpathSync(path.join(prefix, 'lib', 'node_modules', 'git-credential-bitbucket'));
      // git 2.55 first in PATH where it is built: config-based hooks (2.54+) exist there
      const git255 = '/root/.cache/git-builds/2.55.0/bin';
      const env = fs.existsSync(path.join(git255, 'git'))
        ? { ...sb.env, PATH: `${git255}${path.delimiter}${sb.env.PATH}` }
        : sb.env;
      const run = (args: string[], input = '', cwd = sb.dir) =>
        execa(bin, args, { env, extendEnv: false, input, reject: false, cwd });
      for (const e of [emu, other]) {
        expect((await run(['setup', e.baseUrl])).exitCode).toBe(0);
        expect((await run(['login', e.baseUrl, '--token-stdin'], `${token}\n`)).exitCode).toBe(0);
      }
      const repo = path.join(sb.dir, 'guarded');
      await execa('git', ['init', '-q', repo], { env, extendEnv: false });
      expect((await run(['hook', 'install'], '', repo)).exitCode).toBe(0);
      const configHook = env !== sb.env;
      if (configHook) expect((await run(['hook', 'install', '--global'])).exitCode).toBe(0);
      const before = (await runGit(sb, ['config', '--global', '--list'])).stdout;
      expect(before).toContain(`credential.${other.baseUrl}.helper=!f() { . "$1"; }; f '${pkg}/`);
      // the script the config-based hook runs, in the data directory
      const script = path.join(sb.dataDir, 'hooks', 'pre-push');
      expect(fs.existsSync(script)).toBe(configHook);

      const un = await execa('sh', [path.join(copy, 'install.sh'), '--uninstall', '--prefix', prefix, emu.baseUrl], {
        env,
        extendEnv: false,
        reject: false,
        cwd: repo,
      });
      expect(un.exitCode, String(un.stderr)).toBe(0);
      const out = String(un.stdout);
      // the other host's setup goes by the program's own unsetup, as its record says
      expect(String(un.stderr)).toContain(`- credential.${other.baseUrl}.helper = "" (the reset setup wrote)`);
      expect(String(un.stderr)).toContain(`- credential.${other.baseUrl}.helper = !f() { . "$1"; }; f '${pkg}/`);
      if (configHook) {
        expect(out).toContain('Removed from the global git config:');
        expect(out).toContain('config-based hook hook.bitbucket-pre-push');
        expect(out).toContain(`Removed ${script} (the script of the config-based hook; no hook runs it any more)`);
      }
      expect(fs.existsSync(script)).toBe(false);
      // the other server's token stays, and works there: named (never shown), with how to end it
      expect(out).toContain(`Still stored, and working on their servers until they expire or are revoked:\n`);
      expect(out).toMatch(new RegExp(`^  ${other.baseUrl.replace(/[.]/g, '\\.')}: \\S+ \\(in the file store\\)$`, 'm'));
      expect(out).toContain('git credential-bitbucket logout URL --revoke');
      const hookFile = path.join(fs.realpathSync(repo), '.git', 'hooks', 'pre-push');
      expect(out).toContain(`The pre-push hook ${hookFile} still calls the removed program`);
      expect(out).toContain(`rm -- '${hookFile}'`);
      expect(fs.existsSync(bin)).toBe(false);

      const after = (await runGit(sb, ['config', '--global', '--list'])).stdout;
      expect(after).not.toContain(pkg);
      expect(after).not.toMatch(/credential\..*\.helper=$/m);
      expect(after).not.toMatch(/^hook\./m);
      // a git operation against the other host: no helper is run any more, so no stack trace
      const ls = await execa('git', ['ls-remote', `${other.baseUrl}/scm/prj/app.git`], {
        env: { ...env, GIT_TERMINAL_PROMPT: '0' },
        extendEnv: false,
        reject: false,
        cwd: sb.dir,
      });
      expect(String(ls.stderr)).not.toMatch(/Cannot find module|credential-bitbucket|node:internal/);
      expect(String(ls.stderr)).toMatch(/could not read Username|terminal prompts disabled/);
      expectNoSecrets([out, String(un.stderr), String(ls.stderr)], [token]);
    } finally {
      await other.stop();
    }
  }, 300_000);

  // a prefix whose name needs sh quoting: the helper line names it as shQuote writes it ('\'')
  it('with an apostrophe, a space and a $ in the prefix: setup is idempotent, unsetup and --uninstall remove it', async () => {
    // install.sh installed there first (see beforeAll)
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const bin = path.join(odd, 'bin', 'git-credential-bitbucket');
    const key = 'credential.https://odd.example.com.helper';
    for (let i = 0; i < 2; i++) expect((await run(bin, ['setup', 'https://odd.example.com'])).exitCode).toBe(0);
    const values = await helperValues(key);
    expect(values).toHaveLength(2);
    expect(values[0]).toBe('');
    const un = await run(bin, ['unsetup', 'https://odd.example.com']);
    expect(un.stderr).toContain('(the reset setup wrote)');
    expect(un.stderr).toContain('(this helper)');
    expect(await helperValues(key)).toEqual([]);
    const again = await run(bin, ['setup', 'https://odd.example.com']);
    expect(again.exitCode).toBe(0);
    const u = await install(['--uninstall', '--prefix', odd]);
    expect(u.exitCode, String(u.stderr)).toBe(0);
    expect(await helperValues(key)).toEqual([]);
    expect(setupRecords()).toEqual([]);
  }, 300_000);

  it('--uninstall after the package is gone removes what setup --cache added, keeps a reset of the user, forgets the records', async () => {
    const p = path.join(sb.dir, 'gone');
    await installedAt(p);
    const bin = path.join(p, 'bin', 'git-credential-bitbucket');
    const cached = 'credential.https://cached.example.com.helper';
    const kept = 'credential.https://kept.example.com.helper';
    expect((await run(bin, ['setup', 'https://cached.example.com', '--cache', '60'])).exitCode).toBe(0);
    // the user's own reset was there before setup: it stays (setup adds a reset of its own)
    await runGit(sb, ['config', '--global', '--add', kept, '']);
    expect((await run(bin, ['setup', 'https://kept.example.com'])).exitCode).toBe(0);
    expect(await helperValues(cached)).toHaveLength(3);
    expect(await helperValues(kept)).toHaveLength(3);
    // what npm uninstall -g removes: the package and the link to its binary
    fs.rmSync(path.join(p, 'lib', 'node_modules', 'git-credential-bitbucket'), { recursive: true });
    fs.rmSync(bin);
    expect(fs.existsSync(bin)).toBe(false);
    const u = await install(['--uninstall', '--prefix', p]);
    expect(u.exitCode, String(u.stderr)).toBe(0);
    expect(String(u.stdout)).toContain('Removed from the global git config:');
    expect(await helperValues(cached)).toEqual([]);
    expect(await helperValues(kept)).toEqual(['']);
    expect(setupRecords()).toEqual([]);
    // git asks no helper that is gone: no ". : cannot open" on each operation
    const fill = await runGit(sb, ['credential', 'fill'], 'url=https://cached.example.com/x\n\n');
    expect(String(fill.stderr)).not.toMatch(/cannot open|credential-bitbucket/);
    await runGit(sb, ['config', '--global', '--unset-all', kept]);
  }, 300_000);

  it('--uninstall with the package there runs its unsetup for each setup: the cache line goes, a reset of the user stays', async () => {
    const p = path.join(sb.dir, 'there');
    await installedAt(p);
    const bin = path.join(p, 'bin', 'git-credential-bitbucket');
    const cached = 'credential.https://cached2.example.com.helper';
    const kept = 'credential.https://kept2.example.com.helper';
    expect((await run(bin, ['setup', 'https://cached2.example.com', '--cache', '60'])).exitCode).toBe(0);
    await runGit(sb, ['config', '--global', '--add', kept, '']);
    expect((await run(bin, ['setup', 'https://kept2.example.com'])).exitCode).toBe(0);
    const u = await install(['--uninstall', '--prefix', p]);
    expect(u.exitCode, String(u.stderr)).toBe(0);
    expect(await helperValues(cached)).toEqual([]);
    expect(await helperValues(kept)).toEqual(['']);
    expect(setupRecords()).toEqual([]);
    await runGit(sb, ['config', '--global', '--unset-all', kept]);
  }, 300_000);

  it('--uninstall leaves a setup whose helper line runs another copy that stays, and says so; the other copy then removes it', async () => {
    const a = path.join(sb.dir, 'copy-a');
    const b = path.join(sb.dir, 'copy-b');
    const gone = path.join(sb.dir, 'copy-gone');
    const url = (p: string) => `https://${path.basename(p)}.example.com`;
    const key = (p: string) => `credential.${url(p)}.helper`;
    for (const p of [a, b, gone]) {
      await installedAt(p);
      expect((await run(binIn(p), ['setup', url(p)])).exitCode).toBe(0);
    }
    fs.rmSync(gone, { recursive: true });
    const secret = 'kept-token-secret';
    const stored = desc({ protocol: 'https', host: 'kept.invalid', username: 'u', password: secret });
    expect((await run(binIn(a), ['store'], stored)).exitCode).toBe(0);
    const linesOfA = await helperValues(key(a));
    const record = (p: string) => `${sb.env.GIT_CONFIG_GLOBAL}|${url(p)}`;

    const u = await install(['--uninstall', '--prefix', b]);
    expect(u.exitCode, String(u.stderr)).toBe(0);
    const out = String(u.stdout);
    expect(await helperValues(key(a))).toEqual(linesOfA);
    expect(setupRecords()).toContain(record(a));
    // this copy's setup goes, and one whose helper's front is gone with its copy
    expect(await helperValues(key(b))).toEqual([]);
    expect(await helperValues(key(gone))).toEqual([]);
    expect(setupRecords()).not.toContain(record(b));
    expect(setupRecords()).not.toContain(record(gone));
    expect(out).toContain(
      `Left as they are (they run another copy of git-credential-bitbucket, which stays installed; that copy's unsetup URL removes one):\n  - ${key(a)} = ${linesOfA[1]} (${sb.env.GIT_CONFIG_GLOBAL})\n`,
    );
    // the files are that copy's too: no rm for them
    expect(out).toContain(`Still stored, for the copy at ${packageIn(a)}, which stays`);
    expect(out).toContain('  https://kept.invalid: u (in the file store)');
    expect(out).not.toContain('rm -rf');

    const last = await install(['--uninstall', '--prefix', a]);
    expect(last.exitCode, String(last.stderr)).toBe(0);
    const lastOut = String(last.stdout);
    expect(await helperValues(key(a))).toEqual([]);
    expect(setupRecords()).not.toContain(record(a));
    // the last copy gone: what stays, and how to remove it
    expect(lastOut).toContain('Still stored, and working on their servers until they expire or are revoked:\n');
    expect(lastOut).toContain('  https://kept.invalid: u (in the file store)');
    const dirs = [dataDir(sb.env), cacheDir(sb.env), stateDir(sb.env)].filter((d) => fs.existsSync(d));
    expect(dirs).toContain(sb.dataDir);
    expect(lastOut).toContain(`remove them with: rm -rf ${dirs.map((d) => `'${d}'`).join(' ')}`);
    expectNoSecrets([out, String(u.stderr), lastOut, String(last.stderr)], [secret, token, 'installed-secret']);
  }, 300_000);

  it('--uninstall where nothing is installed creates nothing, says so, names the copy PATH finds, and exits 1', async () => {
    const env = { ...sb.env };
    delete env.PREFIX;
    const none = path.join(sb.dir, 'nothing', 'here');
    const u = await install(['--uninstall', '--prefix', none], '', env);
    expect(u.exitCode).toBe(1);
    expect(String(u.stderr).trim()).toBe(`install.sh: nothing is installed under ${none}; none is on PATH either`);
    expect(String(u.stdout)).toBe('');
    expect(fs.existsSync(path.join(sb.dir, 'nothing'))).toBe(false);
    // the default prefix, ~/.local, while the copy PATH finds is elsewhere
    const onPath = path.join(sb.dir, 'on-path');
    await installedAt(onPath);
    const d = await install(['--uninstall'], '', { ...env, PATH: `${onPath}/bin${path.delimiter}${env.PATH}` });
    expect(d.exitCode).toBe(1);
    expect(String(d.stderr).trim()).toBe(
      `install.sh: nothing is installed under ${sb.home}/.local; the one on PATH is ${binIn(onPath)}: remove it with: ${path.join(copy, 'install.sh')} --uninstall --prefix '${onPath}'`,
    );
    expect(fs.existsSync(path.join(sb.home, '.local'))).toBe(false);
    expect(fs.existsSync(binIn(onPath))).toBe(true);
    fs.rmSync(onPath, { recursive: true });
  }, 300_000);

  it('refuses a place with a backslash in one line before it makes or builds anything: Node loads no ES module there', async () => {
    const back = path.join(sb.dir, 'back\\slash');
    const refusal = (dir: string) =>
      `install.sh: cannot install under ${dir}: Node loads no ES module from a path with a backslash (\\); choose another place with --prefix DIR`;
    const r = await install(['--prefix', back]);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).trim()).toBe(refusal(back));
    expect(String(r.stdout)).toBe('');
    expect(fs.existsSync(back)).toBe(false);
    // the default prefix, ~/.local, in a home with one
    const home = path.join(sb.dir, 'home\\x');
    const env: NodeJS.ProcessEnv = { ...sb.env, HOME: home };
    delete env.PREFIX;
    fs.mkdirSync(home);
    const d = await install([], '', env);
    expect(d.exitCode).toBe(1);
    expect(String(d.stderr).trim()).toBe(refusal(`${home}/.local`));
    expect(fs.existsSync(`${home}/.local`)).toBe(false);
    // a prefix that is a link to such a place: npm would install there
    fs.mkdirSync(back);
    const link = path.join(sb.dir, 'link-to-back');
    fs.symlinkSync(back, link);
    const l = await install(['--prefix', link]);
    expect(l.exitCode).toBe(1);
    expect(String(l.stderr).trim()).toBe(refusal(back));
    expect(fs.readdirSync(back)).toEqual([]);
    // a checkout in such a place cannot build
    const checkout = path.join(back, 'checkout');
    await copyCheckout(checkout);
    const c = await execa('sh', [path.join(checkout, 'install.sh'), '--prefix', prefix], {
      env: sb.env,
      extendEnv: false,
      reject: false,
      cwd: sb.dir,
    });
    expect(c.exitCode).toBe(1);
    expect(String(c.stderr).trim()).toBe(
      `install.sh: cannot build in ${checkout}: Node loads no ES module from a path with a backslash (\\); move the checkout to a path without one`,
    );
    expect(String(c.stdout)).toBe('');
    fs.rmSync(back, { recursive: true });
  }, 300_000);

  it('takes a relative prefix that starts with - as a directory, never as options', async () => {
    // an npm that does nothing: install.sh goes as far as looking for what it installed
    const fake = path.join(sb.dir, 'fake-npm');
    fs.mkdirSync(fake);
    fs.writeFileSync(path.join(fake, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { ...sb.env, PATH: `${fake}${path.delimiter}${sb.env.PATH}` };
    const dash = path.join(sb.dir, '-tools');
    const r = await install(['--prefix', '-tools'], '', env);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr).trim()).toBe(
      `install.sh: the install did not produce ${dash}/bin/git-credential-bitbucket`,
    );
    expect(fs.statSync(dash).isDirectory()).toBe(true);
    const u = await install(['--uninstall', '--prefix', '-tools'], '', env);
    expect(u.exitCode).toBe(1);
    expect(String(u.stderr)).toContain(`install.sh: nothing is installed under ${dash};`);
    fs.rmSync(dash, { recursive: true });
  }, 300_000);

  it('fails with a clear message when git is missing or Node is too old or unsupported', async () => {
    const fake = path.join(sb.dir, 'fakebin');
    fs.mkdirSync(fake);
    for (const tool of ['sh', 'sed', 'sort', 'head', 'mkdir', 'dirname', 'cat']) {
      const real = (await execa('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      fs.symlinkSync(real, path.join(fake, tool));
    }
    fs.symlinkSync(process.execPath, path.join(fake, 'node'));
    fs.writeFileSync(path.join(fake, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const noGit = await install(['--prefix', prefix], '', { ...sb.env, PATH: fake });
    expect(noGit.exitCode).toBe(1);
    expect(String(noGit.stderr).trim()).toBe('install.sh: git is not installed; install git 2.39.0 or newer');
    fs.rmSync(path.join(fake, 'node'));
    fs.writeFileSync(path.join(fake, 'node'), '#!/bin/sh\necho 18.20.0\n', { mode: 0o755 });
    const oldNode = await install(['--prefix', prefix], '', { ...sb.env, PATH: fake });
    expect(oldNode.exitCode).toBe(1);
    expect(String(oldNode.stderr).trim()).toBe('install.sh: Node.js 18.20.0 is too old; 20.19.0 or newer is needed');
    // 22.0-22.2 are newer than 20.19 but lack process.getBuiltinModule (package.json's engines)
    fs.writeFileSync(path.join(fake, 'node'), '#!/bin/sh\necho 22.1.0\n', { mode: 0o755 });
    const early22 = await install(['--prefix', prefix], '', { ...sb.env, PATH: fake });
    expect(early22.exitCode).toBe(1);
    expect(String(early22.stderr).trim()).toBe(
      'install.sh: Node.js 22.1.0 is not supported; use Node 22.3 or newer, or 20.19+ (22.0-22.2 lack process.getBuiltinModule)',
    );
  });
});
