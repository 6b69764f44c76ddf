/**
 * A setup stopped half-way (another git holding the config lock, a signal) must not leave a lone
 * empty reset that turns off the user's own helpers for the host: the next setup finishes its
 * block on that reset, and unsetup removes it. Real git, wrapped to stop setup at a chosen step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, describe as desc, makeSandbox, parsePairs, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const URL_ = 'https://bb.example.com';
const KEY = `credential.${URL_}.helper`;
const OURS = /^!f\(\) \{ \. "\$1"; \}; f .*git-credential-bitbucket\.sh/;
const USERS = '[credential]\n\thelper = store\n';
let sb: Sandbox;
let gitconfig: string;
beforeEach(() => {
  sb = makeSandbox();
  gitconfig = sb.env.GIT_CONFIG_GLOBAL!;
  fs.writeFileSync(path.join(sb.home, '.git-credentials'), 'https://alice:users-own-pw@bb.example.com\n', {
    mode: 0o600,
  });
});
afterEach(() => sb.cleanup());

const read = () => fs.readFileSync(gitconfig, 'utf8');
const helpers = async () =>
  (await runGit(sb, ['config', '--global', '--null', '--get-all', KEY])).stdout.split('\0').slice(0, -1);

/**
 * A PATH whose git runs `act` (sh) before the real git when it is asked to add a value
 * matching the shell `pattern` (`!f()*` for this helper's line, '' for the reset).
 */
function wrappedGit(pattern: string, act: string): NodeJS.ProcessEnv {
  const real = (sb.env.PATH ?? '').split(path.delimiter).find((d) => fs.existsSync(path.join(d, 'git')));
  const bin = path.join(sb.dir, 'wrapped-git');
  fs.mkdirSync(bin, { recursive: true });
  const script = [
    '#!/bin/sh',
    'for last in "$@"; do :; done',
    `case " $* " in *" --add "*) case "$last" in ${pattern}) ${act};; esac;; esac`,
    `exec "${real!}/git" "$@"`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(bin, 'git'), script, { mode: 0o755 });
  return { ...sb.env, PATH: `${bin}${path.delimiter}${sb.env.PATH}` };
}

/** What `git credential fill` gets for the host: the user's own `store` must answer once setup is undone. */
async function filledPassword(): Promise<string | undefined> {
  const r = await runGit(sb, ['credential', 'fill'], desc({ protocol: 'https', host: 'bb.example.com' }));
  return new Map(parsePairs(r.stdout)).get('password');
}

describe('a setup stopped half-way', () => {
  it.each([
    ['', []],
    [' --cache', ['--cache']],
  ])(
    'after its reset%s (the config locked by another git): setup again finishes it, unsetup removes it all',
    async (_n, extra) => {
      fs.writeFileSync(gitconfig, USERS);
      const locked = wrappedGit('"!f()"*', `: > "${gitconfig}.lock"`);
      const first = await runBin(sb, ['setup', URL_, ...extra], '', { env: locked });
      expect(first.exitCode).toBe(1);
      expect(first.stderr).toContain('before the error');
      expect(first.stderr).toContain(`+ ${KEY} = ""`);
      expect(first.stderr).toMatch(/could not lock config file/);
      fs.rmSync(`${gitconfig}.lock`);
      const cache = extra.length > 0 ? ['cache --timeout=900'] : [];
      expect(await helpers()).toEqual(['', ...cache]);

      const again = await runBin(sb, ['setup', URL_, ...extra]);
      expect(again.exitCode, again.stderr).toBe(0);
      const values = await helpers();
      expect(values.slice(0, -1)).toEqual(['', ...cache]); // the one reset, not a second block
      expect(values.at(-1)).toMatch(OURS);

      const undo = await runBin(sb, ['unsetup', URL_]);
      expect(undo.exitCode, undo.stderr).toBe(0);
      expect(read()).toBe(USERS);
      expect(await filledPassword()).toBe('users-own-pw');
    },
  );

  it('unsetup alone removes the lone reset it left', async () => {
    fs.writeFileSync(gitconfig, USERS);
    const locked = wrappedGit('"!f()"*', `: > "${gitconfig}.lock"`);
    expect((await runBin(sb, ['setup', URL_], '', { env: locked })).exitCode).toBe(1);
    fs.rmSync(`${gitconfig}.lock`);
    const undo = await runBin(sb, ['unsetup', URL_]);
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(undo.stderr).toContain(`- ${KEY} = "" (the reset of a setup stopped half-way)`);
    expect(read()).toBe(USERS);
    expect(await filledPassword()).toBe('users-own-pw');
  });

  it('a lone reset in a section of its own with no setup record is the user’s: setup adds its block after it, unsetup keeps it', async () => {
    // a user who turns git's helpers off for a host writes exactly what a setup stopped half-way
    // by an earlier version (which wrote no record first) left: only the record tells them apart
    const before = `${USERS}[credential "${URL_}"]\n\thelper = \n`;
    fs.writeFileSync(gitconfig, before);
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    const values = await helpers();
    expect(values).toHaveLength(3);
    expect(values.slice(0, 2)).toEqual(['', '']);
    const undo = await runBin(sb, ['unsetup', URL_]);
    expect(undo.exitCode, undo.stderr).toBe(0);
    expect(read()).toBe(before);
  });

  it('a reset of the user after other values of the section stays the user’s', async () => {
    const before = `[credential "${URL_}"]\n\tusername = alice\n\thelper = \n`;
    fs.writeFileSync(gitconfig, before);
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    expect((await helpers()).slice(0, 2)).toEqual(['', '']);
    expect((await runBin(sb, ['unsetup', URL_])).exitCode).toBe(0);
    expect(read()).toBe(before);
  });

  it('a SIGTERM while the steps run waits for them: the block is whole, then the process ends by it', async () => {
    fs.writeFileSync(gitconfig, USERS);
    const term = wrappedGit("''", 'kill -TERM $PPID');
    const r = await execa(process.execPath, [BIN, 'setup', URL_], {
      env: term,
      extendEnv: false,
      reject: false,
      cwd: sb.dir,
    });
    expect(r.signal, String(r.stderr)).toBe('SIGTERM');
    const values = await helpers();
    expect(values[0]).toBe('');
    expect(values[1]).toMatch(OURS);
    expect(values).toHaveLength(2);
  });
});
