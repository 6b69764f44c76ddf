/**
 * The npm package: `npm pack` (whose prepack builds dist/) in a copy of the checkout, then
 * `npm install -g` of that tarball into a fresh prefix, the way a user installs a Node tool. From
 * that install: --version, the OS keyring binding from its platform package, setup, login
 * against the emulator, and a clone and a push through git, which finds the program as
 * `git credential-bitbucket` on PATH.
 *
 * npm itself must reach the registry: it keeps the machine's CA file (NODE_EXTRA_CA_CERTS, which
 * the sandbox keeps) and the real npm user config and cache, while HOME, git config and the store
 * are the sandbox's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from './emulator/index.js';
import { copyCheckout, expectNoSecrets, makeSandbox, ROOT, runGit, type Sandbox } from './helpers/sandbox.js';

let sb: Sandbox;
let copy: string;
let prefix: string;
let emu: Emulator;
let npmEnv: NodeJS.ProcessEnv;
let userEnv: NodeJS.ProcessEnv;
const outputs: string[] = [];
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;
const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The calling user's npm settings, read before HOME moves: where npm's config and cache are. */
async function realNpmConfig(): Promise<NodeJS.ProcessEnv> {
  const get = async (key: string) => (await execa('npm', ['config', 'get', key], { cwd: ROOT })).stdout.trim();
  return { npm_config_userconfig: await get('userconfig'), npm_config_cache: await get('cache') };
}

beforeAll(async () => {
  sb = makeSandbox();
  copy = path.join(sb.dir, 'checkout');
  prefix = path.join(sb.dir, 'prefix');
  // a copy, so that prepack's build never replaces the dist/ other tests are running
  await copyCheckout(copy);
  npmEnv = { ...sb.env, ...(await realNpmConfig()), npm_config_update_notifier: 'false' };
  userEnv = { ...sb.env, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${sb.env.PATH}` };
  emu = await startEmulator({ data: fixture });
}, 120_000);

afterAll(async () => {
  expectNoSecrets(outputs, [token]);
  await emu?.stop();
  sb?.cleanup();
});

async function npm(args: string[], cwd: string) {
  const r = await execa('npm', args, { env: npmEnv, extendEnv: false, cwd, reject: false, timeout: 300_000 });
  expect(r.exitCode, `npm ${args.join(' ')}: ${String(r.stderr)}`).toBe(0);
  return String(r.stdout);
}

async function user(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}) {
  const r = await execa(cmd, args, { env: userEnv, extendEnv: false, reject: false, cwd: sb.dir, ...opts });
  outputs.push(String(r.stdout), String(r.stderr));
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('the npm package', () => {
  it('npm pack builds dist/ and packs only what runs', async () => {
    const out = await npm(['pack', '--json', '--pack-destination', sb.dir], copy);
    const [packed] = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: { path: string }[] }>;
    expect(packed!.filename).toBe(`git-credential-bitbucket-${version}.tgz`);
    expect(packed!.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'bin/git-credential-bitbucket.cjs',
      'bin/git-credential-bitbucket.js',
      'bin/git-credential-bitbucket.sh',
      'dist/cli.mjs',
      'dist/helper.cjs',
      'dist/hook-net.cjs',
      'dist/hook.cjs',
      'hooks/pre-push',
      'package.json',
    ]);
  }, 300_000);

  it('installs with npm install -g into a fresh prefix and works through git', async () => {
    await npm(
      ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `./git-credential-bitbucket-${version}.tgz`],
      sb.dir,
    );
    const installed = path.join(prefix, 'lib', 'node_modules', 'git-credential-bitbucket');
    const bin = path.join(prefix, 'bin', 'git-credential-bitbucket');
    expect(fs.realpathSync(bin)).toBe(path.join(installed, 'bin', 'git-credential-bitbucket.cjs'));

    // the keyring binding comes from its platform package and loads
    const binding = await user(process.execPath, [
      '-e',
      `const k = require(${JSON.stringify(path.join(installed, 'node_modules', '@napi-rs', 'keyring'))}); process.stdout.write(typeof k.Entry)`,
    ]);
    expect(binding.stdout, binding.stderr).toBe('function');

    const v = await user('git', ['credential-bitbucket', '--version']);
    expect(v.stdout.trim(), v.stderr).toBe(version);

    const setup = await user('git', ['credential-bitbucket', 'setup', emu.baseUrl]);
    expect(setup.exitCode, setup.stderr).toBe(0);
    const helpers = (await runGit(sb, ['config', '--global', '--get-all', `credential.${emu.baseUrl}.helper`])).stdout;
    expect(helpers).toContain(installed);

    const login = await user('git', ['credential-bitbucket', 'login', emu.baseUrl, '--token-stdin'], {
      input: `${token}\n`,
    });
    expect(login.exitCode, login.stderr).toBe(0);

    const gitUser = ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com'];
    const clone = await user('git', ['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, 'work']);
    expect(clone.exitCode, clone.stderr).toBe(0);
    const work = path.join(sb.dir, 'work');
    fs.writeFileSync(path.join(work, 'from-package.txt'), 'installed with npm\n');
    expect((await user('git', ['add', '.'], { cwd: work })).exitCode).toBe(0);
    expect((await user('git', [...gitUser, 'commit', '-q', '-m', 'from the package'], { cwd: work })).exitCode).toBe(0);
    const push = await user('git', ['push', '-q', 'origin', 'HEAD'], { cwd: work });
    expect(push.exitCode, push.stderr).toBe(0);
    const head = (await user('git', ['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    const remote = await runGit(sb, ['--git-dir', emu.bareRepoPath('PRJ', 'app'), 'rev-parse', 'HEAD']);
    expect(remote.stdout.trim()).toBe(head);
  }, 300_000);
});
