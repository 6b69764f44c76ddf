/**
 * `hook install` and `hook uninstall` where the hooks directory is not an ordinary one: turned off
 * by `core.hooksPath=/dev/null`, a directory named pre-push, a pre-push link to nothing, a
 * read-only repository. Each says what is in the way in one line (never an errno), and changes
 * nothing it cannot put back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHAINED_NAME, CONFIG_HOOK_NAME } from '../../src/git/hooks.js';
import { gitAtLeast } from '../helpers/git-version.js';
import { makeSandbox, runBin, runGit, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { isRoot } from '../hardening/util.js';

let sb: Sandbox;
let repo: string;
const git = (...args: string[]) => runGit(sb, args, '', { cwd: repo });
const hook = (...args: string[]) => runBin(sb, ['hook', ...args], '', { cwd: repo });
const hooks = () => path.join(repo, '.git', 'hooks');
const prePush = () => path.join(hooks(), 'pre-push');
const chained = () => path.join(hooks(), CHAINED_NAME);

/** One line on stderr, no errno code, the exit code given. */
function expectOneLine(r: RunResult, exitCode: number, pattern: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(exitCode);
  expect(r.stderr).toMatch(/^[^\n]+$/);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\bE[A-Z]{3,}\b/);
}

beforeEach(async () => {
  sb = makeSandbox();
  repo = path.join(sb.dir, 'repo');
  await runGit(sb, ['init', '-q', repo]);
});
afterEach(() => sb.cleanup());

describe('hook install and uninstall where hooks cannot go', () => {
  it('core.hooksPath=/dev/null: hooks are turned off here, said so (with --config/--global where git has them)', async () => {
    await git('config', 'core.hooksPath', '/dev/null');
    const r = await hook('install');
    expectOneLine(
      r,
      1,
      /^git-credential-bitbucket: hooks are turned off here: the hooks directory git uses, \/dev\/null, is not a directory \(core\.hooksPath\); nothing installed/,
    );
    if (gitAtLeast(2, 54)) expect(r.stderr).toContain('hook install --config (this repository) or --global');
    else expect(r.stderr).not.toContain('--config');
    expectOneLine(await hook('uninstall'), 0, /^No pre-push hook in \/dev\/null; nothing to do\.$/);
  });

  it('uninstall --global and --config with no config-based hook of the guard say there was none', async () => {
    expectOneLine(
      await hook('uninstall', '--global'),
      0,
      /^No config-based pre-push hook of the guard \(global\); nothing to do\.$/,
    );
    expectOneLine(
      await hook('uninstall', '--config'),
      0,
      /^No config-based pre-push hook of the guard \(local\); nothing to do\.$/,
    );
    // one that is there is removed, and said so
    await git('config', '--global', `hook.${CONFIG_HOOK_NAME}.command`, 'true');
    await git('config', '--global', `hook.${CONFIG_HOOK_NAME}.event`, 'pre-push');
    expectOneLine(await hook('uninstall', '--global'), 0, /^Removed the config-based pre-push hook \(global\)\.$/);
    expect((await git('config', '--global', '--get-regexp', '^hook\\.')).stdout).toBe('');
  });

  it('a directory named pre-push: refused in one line, left as it is', async () => {
    fs.mkdirSync(prePush());
    fs.writeFileSync(path.join(prePush(), 'inside'), 'x');
    expectOneLine(await hook('install'), 1, /pre-push is not a file: move it away and run again$/);
    expectOneLine(await hook('uninstall'), 1, /pre-push is not the git-credential-bitbucket hook; left as it is$/);
    expect(fs.readFileSync(path.join(prePush(), 'inside'), 'utf8')).toBe('x');
    expect(fs.existsSync(chained())).toBe(false);
  });

  it('a pre-push link to nothing is chained, said so, and put back by uninstall', async () => {
    fs.symlinkSync('../../tools/pre-push', prePush());
    const r = await hook('install');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `(your previous hook, a link to ../../tools/pre-push, which does not exist, is kept as ${chained()} and runs once it does)`,
    );
    expect(fs.readlinkSync(chained())).toBe('../../tools/pre-push');
    expect(fs.readFileSync(prePush(), 'utf8')).toContain('# git-credential-bitbucket pre-push guard');
    // once the file is there, the chained link runs
    fs.mkdirSync(path.join(repo, 'tools'));
    const marker = path.join(sb.dir, 'ran');
    fs.writeFileSync(path.join(repo, 'tools', 'pre-push'), `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    await runGit(sb, ['init', '-q', '--bare', path.join(sb.dir, 'bare.git')]);
    await git('remote', 'add', 'origin', path.join(sb.dir, 'bare.git'));
    await git('-c', 'user.name=A', '-c', 'user.email=a@example.invalid', 'commit', '-q', '--allow-empty', '-m', 'x');
    expect((await git('push', '-q', 'origin', 'HEAD:refs/heads/main')).exitCode).toBe(0);
    expect(fs.existsSync(marker)).toBe(true);
    fs.rmSync(path.join(repo, 'tools'), { recursive: true });
    const u = await hook('uninstall');
    expect(u.exitCode, u.stderr).toBe(0);
    expect(fs.readlinkSync(prePush())).toBe('../../tools/pre-push');
    expect(fs.existsSync(chained())).toBe(false);
  });
});

/**
 * Makes `dir` read-only for `fn`: as root (whom modes do not stop) a read-only tmpfs mount, when
 * this machine allows one; otherwise mode 0555. Returns false when neither can be had.
 */
async function readOnly(dir: string, fn: () => Promise<void>): Promise<boolean> {
  if (!isRoot()) {
    fs.chmodSync(dir, 0o555);
    try {
      await fn();
    } finally {
      fs.chmodSync(dir, 0o755);
    }
    return true;
  }
  const copy = `${dir}.copy`;
  fs.cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return false;
  }
  try {
    fs.cpSync(copy, dir, { recursive: true, verbatimSymlinks: true });
    execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' });
    await fn();
  } finally {
    execFileSync('umount', [dir], { stdio: 'ignore' });
  }
  return true;
}

describe('a read-only repository', () => {
  it('install and uninstall say in one line that they cannot write, and change nothing', async (ctx) => {
    const HOOK = '#!/bin/sh\nexit 0\n';
    fs.writeFileSync(prePush(), HOOK, { mode: 0o755 });
    const failsOnce = async (): Promise<void> => {
      expectOneLine(
        await hook('install'),
        1,
        /^git-credential-bitbucket: cannot write to \S+hooks: (it is on a read-only file system|permission denied); nothing installed$/,
      );
      expect(fs.readFileSync(prePush(), 'utf8')).toBe(HOOK);
      expect(fs.existsSync(chained())).toBe(false);
    };
    if (!(await readOnly(hooks(), failsOnce)))
      ctx.skip('as root, a read-only mount is needed, and none can be made here');
    expect((await hook('install')).exitCode).toBe(0);
    const ours = fs.readFileSync(prePush(), 'utf8');
    await readOnly(hooks(), async () => {
      expectOneLine(
        await hook('uninstall'),
        1,
        /^git-credential-bitbucket: cannot write to \S+hooks: (it is on a read-only file system|permission denied); the hook is left as it is$/,
      );
      expect(fs.readFileSync(prePush(), 'utf8')).toBe(ours);
      expect(fs.readFileSync(chained(), 'utf8')).toBe(HOOK);
    });
  });
});
