/**
 * The two paths the helper line names (the sh front and Node), through real git: a Node upgrade
 * that removes the versioned directory setup named, a package that is gone, and setup run from
 * npx's cache. setup names a link that survives the upgrade; the front falls back to `node` on
 * PATH with one line; doctor and check report what is gone, and setup writes the line again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { setupRun } from '../../src/commands/setup.js';
import { brokenHelperPaths, helperPaths, stableNode } from '../../src/commands/shared/invocation.js';
import { isOurHelper } from '../../src/prepush/remote-config.js';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN, ROOT, runGit } from '../helpers/sandbox.js';
import { recordingIO } from '../prepush/helpers.js';

const f = useEmulatorSandbox();
const FRONT = fs.realpathSync(path.join(ROOT, 'bin/git-credential-bitbucket.sh'));
const repo = () => `${f.emu.baseUrl}/scm/prj/app.git`;
const helperKey = () => `credential.${f.emu.baseUrl}.helper`;
const ours = /^git-credential-bitbucket: /;

/** A Node binary at `dir/bin/node` (a hard link of this one where the file system allows). */
function nodeAt(dir: string): string {
  const node = path.join(dir, 'bin', 'node');
  fs.mkdirSync(path.dirname(node), { recursive: true });
  try {
    fs.linkSync(process.execPath, node);
  } catch {
    fs.copyFileSync(process.execPath, node);
    fs.chmodSync(node, 0o755);
  }
  return node;
}

/** setup run by the Node at `node`, as a user with that PATH would run it. */
async function setupWith(node: string, pathVar: string) {
  const env = { ...f.sb.env, PATH: pathVar };
  const r = await execa(node, [BIN, 'setup', f.emu.baseUrl], { env, extendEnv: false, reject: false, cwd: f.sb.dir });
  f.outputs.push(String(r.stdout), String(r.stderr));
  expect(r.exitCode, String(r.stderr)).toBe(0);
}

async function helperLine(): Promise<string> {
  const values = (await f.git(['config', '--global', '--get-all', helperKey()])).stdout.split('\n');
  return values.find((v) => v.startsWith('!'))!;
}

async function doctor(): Promise<{
  code: number;
  findings: Array<{ id: string; level: string; title: string; fix?: string }>;
}> {
  const r = await f.bin(['doctor', f.emu.baseUrl, '--json', '--timeout', '5']);
  return { code: r.exitCode, findings: JSON.parse(r.stdout).findings };
}

describe('setup names a link to Node that outlives an upgrade', () => {
  it('a versioned Node behind a link on PATH: the line names the link, and git keeps working once the link moves to the next version', async () => {
    const v1 = nodeAt(path.join(f.sb.dir, 'nodes', 'v20.20.2'));
    const stable = path.join(f.sb.dir, 'stable');
    fs.mkdirSync(stable);
    fs.symlinkSync(v1, path.join(stable, 'node'));
    await setupWith(path.join(stable, 'node'), `${stable}${path.delimiter}${f.sb.env.PATH}`);
    expect(await helperLine()).toBe(
      `!f() { . "$1"; }; f '${FRONT}' '${path.join(stable, 'node')}' ${process.platform}`,
    );
    await f.login(fixtureToken('alice-write'));
    // the upgrade: the next version in its own directory, the old one removed, the link re-pointed
    const v2 = path.join(f.sb.dir, 'nodes', 'v20.99.0', 'bin', 'node');
    fs.mkdirSync(path.dirname(v2), { recursive: true });
    fs.renameSync(v1, v2);
    fs.rmSync(path.join(f.sb.dir, 'nodes', 'v20.20.2'), { recursive: true });
    fs.rmSync(path.join(stable, 'node'));
    fs.symlinkSync(v2, path.join(stable, 'node'));
    const r = await f.git(['ls-remote', repo()]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect((await doctor()).findings.filter((x) => x.id === 'helper-paths')).toEqual([]);
  });
});

describe('a Node that is gone after setup', () => {
  async function pinnedThenGone(clone = true): Promise<string> {
    const v1 = nodeAt(path.join(f.sb.dir, 'nodes', 'v20.20.2'));
    // the node on PATH is another file: setup names the running one
    await setupWith(v1, f.sb.env.PATH!);
    expect(await helperLine()).toContain(`'${v1}'`);
    await f.login(fixtureToken('alice-write'));
    if (clone) {
      const r = await f.git(['clone', '-q', repo(), 'work']);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    fs.rmSync(path.join(f.sb.dir, 'nodes'), { recursive: true });
    return v1;
  }
  const work = () => path.join(f.sb.dir, 'work');

  it('git goes on with node from PATH and one line saying so; setup writes the line again', async () => {
    const gone = await pinnedThenGone();
    const r = await f.git(['fetch', 'origin'], { cwd: work() });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(ours);
    expect(lines[0]).toContain(`is gone (${gone}); using `);
    expect(lines[0]).toContain('run: git credential-bitbucket setup URL');

    const again = await f.bin(['setup', f.emu.baseUrl]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await helperLine()).not.toContain(gone);
    const after = await f.git(['fetch', 'origin'], { cwd: work() });
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.stderr).toBe('');
  });

  it('doctor and check report it, with the fix', async () => {
    const gone = await pinnedThenGone(false);
    const d = await doctor();
    expect(d.code).toBe(1);
    const found = d.findings.filter((x) => x.id === 'helper-paths');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ level: 'error', fix: `git credential-bitbucket setup ${f.emu.baseUrl}` });
    expect(found[0]!.title).toContain(`Node at ${gone}, which is gone`);

    const c = await f.bin(['check', repo()]);
    expect(c.exitCode).toBe(1);
    expect(c.stdout).toContain(`✗ the helper line for ${f.emu.baseUrl} names Node at ${gone}, which is gone`);
    expect(c.stdout).toContain(`run: git credential-bitbucket setup ${f.emu.baseUrl}`);
    expect(c.stdout).not.toContain('No problems found');
    const json = await f.bin(['check', repo(), '--json']);
    expect(JSON.parse(json.stdout).brokenHelper).toHaveLength(1);
  });

  it('status reports it too, with the fix, and --json names it in brokenHelper', async () => {
    const gone = await pinnedThenGone(false);
    const s = await f.bin(['status', f.emu.baseUrl]);
    expect(s.exitCode, s.stdout).toBe(1);
    expect(s.stdout).toContain(
      `✗ the helper line for ${f.emu.baseUrl} names Node at ${gone}, which is gone (Node was upgraded or reinstalled)`,
    );
    expect(s.stdout).toContain(`; run: git credential-bitbucket setup ${f.emu.baseUrl}\n`);
    const json = await f.bin(['status', f.emu.baseUrl, '--json']);
    expect(json.exitCode).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; accounts: Array<{ ok: boolean }>; brokenHelper: unknown };
    expect(parsed.ok).toBe(false);
    // the token itself is fine: only the line git runs is not
    expect(parsed.accounts.map((a) => a.ok)).toEqual([true]);
    expect(parsed.brokenHelper).toEqual([
      {
        baseUrl: f.emu.baseUrl,
        problem: expect.stringContaining(`names Node at ${gone}, which is gone`),
        fix: `git credential-bitbucket setup ${f.emu.baseUrl}`,
      },
    ]);
    // setup writes the line again: status is content
    expect((await f.bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
    const after = await f.bin(['status', f.emu.baseUrl, '--json']);
    expect(after.exitCode, after.stdout).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, brokenHelper: [] });
  });

  it('with no node on PATH either: one line, and git goes on to its prompt (refused here)', async () => {
    await pinnedThenGone();
    // a PATH with git and nothing else
    const gitOnly = path.join(f.sb.dir, 'git-only');
    fs.mkdirSync(gitOnly);
    const git = (await execa('sh', ['-c', 'command -v git'], { env: f.sb.env, extendEnv: false })).stdout;
    fs.symlinkSync(git, path.join(gitOnly, 'git'));
    const r = await runGit(f.sb, ['fetch', 'origin'], '', { cwd: work(), env: { ...f.sb.env, PATH: gitOnly } });
    f.outputs.push(r.stdout, r.stderr);
    expect(r.exitCode).not.toBe(0);
    const mine = r.stderr.split('\n').filter((l) => ours.test(l));
    expect(mine).toHaveLength(1);
    expect(mine[0]).toContain('is gone');
    expect(mine[0]).toContain('and no node is on PATH; install Node, then run: git credential-bitbucket setup URL');
    expect(r.stderr).toMatch(/could not read Username/);
  });
});

describe('a front that is gone', () => {
  it('git fails with sh\'s ".: cannot open"; doctor names the file and the fix', async () => {
    const front = path.join(
      f.sb.dir,
      'npm-prefix',
      'lib',
      'node_modules',
      'git-credential-bitbucket',
      'bin',
      'git-credential-bitbucket.sh',
    );
    await f.git(['config', '--global', '--add', helperKey(), '']);
    await f.git([
      'config',
      '--global',
      '--add',
      helperKey(),
      `!f() { . "$1"; }; f '${front}' '${process.execPath}' linux`,
    ]);
    const r = await f.git(['ls-remote', repo()]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/cannot open .*git-credential-bitbucket\.sh/);
    const d = await doctor();
    expect(d.code).toBe(1);
    expect(d.findings.find((x) => x.id === 'helper-paths')).toMatchObject({
      level: 'error',
      title: expect.stringContaining(`names ${front}, which is gone`),
      fix: `git credential-bitbucket setup ${f.emu.baseUrl}`,
    });
    const human = await f.bin(['doctor', f.emu.baseUrl, '--timeout', '5']);
    expect(human.stdout).toContain(`✗ the helper line for ${f.emu.baseUrl} names ${front}`);
    expect(human.stdout).toContain(`fix: git credential-bitbucket setup ${f.emu.baseUrl}`);
  });
});

describe('setup from npx', () => {
  it("warns in one line that the line breaks when npx's cache is cleaned, and says how to install", async () => {
    const bin = path.join(
      f.sb.home,
      '.npm',
      '_npx',
      '0123abcd',
      'node_modules',
      'git-credential-bitbucket',
      'bin',
      'git-credential-bitbucket.cjs',
    );
    const io = recordingIO(f.sb.env);
    expect(await setupRun({ url: f.emu.baseUrl, program: { node: process.execPath, bin } }, io)).toBe(0);
    const warnings = io.err
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("npx's cache");
    expect(warnings[0]).toContain('npm install -g');
    const plain = recordingIO(f.sb.env);
    expect(await setupRun({ url: f.emu.baseUrl, program: { node: process.execPath, bin: BIN } }, plain)).toBe(0);
    expect(plain.err.join('')).not.toContain('warning:');
  });
});

describe('stableNode', () => {
  function tree() {
    const dir = f.sb.dir;
    const real = path.join(dir, 'nodes', 'v22.1.0', 'bin', 'node');
    fs.mkdirSync(path.dirname(real), { recursive: true });
    fs.writeFileSync(real, '', { mode: 0o755 });
    const link = (at: string, to = real) => {
      fs.mkdirSync(at, { recursive: true });
      fs.symlinkSync(to, path.join(at, 'node'));
      return at;
    };
    return { dir, real, link };
  }

  it.runIf(process.platform !== 'win32')(
    'names the node on PATH when it links to the running one, else the running one',
    () => {
      const { dir, real, link } = tree();
      const brew = link(path.join(dir, 'brew', 'bin'));
      expect(stableNode(real, { PATH: `/nonexistent:relative:${brew}` }, 'linux')).toBe(path.join(brew, 'node'));
      // the first node on PATH is another one: the shell would not run ours by that name
      const other = path.join(dir, 'other');
      fs.mkdirSync(other);
      fs.writeFileSync(path.join(other, 'node'), '', { mode: 0o755 });
      expect(stableNode(real, { PATH: `${other}:${brew}` }, 'linux')).toBe(real);
      expect(stableNode(real, { PATH: '' }, 'linux')).toBe(real);
    },
  );

  it.runIf(process.platform !== 'win32')("skips fnm's per-shell link for its default alias", () => {
    const { dir, real, link } = tree();
    const shell = link(path.join(dir, 'state', 'fnm_multishells', '4242_1700000000', 'bin'));
    const fnm = path.join(dir, 'fnm');
    link(path.join(fnm, 'aliases', 'default', 'bin'));
    expect(stableNode(real, { PATH: shell, FNM_DIR: fnm }, 'linux')).toBe(
      path.join(fnm, 'aliases', 'default', 'bin', 'node'),
    );
    expect(stableNode(real, { PATH: shell, FNM_DIR: path.join(dir, 'none') }, 'linux')).toBe(real);
  });
});

describe('helperPaths', () => {
  it('reads the front and Node out of each form setup has written, and nothing out of PATH names', () => {
    expect(helperPaths(`!f() { . "$1"; }; f '/o/it'\\''s/git-credential-bitbucket.sh' '/n/node' linux`)).toEqual({
      program: "/o/it's/git-credential-bitbucket.sh",
      node: '/n/node',
    });
    expect(helperPaths(`!sh '/o/git-credential-bitbucket.sh' '/n/node' darwin`)).toEqual({
      program: '/o/git-credential-bitbucket.sh',
      node: '/n/node',
    });
    expect(helperPaths(`!'/n/node' '/o/git-credential-bitbucket.cjs'`)).toEqual({
      program: '/o/git-credential-bitbucket.cjs',
      node: '/n/node',
    });
    expect(helperPaths('/o/bin/git-credential-bitbucket')).toEqual({ program: '/o/bin/git-credential-bitbucket' });
    expect(helperPaths('!node git-credential-bitbucket.js')).toEqual({});
    expect(helperPaths('bitbucket')).toEqual({});
    expect(helperPaths('!git credential-bitbucket')).toEqual({});
    expect(helperPaths('store')).toBeUndefined();
    expect(helperPaths("!f() { . \"$1\"; }; f '/o/other.sh' '/n/node' linux")).toBeUndefined();
  });

  it('reads each value the way isOurHelper does: what it runs is the program, and Node is never taken for it', () => {
    const values = [
      `!f() { . "$1"; }; f '/o/git-credential-bitbucket.sh' '/n/node' linux`,
      `!sh '/o/git-credential-bitbucket.sh' '/n/node' darwin`,
      `!/bin/sh '/o/git-credential-bitbucket.sh' '/n/node' linux`,
      `!'/n/node' '/o/git-credential-bitbucket.cjs'`,
      // a directory whose name holds a backslash: still Node, as isOurHelper reads it
      `!'/opt/v20\\node.exe' '/o/git-credential-bitbucket.js'`,
      `!/o/bin/git-credential-bitbucket`,
      '/o/bin/git-credential-bitbucket.cmd',
      '!git credential-bitbucket',
      'bitbucket',
      'store',
      '!sh /o/other.sh /n/node linux',
      "!'/n/node' '/o/other.js'",
    ];
    for (const v of values) expect(helperPaths(v) !== undefined, v).toBe(isOurHelper(v));
    expect(helperPaths(`!'/opt/v20\\node.exe' '/o/git-credential-bitbucket.js'`)).toEqual({
      program: '/o/git-credential-bitbucket.js',
      node: '/opt/v20\\node.exe',
    });
  });

  it('brokenHelperPaths says nothing of paths that are there, or of helpers not ours', () => {
    const line = `!f() { . "$1"; }; f '${FRONT}' '${process.execPath}' linux`;
    expect(brokenHelperPaths([line, 'store', '!/gone/elsewhere'], 'https://h')).toEqual([]);
    const gone = brokenHelperPaths([line.replace(process.execPath, '/gone/node'), line], 'https://h');
    expect(gone).toHaveLength(1);
    expect(gone[0]).toContain('Node at /gone/node, which is gone');
  });
});
