/**
 * setup/unsetup touch only their own lines of `credential.<url>.helper`: the user's values keep
 * their place, comments and spelling, a helper the user added after setup's is not buried
 * behind a new reset, and a failure half-way loses nothing of the user's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const URL_ = 'https://bb.example.com';
const KEY = `credential.${URL_}.helper`;
let sb: Sandbox;
let gitconfig: string;
beforeEach(() => void ({ sandbox: sb, file: gitconfig } = sandboxWithConfig()));
afterEach(() => sb.cleanup());

function sandboxWithConfig(): { sandbox: Sandbox; file: string } {
  const sandbox = makeSandbox();
  return { sandbox, file: sandbox.env.GIT_CONFIG_GLOBAL! };
}
const read = () => fs.readFileSync(gitconfig, 'utf8');
const helpers = async () => {
  const r = await runGit(sb, ['config', '--global', '--null', '--get-all', KEY]);
  return r.stdout.split('\0').slice(0, -1);
};
const OURS = /^!f\(\) \{ \. "\$1"; \}; f .*git-credential-bitbucket\.sh/;

describe('setup and unsetup change only their own lines', () => {
  it('a round trip keeps a comment and the order of the user section (byte-identical)', async () => {
    fs.writeFileSync(
      gitconfig,
      `[credential "${URL_}"]\n\thelper = manager   ; corp SSO, ticket IT-1234\n\tusername = alice\n`,
    );
    const before = read();
    const s = await runBin(sb, ['setup', URL_]);
    expect(s.exitCode, s.stderr).toBe(0);
    expect(read()).toContain('helper = manager   ; corp SSO, ticket IT-1234\n\tusername = alice\n');
    const u = await runBin(sb, ['unsetup', URL_]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(u.stderr).toContain(`- ${KEY} = "" (the reset setup wrote)`);
    expect(read()).toBe(before);
  });

  it("a helper the user adds after setup's is a conflict: reported, exit 1, nothing changed", async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await runGit(sb, ['config', '--global', '--add', KEY, 'mytool --foo']);
    const before = read();
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`has 'mytool --foo' after this helper`);
    expect(r.stderr).toContain(`git config --global --fixed-value --unset-all '${KEY}' 'mytool --foo'`);
    expect(r.stderr).not.toContain('older invocation');
    expect(read()).toBe(before);
    // unsetup still removes setup's lines, and only those
    expect((await runBin(sb, ['unsetup', URL_])).exitCode).toBe(0);
    expect(await helpers()).toEqual(['mytool --foo']);
  });

  it('a cache time changed by hand is still setup’s line: kept by setup, removed by unsetup', async () => {
    fs.writeFileSync(gitconfig, '[user]\n\tname = Alice\n');
    const before = read();
    expect((await runBin(sb, ['setup', URL_, '--cache'])).exitCode).toBe(0);
    await runGit(sb, [
      'config',
      '--global',
      '--fixed-value',
      '--replace-all',
      KEY,
      'cache --timeout=3600',
      'cache --timeout=900',
    ]);
    const edited = read();
    const again = await runBin(sb, ['setup', URL_]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing changed/);
    expect(read()).toBe(edited);
    const u = await runBin(sb, ['unsetup', URL_]);
    expect(u.stderr).toContain('cache --timeout=3600');
    expect(read()).toBe(before);
  });

  it('the lines are recognised without the data directory: setup --cache twice, then unsetup', async () => {
    fs.writeFileSync(gitconfig, '[user]\n\tname = Alice\n');
    const before = read();
    expect((await runBin(sb, ['setup', URL_, '--cache'])).exitCode).toBe(0);
    fs.rmSync(sb.dataDir, { recursive: true, force: true });
    const again = await runBin(sb, ['setup', URL_, '--cache']);
    expect(again.stderr).toMatch(/nothing changed/);
    expect((await helpers()).slice(0, 2)).toEqual(['', 'cache --timeout=900']);
    expect(await helpers()).toHaveLength(3);
    fs.rmSync(sb.dataDir, { recursive: true, force: true });
    expect((await runBin(sb, ['unsetup', URL_])).exitCode).toBe(0);
    expect(read()).toBe(before);
  });

  it("the user's own reset and identical cache line before setup's stay (git config cannot single them out)", async () => {
    fs.writeFileSync(
      gitconfig,
      `[credential "${URL_}"]\n\thelper =\n\thelper = cache --timeout=900\n\thelper = manager\n[user]\n\tname = Alice\n`,
    );
    const before = read();
    const s = await runBin(sb, ['setup', URL_, '--cache']);
    expect(s.exitCode, s.stderr).toBe(0);
    const values = await helpers();
    expect(values.slice(0, 6)).toEqual(['', 'cache --timeout=900', 'manager', '', 'cache --timeout=900', values[5]]);
    expect(values[5]).toMatch(OURS);
    // a newer cache time replaces setup's cache line, not the user's
    expect((await runBin(sb, ['setup', URL_, '--cache=60'])).exitCode).toBe(0);
    expect((await helpers()).slice(0, 5)).toEqual(['', 'cache --timeout=900', 'manager', '', 'cache --timeout=60']);
    expect((await runBin(sb, ['setup', URL_, '--cache=900'])).exitCode).toBe(0);
    const u = await runBin(sb, ['unsetup', URL_]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(read()).toBe(before);
  });

  it("a failure half-way (git's lock taken by another git) keeps the user's helper; a second run finishes", async () => {
    fs.writeFileSync(gitconfig, `[credential "${URL_}"]\n\thelper = manager --corp\n`);
    const before = read();
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    // a git that, once it has removed a line, leaves the config locked as a concurrent git would
    const real = (sb.env.PATH ?? '').split(path.delimiter).find((d) => fs.existsSync(path.join(d, 'git')));
    const bin = path.join(sb.dir, 'wrapped-git');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\n"${real!}/git" "$@"; rc=$?\ncase " $* " in *" --unset "*) : > "${gitconfig}.lock";; esac\nexit $rc\n`,
      { mode: 0o755 },
    );
    const u = await runBin(sb, ['unsetup', URL_], '', { env: { ...sb.env, PATH: `${bin}:${sb.env.PATH}` } });
    expect(u.exitCode).toBe(1);
    expect(u.stderr).toMatch(/could not lock config file/);
    expect(u.stderr).toContain('before the error');
    expect(await helpers()).toContain('manager --corp');
    fs.rmSync(`${gitconfig}.lock`);
    const again = await runBin(sb, ['unsetup', URL_]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(read()).toBe(before);
  });
});
