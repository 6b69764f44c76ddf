/** Every command answers --help; completion prints a script; usage errors are one clear line. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
beforeAll(() => {
  sb = makeSandbox();
});
afterAll(() => sb.cleanup());

describe('the command line', () => {
  it.each([
    'login',
    'logout',
    'status',
    'list',
    'setup',
    'unsetup',
    'doctor',
    'check',
    'hook',
    'hook install',
    'hook uninstall',
  ])('%s --help', async (cmd) => {
    const r = await runBin(sb, [...cmd.split(' '), '--help']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`git-credential-bitbucket ${cmd}`);
    expect(r.stdout).toMatch(/Options:/);
  });

  it('lists the commands in the top-level help', async () => {
    const r = await runBin(sb, ['--help']);
    for (const c of ['login', 'logout', 'status', 'list', 'setup', 'unsetup', 'doctor', 'check', 'hook', 'completion'])
      expect(r.stdout).toContain(` ${c}`);
  });

  it('prints a shell completion script', async () => {
    const r = await runBin(sb, ['completion']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('git-credential-bitbucket');
    expect(r.stdout).toMatch(/complete -o/);
  });

  it('a wrong option is a one-line usage error with exit 2, no stack trace', async () => {
    const r = await runBin(sb, ['status', '--no-such-option']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^git-credential-bitbucket: Unknown argument/);
    expect(r.stderr).not.toMatch(/\bat .*\.(c?m?js):\d+/);
  });
});
