/**
 * install.sh --uninstall and the config-based hooks: it reads a `hook.<name>.command` as
 * commandFile (src/git/config-hook-command.ts) does, so it takes out exactly the hooks that run the program it
 * removes, whatever the paths hold. The commands here are the program's own (configHookCommand,
 * shQuote), so a change of their form on one side fails this test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { commandFile, configHookCommand } from '../src/git/config-hook-command.js';
import { readTemplate, renderHook, shQuote } from '../src/git/hooks.js';
import { HELPER_LINE_PREFIX } from '../src/prepush/remote-config.js';
import { makeSandbox, ROOT, runGit } from './helpers/sandbox.js';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

describe('install.sh --uninstall with config-based hooks', () => {
  it('removes the hooks that run the program, by the file each runs, with an apostrophe, a space and a $ in the paths', async () => {
    const odd = path.join(sb.dir, "o'brien z$x");
    const prefix = path.join(odd, 'prefix');
    const dataDir = path.join(odd, 'data');
    const otherDir = path.join(sb.dir, 'other');
    fs.mkdirSync(prefix, { recursive: true });
    fs.mkdirSync(otherDir, { recursive: true });
    // nothing installed: install.sh takes the package directory npm would use under the prefix
    const ours = path.join(fs.realpathSync(prefix), 'lib', 'node_modules', 'git-credential-bitbucket', 'bin');
    const oursBin = path.join(ours, 'git-credential-bitbucket.cjs');
    const otherBin = path.join(otherDir, 'bin', 'git-credential-bitbucket.cjs');
    // the script hook install --global writes into the data directory, and another installation's
    const shim = path.join(dataDir, 'hooks', 'pre-push');
    const otherShim = path.join(otherDir, 'pre-push');
    fs.mkdirSync(path.dirname(shim), { recursive: true });
    const script = (bin: string) => renderHook(readTemplate(), { node: process.execPath, bin }, 'config');
    fs.writeFileSync(shim, script(oursBin), { mode: 0o755 });
    fs.writeFileSync(otherShim, script(otherBin), { mode: 0o755 });
    const gone = path.join(odd, 'gone', 'pre-push');

    const hooks: Record<string, { command: string; runsOurs: boolean }> = {
      // set by another installation, then the shim rewritten by this one (hook install --config)
      'set-elsewhere': { command: configHookCommand(shim, otherBin), runsOurs: true },
      // what older versions wrote: the script's path, quoted
      'plain-quoted': { command: shQuote(shim), runsOurs: true },
      // set by this one, the shim since rewritten by another installation that stays
      'runs-other': { command: configHookCommand(otherShim, oursBin), runsOurs: false },
      // the script is gone: the command only reports that, naming the program that set it
      'gone-ours': { command: configHookCommand(gone, oursBin), runsOurs: true },
      'gone-other': { command: configHookCommand(gone, otherBin), runsOurs: false },
      // git runs a command with a space through sh: not one file's path
      'plain-unquoted': { command: shim, runsOurs: false },
    };
    for (const [name, h] of Object.entries(hooks)) {
      const file = commandFile(h.command)?.file;
      expect(file === shim || file === otherShim || file === gone, name).toBe(name !== 'plain-unquoted');
      await runGit(sb, ['config', '--global', `hook.${name}.command`, h.command]);
      await runGit(sb, ['config', '--global', `hook.${name}.event`, 'pre-push']);
    }

    const u = await execa('sh', [path.join(ROOT, 'install.sh'), '--uninstall', '--prefix', prefix], {
      env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_DIR: dataDir },
      extendEnv: false,
      reject: false,
      cwd: sb.dir,
    });
    expect(u.exitCode, String(u.stderr)).toBe(0);
    const left = (await runGit(sb, ['config', '--global', '--get-regexp', '^hook\\..*\\.command$'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ', 1)[0]);
    expect(left.sort()).toEqual(
      Object.keys(hooks)
        .filter((n) => !hooks[n]!.runsOurs)
        .map((n) => `hook.${n}.command`)
        .sort(),
    );
    for (const [name, h] of Object.entries(hooks))
      expect(String(u.stdout).includes(`config-based hook hook.${name} (runs ${h.command})`), name).toBe(h.runsOurs);
  }, 60_000);

  // git config --show-origin C-quotes such a path: file:"/home/j\303\274rgen/.gitconfig"
  it('removes the lines and hooks of a global config whose path has a letter outside ASCII, a quote and a backslash', async () => {
    const dir = path.join(sb.dir, 'jürgen "q" b\\s');
    const prefix = path.join(dir, 'prefix');
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(prefix, { recursive: true });
    const global = path.join(dir, '.gitconfig');
    fs.writeFileSync(global, '');
    const env = { ...sb.env, GIT_CONFIG_GLOBAL: global, GIT_CREDENTIAL_BITBUCKET_DIR: dataDir };
    const git = (args: string[]) => execa('git', args, { env, extendEnv: false, reject: false, cwd: sb.dir });
    const pkg = path.join(fs.realpathSync(prefix), 'lib', 'node_modules', 'git-credential-bitbucket');
    const url = 'https://quoted.example.com';
    const key = `credential.${url}.helper`;
    // as setup writes them, with its record: the reset goes too
    await git(['config', '--global', '--add', key, '']);
    await git([
      'config',
      '--global',
      '--add',
      key,
      `${HELPER_LINE_PREFIX}${shQuote(`${pkg}/bin/git-credential-bitbucket.sh`)}`,
    ]);
    fs.mkdirSync(dataDir, { recursive: true });
    const records = { setups: { [`${global}|${url}`]: { addedReset: true, addedUseHttpPath: false } } };
    fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(records));
    const hook = configHookCommand(
      path.join(dataDir, 'hooks', 'pre-push'),
      path.join(pkg, 'bin', 'git-credential-bitbucket.cjs'),
    );
    await git(['config', '--global', 'hook.bitbucket-pre-push.command', hook]);
    expect((await git(['config', '--show-origin', '--get-all', key])).stdout).toContain('file:"');

    const u = await execa('sh', [path.join(ROOT, 'install.sh'), '--uninstall', '--prefix', prefix], {
      env,
      extendEnv: false,
      reject: false,
      cwd: sb.dir,
    });
    expect(u.exitCode, String(u.stderr)).toBe(0);
    expect(String(u.stdout)).toContain(`, and the empty reset setup put before it (${global})\n`);
    expect(String(u.stdout)).toContain(`config-based hook hook.bitbucket-pre-push (runs ${hook}) (${global})\n`);
    expect(fs.readFileSync(global, 'utf8')).not.toMatch(/helper|hook/);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'settings.json'), 'utf8'))).toEqual({ setups: {} });
  }, 60_000);
});
