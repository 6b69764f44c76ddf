/**
 * The directories the program makes in a HOME (data, cache, state; src/private-dir.ts's
 * ensurePrivateDir and the launcher's copy of its rule): nothing is made inside a directory of
 * another user, and what cannot be made is said in one line with the way out.
 *
 * Root with a user's HOME (`sudo -E git …`) needs another user: as root the tests chown a HOME to
 * `nobody` (65534); as a non-root user they are skipped (their names start with "as root").
 * A HOME that cannot be written is tried as `nobody` when running as root (root writes
 * anywhere), else as this user.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, describe as desc, runBin, type RunResult } from '../helpers/sandbox.js';
import { fixtureToken as tok, useEmulatorSandbox } from '../helpers/fixture.js';
import { expectOneLineFailure, isRoot } from '../hardening/util.js';
import { CreateDirError, ensurePrivateDir } from '../../src/private-dir.js';

const NOBODY = 65534;
const f = useEmulatorSandbox();
const cleanups: string[] = [];
afterEach(() => {
  for (const dir of cleanups.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A HOME of `uid` (mode `mode`), in a directory anyone may pass through. */
function homeOf(uid: number, mode = 0o755): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-home-'));
  cleanups.push(base);
  fs.chmodSync(base, 0o755);
  const home = path.join(base, 'home');
  fs.mkdirSync(home);
  fs.chownSync(home, uid, uid);
  fs.chmodSync(home, mode);
  return home;
}

/** Everything under `dir`, as paths relative to it. */
function contents(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

/** The sandbox's environment with every directory of the program under `home` (as when only HOME is set). */
function envWithHome(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...f.sb.env, HOME: home };
  for (const k of ['XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME', 'GIT_CREDENTIAL_BITBUCKET_DIR']) delete env[k];
  return env;
}

const SUDO_E =
  /belongs to uid 65534, and you are root with that user's HOME \(sudo -E\?\); run git as that user, or use sudo -H\n?$/;

describe.runIf(process.platform !== 'win32')("root with another user's HOME (sudo -E)", () => {
  it.runIf(isRoot())(
    'as root: git ls-remote through the helper makes no ~/.cache (or anything else) in that HOME',
    async () => {
      const home = homeOf(NOBODY);
      // the token is root's, in a directory of root's: only the HOME is someone else's
      const env = { ...envWithHome(home), XDG_DATA_HOME: path.join(f.sb.dir, 'xdg-data') };
      const sb = { ...f.sb, env };
      expect((await runBin(sb, ['login', f.emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`)).exitCode).toBe(0);
      expect((await runBin(sb, ['setup', f.emu.baseUrl])).exitCode).toBe(0);
      const r = await f.git(['ls-remote', `${f.emu.baseUrl}/scm/prj/app.git`], { env, extendEnv: false });
      expect(r.exitCode, r.stderr).toBe(0);
      // the get that answered, and its code cache at exit, went nowhere in that HOME
      expect(contents(home)).toEqual([]);
      const g = await runBin(sb, ['get'], desc({ protocol: 'http', host: new URL(f.emu.baseUrl).host }));
      expect(g.stdout).toContain('password=');
      expect(contents(home)).toEqual([]);
    },
  );

  it.runIf(isRoot())('as root: storing there is refused in one line that says to run git as that user', async () => {
    const home = homeOf(NOBODY);
    const sb = { ...f.sb, env: envWithHome(home) };
    for (const [args, input] of [
      [['store'], desc({ protocol: 'https', host: 'bb.example.com', username: 'alice', password: tok('alice-write') })],
      [['login', f.emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`],
    ] as const) {
      const r = await runBin(sb, [...args], input);
      expectOneLineFailure(
        r,
        /cannot create data directory \S+: \S+home belongs to uid 65534, and you are root/,
        args[0],
      );
      expect(r.stderr).toMatch(SUDO_E);
      expect(contents(home)).toEqual([]);
    }
  });

  it.runIf(isRoot())(
    "as root: that user's data directory is refused as theirs (not 'remove it, or chown it')",
    async () => {
      const home = homeOf(NOBODY);
      const data = path.join(home, '.local', 'share', 'git-credential-bitbucket');
      fs.mkdirSync(data, { recursive: true, mode: 0o700 });
      for (const p of [path.join(home, '.local'), path.dirname(data), data]) fs.chownSync(p, NOBODY, NOBODY);
      const ask = desc({ protocol: 'https', host: 'bb.example.com' });
      // HOME's owner, or the user sudo names
      for (const env of [
        envWithHome(home),
        { ...envWithHome('/root'), XDG_DATA_HOME: path.dirname(data), SUDO_UID: '65534' },
      ]) {
        const r = await runBin({ ...f.sb, env }, ['get'], ask);
        expectOneLineFailure(r, /refusing data directory \S+git-credential-bitbucket: it belongs to uid 65534/);
        expect(r.stderr).toMatch(SUDO_E);
        expect(r.stderr).not.toContain('chown');
      }
      // another user's directory that is not that HOME's: the usual refusal
      const r = await runBin({ ...f.sb, env: { ...f.sb.env, GIT_CREDENTIAL_BITBUCKET_DIR: data } }, ['get'], ask);
      expectOneLineFailure(r, /refusing data directory \S+: it is owned by uid 65534, not by you \(uid 0\); remove it/);
    },
  );
});

/**
 * Runs the program as `nobody` when root (who may write anywhere), else as this user. Not
 * spawnSync: the emulator answers from this process.
 */
async function runAsUser(home: string, args: string[], input = '', extra: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    ...(isRoot() ? { uid: NOBODY, gid: NOBODY } : {}),
    input,
    reject: false,
    cwd: path.dirname(home),
    extendEnv: false,
    // the sandbox's git config is in a directory only this user may read
    env: { ...envWithHome(home), GIT_CONFIG_GLOBAL: '/dev/null', ...extra },
  });
  f.outputs.push(r.stdout, r.stderr);
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(process.platform !== 'win32')('a HOME the program cannot write to', () => {
  const WAY = /; set GIT_CREDENTIAL_BITBUCKET_DIR \(or XDG_DATA_HOME\) to a directory of yours\n?$/;

  it('store and login say in one line what to set; doctor says it before a login does', async () => {
    const home = homeOf(isRoot() ? NOBODY : process.getuid!(), 0o555);
    for (const [args, input] of [
      [['store'], desc({ protocol: 'https', host: 'bb.example.com', username: 'alice', password: tok('alice-write') })],
      [['login', f.emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`],
    ] as const) {
      const r = await runAsUser(home, [...args], input);
      expectOneLineFailure(
        r,
        /cannot create data directory \S+git-credential-bitbucket: you may not write to \S+home/,
        args[0],
      );
      expect(r.stderr).toMatch(WAY);
      expect(r.stderr).not.toContain('EACCES');
    }
    const d = await runAsUser(home, ['doctor', f.emu.baseUrl, '--json']);
    expect(d.exitCode).toBe(1);
    const findings = (
      JSON.parse(d.stdout) as { findings: Array<{ id: string; level: string; title: string; fix?: string }> }
    ).findings;
    expect(findings.find((x) => x.id === 'data-dir')).toMatchObject({
      level: 'error',
      title: expect.stringMatching(
        /^cannot create data directory \S+: you may not write to \S+home: no token can be stored$/,
      ),
      fix: 'set GIT_CREDENTIAL_BITBUCKET_DIR (or XDG_DATA_HOME) to a directory of yours',
    });
    // with the way out taken: no such finding, and the store works
    const dir = path.join(path.dirname(home), 'store');
    fs.mkdirSync(dir, { mode: 0o700 });
    if (isRoot()) fs.chownSync(dir, NOBODY, NOBODY);
    const moved = { GIT_CREDENTIAL_BITBUCKET_DIR: dir };
    const ok = await runAsUser(home, ['doctor', f.emu.baseUrl, '--json'], '', moved);
    expect(ok.stdout).not.toContain('"data-dir"');
    const s = await runAsUser(
      home,
      ['store'],
      desc({ protocol: 'https', host: 'bb.example.com', username: 'a', password: tok('alice-write') }),
      moved,
    );
    expect(s.exitCode, s.stderr).toBe(0);
  });

  it('a data directory that is there but not writable: doctor names it and the chmod', async () => {
    const home = homeOf(isRoot() ? NOBODY : process.getuid!());
    const data = path.join(path.dirname(home), 'store');
    fs.mkdirSync(data, { mode: 0o500 });
    if (isRoot()) fs.chownSync(data, NOBODY, NOBODY);
    const d = await runAsUser(home, ['doctor', f.emu.baseUrl, '--json'], '', { GIT_CREDENTIAL_BITBUCKET_DIR: data });
    const findings = (JSON.parse(d.stdout) as { findings: Array<{ id: string; title: string; fix?: string }> })
      .findings;
    expect(findings.find((x) => x.id === 'data-dir')).toMatchObject({
      title: `the data directory ${data} is not writable (mode 500): no token can be stored`,
      fix: `chmod 700 '${data}'`,
    });
  });

  it('something on the way that is no directory: named, in one line', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-notdir-'));
    cleanups.push(base);
    const file = path.join(base, 'file');
    fs.writeFileSync(file, '');
    const dir = path.join(file, 'a', 'b');
    expect(() => ensurePrivateDir(dir, 'data directory')).toThrow(CreateDirError);
    expect(() => ensurePrivateDir(dir, 'data directory')).toThrow(
      `cannot create data directory ${dir}: ${file} is not a directory; set GIT_CREDENTIAL_BITBUCKET_DIR (or XDG_DATA_HOME) to a directory of yours`,
    );
  });
});
