/**
 * install.sh in a clean temporary prefix: a working binary on PATH, idempotent, the URL mode
 * (setup + login), and --uninstall. It runs on a copy of the checkout (sharing node_modules)
 * so that the checkout the other tests use is never rebuilt under them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
let emu: Emulator;
const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;

beforeAll(async () => {
  sb = makeSandbox();
  copy = path.join(sb.dir, 'checkout');
  prefix = path.join(sb.dir, 'prefix');
  await copyCheckout(copy);
  // the shared node_modules match the lock file: install.sh must not run npm ci over them
  fs.utimesSync(path.join(copy, 'package-lock.json'), new Date('2000-01-01'), new Date('2000-01-01'));
  emu = await startEmulator({ data: fixture });
}, 120_000);

afterAll(async () => {
  await emu?.stop();
  sb.cleanup();
});

const install = (args: string[], input = '', env: NodeJS.ProcessEnv = sb.env) =>
  execa('sh', [path.join(copy, 'install.sh'), ...args], {
    env,
    extendEnv: false,
    input,
    reject: false,
    cwd: sb.dir,
    timeout: 240_000,
  });

describe('install.sh', () => {
  it('puts a working binary on PATH in a clean prefix, and is idempotent', async () => {
    const r = await install(['--prefix', prefix]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(
      `Installed git-credential-bitbucket 0.1.0 at ${prefix}/bin/git-credential-bitbucket`,
    );
    expect(String(r.stdout)).toMatch(/is not on your PATH/);
    const env = { ...sb.env, PATH: `${prefix}/bin${path.delimiter}${sb.env.PATH}` };
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
    const again = await install(['--prefix', prefix]);
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(String(again.stdout)).not.toContain('Installing dependencies');
    expect((await execa('git', ['credential-bitbucket', '--version'], { env, extendEnv: false })).stdout.trim()).toBe(
      '0.1.0',
    );
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

  it('fails with a clear message when git is missing or Node is too old', async () => {
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
  });
});
