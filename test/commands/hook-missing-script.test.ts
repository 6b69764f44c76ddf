/**
 * The config-based hook (git 2.54+) names a script in the data directory. When that script is
 * gone (data directory wiped, a ~/.gitconfig copied to another machine) a push must still go
 * through, saying so in one line, and doctor must say that the guard does not run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandFile, configHookCommand } from '../../src/git/config-hook-command.js';
import { CONFIG_HOOK_NAME } from '../../src/git/hooks.js';
import { gitAtLeast } from '../helpers/git-version.js';
import { BIN, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

describe('configHookCommand and commandFile', () => {
  const paths = ['/data/hooks/pre-push', "/it's here/pre push", '/a/$HOME/`x`/"q"/\\/pre-push', '/a;b|c&d/pre-push'];

  it.each(paths)('reads back the file of the command it writes: %s', (file) => {
    expect(commandFile(configHookCommand(file, `${file}/bin`))).toEqual({ file, form: 'tolerant' });
  });

  it('reads the single-file commands of older versions', () => {
    expect(commandFile("'/data/hooks/pre-push'")).toEqual({ file: '/data/hooks/pre-push', form: 'plain' });
    expect(commandFile("'/it'\\''s/pre-push'")).toEqual({ file: "/it's/pre-push", form: 'plain' });
    expect(commandFile('/data/hooks/pre-push')).toEqual({ file: '/data/hooks/pre-push', form: 'plain' });
  });

  it('knows no other command', () => {
    const ours = configHookCommand('/data/hooks/pre-push', "/usr/lib/it's/bin/git-credential-bitbucket.cjs");
    for (const other of [
      `${ours} extra`,
      ours.replace('>&2', ''),
      ours.replace("it'\\''s", "it's"),
      ours.replace("'/data/hooks/pre-push'", "'hooks/pre-push'"),
      'relative/pre-push',
      '/with space/pre-push',
      "'/data/hooks/pre-push' --flag",
      "gcb() { h='/x'; }; gcb",
    ])
      expect(commandFile(other)).toBeUndefined();
  });

  it("runs the file with git's arguments and input, whatever its path; without it, says so and exits 0", () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'gcb-cmd-'));
    try {
      const file = path.join(dir, "it's a $dir", 'pre-push');
      fs.mkdirSync(path.dirname(file));
      fs.writeFileSync(file, '#!/bin/sh\necho "args: $# $1 $2"\ncat\nexit 7\n', { mode: 0o755 });
      // as git runs a command with spaces: sh -c '<command> "$@"' '<command>' <args> (run-command.c)
      const command = configHookCommand(file, '/opt/gcb/bin/git-credential-bitbucket.cjs');
      const sh = (input: string) => {
        const r = spawnSync('sh', ['-c', `${command} "$@"`, command, 'origin', 'https://h/x y.git'], {
          input,
          encoding: 'utf8',
        });
        return { out: r.stdout, err: r.stderr, status: r.status };
      };
      expect(sh('refs a b c\n')).toEqual({ out: 'args: 2 origin https://h/x y.git\nrefs a b c\n', err: '', status: 7 });
      fs.rmSync(file);
      const gone = sh('refs a b c\n');
      expect(gone.status).toBe(0);
      expect(gone.err).toBe(
        `git-credential-bitbucket: ${file} is missing or not executable; pre-push check skipped (hook set by /opt/gcb/bin/git-credential-bitbucket.cjs; see: git credential-bitbucket doctor)\n`,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(gitAtLeast(2, 54))('a global config-based hook whose script is gone (git 2.54+)', () => {
  let sb: Sandbox;
  let repo: string;
  let shim: string;
  let pushes = 0;
  const git = (...args: string[]) => runGit(sb, args, '', { cwd: repo });
  const push = () => git('push', '-q', 'origin', `HEAD:refs/heads/b${++pushes}`);
  const hookFindings = async () => {
    const r = await runBin(sb, ['doctor', 'http://127.0.0.1:9', '--json', '--timeout', '1'], '', { cwd: repo });
    const all = JSON.parse(r.stdout).findings as Array<{ id: string; level: string; title: string; fix?: string }>;
    return { exitCode: r.exitCode, hook: all.filter((f) => f.id.startsWith('hook')) };
  };

  beforeEach(async () => {
    sb = makeSandbox();
    repo = path.join(sb.dir, 'repo');
    shim = path.join(sb.dataDir, 'hooks', 'pre-push');
    await runGit(sb, ['init', '-q', '--bare', path.join(sb.dir, 'bare.git')]);
    await runGit(sb, ['init', '-q', repo]);
    await git('-c', 'user.name=A', '-c', 'user.email=a@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'x');
    await git('remote', 'add', 'origin', path.join(sb.dir, 'bare.git'));
    const r = await runBin(sb, ['hook', 'install', '--global']);
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterEach(() => sb.cleanup());

  it('a push goes through with one line, doctor says ✗ with the fix, and hook install --global puts it back', async () => {
    fs.rmSync(path.join(sb.dataDir, 'hooks'), { recursive: true });
    const r = await push();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `git-credential-bitbucket: ${shim} is missing or not executable; pre-push check skipped`,
    );
    const d = await hookFindings();
    expect(d.exitCode).toBe(1);
    expect(d.hook).toEqual([
      {
        id: 'hook',
        level: 'error',
        title: `config-based hook hook.${CONFIG_HOOK_NAME} (global) runs ${shim}, which is missing or not executable: no push is checked`,
        fix: 'git credential-bitbucket hook install --global',
      },
    ]);
    expect((await runBin(sb, ['hook', 'install', '--global'])).exitCode).toBe(0);
    expect(fs.existsSync(shim)).toBe(true);
    expect((await hookFindings()).hook.map((f) => f.level)).toEqual(['ok']);
  });

  it('a script that is not executable: doctor says so too', async () => {
    fs.chmodSync(shim, 0o644);
    expect((await push()).exitCode).toBe(0);
    expect((await hookFindings()).hook[0]).toMatchObject({
      level: 'error',
      fix: 'git credential-bitbucket hook install --global',
    });
  });

  it('the command of older versions: recognised, reported, upgraded by hook install --global and removed by uninstall', async () => {
    const old = `'${shim}'`;
    await git('config', '--global', `hook.${CONFIG_HOOK_NAME}.command`, old);
    let d = await hookFindings();
    expect(d.hook.map((f) => [f.id, f.level])).toEqual([
      ['hook', 'ok'],
      ['hook-outdated', 'info'],
    ]);
    expect(d.hook[1]!.fix).toBe('git credential-bitbucket hook install --global');
    fs.renameSync(shim, `${shim}.aside`);
    expect((await push()).exitCode).not.toBe(0); // what git does with it: why it is upgraded
    d = await hookFindings();
    expect(d.hook).toHaveLength(1);
    expect(d.hook[0]!.title).toContain('which is missing or not executable: git fails every push it runs for');
    fs.renameSync(`${shim}.aside`, shim);
    expect((await runBin(sb, ['hook', 'install', '--global'])).exitCode).toBe(0);
    const now = await git('config', '--global', '--get-all', `hook.${CONFIG_HOOK_NAME}.command`);
    expect(now.stdout.trim()).toBe(configHookCommand(shim, fs.realpathSync(BIN)));
    expect((await runBin(sb, ['hook', 'uninstall', '--global'])).exitCode).toBe(0);
    expect((await git('config', '--global', '--get-regexp', '^hook\\.')).stdout).toBe('');
  });
});
