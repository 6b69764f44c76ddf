/** Every command answers --help; completion prints a script; usage errors are one clear line. */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
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

  it.each(['get', 'store', 'erase'])('%s --help explains the operation without reading stdin', async (op) => {
    const r = await runBin(sb, [op, '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`git-credential-bitbucket ${op}`);
    expect(r.stdout).toMatch(/git runs this itself/);
  });

  // git's bash completion (shipped with git) calls _git_credential_bitbucket for `git credential-bitbucket`
  const gitCompletion = ['/usr/share/bash-completion/completions/git', '/etc/bash_completion.d/git'].find((f) =>
    fs.existsSync(f),
  );
  it.runIf(gitCompletion)(
    'completes both spellings: git-credential-bitbucket and git credential-bitbucket',
    async () => {
      const script = path.join(sb.dir, 'completion.sh');
      fs.writeFileSync(script, (await runBin(sb, ['completion'])).stdout);
      const probe = `
. '${gitCompletion}'
. '${script}'
show() { printf '%s|' "\${COMPREPLY[@]}"; echo; }
COMP_WORDS=(git credential-bitbucket lo); COMP_CWORD=2; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
__git_wrap__git_main; show
COMP_WORDS=(git credential-bitbucket login --token-s); COMP_CWORD=3; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
__git_wrap__git_main; show
COMP_WORDS=(git-credential-bitbucket hook un); COMP_CWORD=2; _git_credential_bitbucket_complete; show
`;
      const r = await execa('bash', ['-c', probe], { env: { ...sb.env, PATH: '/usr/bin:/bin' }, reject: false });
      expect(r.stdout.split('\n')).toEqual(['login|logout|', '--token-stdin|', 'uninstall|']);
    },
  );

  it('a wrong option is a one-line usage error with exit 2, no stack trace', async () => {
    const r = await runBin(sb, ['status', '--no-such-option']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^git-credential-bitbucket: unknown argument/);
    expect(r.stderr).not.toMatch(/\bat .*\.(c?m?js):\d+/);
  });
});
