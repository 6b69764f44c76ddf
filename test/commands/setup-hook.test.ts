/**
 * `setup --hook` on git 2.54+ installs the guard as a global config-based hook; unsetup removes it
 * when the last setup that installed it is undone, and leaves one it found there.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitAtLeast } from '../helpers/git-version.js';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const A = 'https://127.0.0.1:7990/bitbucket';
const B = 'https://localhost:7991';
let sb: Sandbox;
beforeEach(() => void (sb = makeSandbox()));
afterEach(() => sb.cleanup());

const hookCommand = async () => (await runGit(sb, ['config', '--global', 'hook.bitbucket-pre-push.command'])).stdout;
const ok = async (args: string[]) => {
  const r = await runBin(sb, args);
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
};

describe.runIf(gitAtLeast(2, 54))('setup --hook and unsetup (git 2.54+)', () => {
  it('with no config file before: setup --hook then unsetup leaves no file', async () => {
    fs.rmSync(sb.env.GIT_CONFIG_GLOBAL!);
    await ok(['setup', A, '--hook']);
    expect(await hookCommand()).toContain('pre-push');
    const u = await ok(['unsetup', A]);
    expect(u.stderr).toContain('- hook.bitbucket-pre-push (the pre-push guard setup --hook installed');
    expect(fs.existsSync(sb.env.GIT_CONFIG_GLOBAL!)).toBe(false);
  });

  it('two setups with --hook: the hook goes with the last one', async () => {
    fs.writeFileSync(sb.env.GIT_CONFIG_GLOBAL!, '[user]\n\tname = Alice\n');
    const before = fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8');
    await ok(['setup', A, '--hook']);
    await ok(['setup', B, '--hook']);
    expect((await ok(['unsetup', A])).stderr).not.toContain('hook.bitbucket-pre-push');
    expect(await hookCommand()).toContain('pre-push');
    expect((await ok(['unsetup', B])).stderr).toContain('- hook.bitbucket-pre-push');
    expect(fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8')).toBe(before);
  });

  it('setup run again with a change (--cache) keeps what --hook recorded: unsetup still removes the hook', async () => {
    fs.rmSync(sb.env.GIT_CONFIG_GLOBAL!);
    await ok(['setup', A, '--hook']);
    await ok(['setup', A, '--cache']);
    expect(await hookCommand()).toContain('pre-push');
    expect((await ok(['unsetup', A])).stderr).toContain('- hook.bitbucket-pre-push');
    expect(fs.existsSync(sb.env.GIT_CONFIG_GLOBAL!)).toBe(false);
  });

  it('a hook installed before setup (hook install --global) stays', async () => {
    await ok(['hook', 'install', '--global']);
    const before = fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8');
    await ok(['setup', A, '--hook']);
    expect((await ok(['unsetup', A])).stderr).not.toContain('hook.bitbucket-pre-push');
    expect(fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8')).toBe(before);
  });
});
