/**
 * A data directory, store file or lock file that another user could have planted or can
 * change is refused (src/private-dir.ts), through the built program: one line naming the path
 * and the fix, a non-zero exit, no answer, and no byte of any file changed.
 *
 * Some attacks need a file of another user. As root the test makes them with chown, and also
 * runs the program as `nobody` (spawn's uid option) against a store root planted; as a non-root
 * user (CI's `gcb-ci`, GCB_EXPECT_NON_ROOT=1) it uses the fixture .ci/run prepares as root
 * (GCB_PLANTED: `theirs/`, a root-owned data directory with a store, and `own/`, this user's
 * data directory holding a root-owned store).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, describe as desc, makeSandbox, runBin, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { bytesOf, credentialsFile, expectOneLineFailure, isRoot } from '../hardening/util.js';
import { privateProblem, type StatLike } from '../../src/private-dir.js';
import { readSettings } from '../../src/store/settings.js';

const TOKEN = 'BBDC-ownershipTOKEN0123456789abcdefghijklmnop';
const PLANTED = 'BBDC-plantedTOKEN0123456789abcdefghijklmnopqr';
const store = (host: string, password = TOKEN) => desc({ protocol: 'https', host, username: 'alice', password });
const ask = (host: string) => desc({ protocol: 'https', host });
const OTHER_UID = 65534;

const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) sb.cleanup();
});

async function seeded(): Promise<Sandbox> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const r = await runBin(sb, ['store'], store('bb.example.com'));
  expect(r.exitCode, r.stderr).toBe(0);
  return sb;
}

/** get, store (a new host) and erase each refused in one line matching `pattern`; `files` unchanged. */
async function expectRefused(sb: Sandbox, pattern: RegExp, files: string[]): Promise<void> {
  const before = files.map(bytesOf);
  for (const [op, input] of [
    ['get', ask('bb.example.com')],
    ['store', store('new.example.com')],
    ['erase', ask('bb.example.com')],
  ] as const) {
    const r = await runBin(sb, [op], input);
    expectOneLineFailure(r, pattern, op);
    expect(r.stdout, op).toBe('');
    expect(r.stderr).not.toContain(TOKEN);
    expect(files.map(bytesOf), `${op} changed a file`).toEqual(before);
  }
}

describe.runIf(process.platform !== 'win32')('a store others could plant or change is refused', () => {
  it('settings.json that is a link is not read through (what it says decides what unsetup removes)', () => {
    const sb = makeSandbox();
    sandboxes.push(sb);
    fs.mkdirSync(sb.dataDir, { recursive: true, mode: 0o700 });
    const target = path.join(sb.dir, 'elsewhere-settings.json');
    const planted = { refused: [{ protocol: 'https', host: 'bb.example.com', at: 1 }] };
    fs.writeFileSync(target, JSON.stringify(planted), { mode: 0o600 });
    const file = path.join(sb.dataDir, 'settings.json');
    fs.symlinkSync(target, file);
    expect(readSettings(sb.dataDir)).toEqual({});
    fs.rmSync(file);
    fs.copyFileSync(target, file);
    expect(readSettings(sb.dataDir)).toEqual(planted); // the same content, as a file of its own
  });

  it('credentials.json that is a link to another file: not read, not written through', async () => {
    const sb = await seeded();
    const target = path.join(sb.dir, 'elsewhere.json');
    fs.renameSync(credentialsFile(sb), target);
    fs.symlinkSync(target, credentialsFile(sb));
    await expectRefused(sb, /refusing credential store \S+credentials\.json: it is a symbolic link; remove the link/, [
      target,
    ]);
    expect(fs.lstatSync(credentialsFile(sb)).isSymbolicLink()).toBe(true);
  });

  it('a data directory others can write to (0777): refused, not silently tightened', async () => {
    const sb = await seeded();
    fs.chmodSync(sb.dataDir, 0o777);
    await expectRefused(sb, /refusing data directory \S+store: others can write to it \(mode 777\); chmod 700/, [
      credentialsFile(sb),
    ]);
    expect(fs.statSync(sb.dataDir).mode & 0o777).toBe(0o777);
  });

  it('a store file others can write to (0666): refused', async () => {
    const sb = await seeded();
    fs.chmodSync(credentialsFile(sb), 0o666);
    await expectRefused(sb, /credentials\.json: others can write to it \(mode 666\); chmod 600/, [credentialsFile(sb)]);
  });

  it('a lock file that is a link: store refused, the link and its target untouched', async () => {
    const sb = await seeded();
    const target = path.join(sb.dir, 'victim');
    fs.writeFileSync(target, 'victim\n');
    fs.symlinkSync(target, `${credentialsFile(sb)}.lock`);
    const before = bytesOf(credentialsFile(sb));
    const r = await runBin(sb, ['store'], store('new.example.com'));
    expectOneLineFailure(r, /refusing lock file \S+credentials\.json\.lock: it is a symbolic link/);
    expect(fs.readFileSync(target, 'utf8')).toBe('victim\n');
    expect(bytesOf(credentialsFile(sb))).toEqual(before);
    expect(fs.lstatSync(`${credentialsFile(sb)}.lock`).isSymbolicLink()).toBe(true);
  });

  it.runIf(isRoot())('as root: a data directory, store file or lock file of another user is refused', async () => {
    const sb = await seeded();
    fs.chownSync(sb.dataDir, OTHER_UID, OTHER_UID);
    await expectRefused(sb, /refusing data directory \S+store: it is owned by uid 65534, not by you/, [
      credentialsFile(sb),
    ]);
    fs.chownSync(sb.dataDir, 0, 0);
    fs.chownSync(credentialsFile(sb), OTHER_UID, OTHER_UID);
    await expectRefused(sb, /refusing credential store \S+credentials\.json: it is owned by uid 65534/, [
      credentialsFile(sb),
    ]);
    fs.chownSync(credentialsFile(sb), 0, 0);
    const lock = `${credentialsFile(sb)}.lock`;
    fs.writeFileSync(lock, `${process.pid} ${Date.now()} x host\n`, { mode: 0o600 });
    fs.chownSync(lock, OTHER_UID, OTHER_UID);
    const r = await runBin(sb, ['store'], store('new.example.com'));
    expectOneLineFailure(r, /refusing lock file \S+\.lock: it is owned by uid 65534/);
    expect(fs.existsSync(lock)).toBe(true);
  });

  it.runIf(isRoot())('as another user (nobody): a store root planted in its data directory answers nothing', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-planted-'));
    try {
      fs.chmodSync(base, 0o755);
      const { own, theirs } = plant(base, OTHER_UID);
      const home = path.join(base, 'home');
      fs.mkdirSync(home, { mode: 0o700 });
      fs.chownSync(home, OTHER_UID, OTHER_UID);
      for (const [dir, pattern] of [
        [own, /refusing credential store \S+own\/credentials\.json: it is owned by uid 0, not by you \(uid 65534\)/],
        [theirs, /refusing data directory \S+theirs: it is owned by uid 0, not by you/],
      ] as const) {
        const r = runAs(OTHER_UID, home, dir, ask('bb.example.com'));
        expectOneLineFailure(r, pattern, dir);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toContain(PLANTED);
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  const planted = process.env.GCB_PLANTED;
  it.runIf(!isRoot() && planted !== undefined)(
    'as a non-root user: a store planted by root answers nothing (fixture from .ci/run)',
    async () => {
      for (const [dir, pattern] of [
        ['own', /refusing credential store \S+own\/credentials\.json: it is owned by uid 0, not by you/],
        ['theirs', /refusing data directory \S+theirs: it is owned by uid 0, not by you/],
      ] as const) {
        const sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_DIR: path.join(planted!, dir) });
        sandboxes.push(sb);
        const r = await runBin(sb, ['get'], ask('bb.example.com'));
        expectOneLineFailure(r, pattern, dir);
        expect(r.stdout).toBe('');
        expect(r.stderr).not.toContain(PLANTED);
      }
    },
  );
});

/**
 * The planted stores, as root: `own` (a data directory of `uid` holding a store of root's,
 * readable by all) and `theirs` (root's data directory and store). .ci/run makes the same.
 */
function plant(base: string, uid: number): { own: string; theirs: string } {
  const body = JSON.stringify({
    version: 1,
    entries: [
      {
        protocol: 'https',
        host: 'bb.example.com',
        username: 'mallory',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        secrets: { password: PLANTED },
      },
    ],
  });
  const own = path.join(base, 'own');
  const theirs = path.join(base, 'theirs');
  fs.mkdirSync(own, { mode: 0o700 });
  fs.chownSync(own, uid, uid);
  fs.mkdirSync(theirs, { mode: 0o755 });
  for (const dir of [own, theirs]) fs.writeFileSync(path.join(dir, 'credentials.json'), body, { mode: 0o644 });
  return { own, theirs };
}

function runAs(uid: number, home: string, dataDir: string, input: string): RunResult {
  const r = spawnSync(process.execPath, [BIN, 'get'], {
    uid,
    gid: uid,
    input,
    encoding: 'utf8',
    cwd: home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CREDENTIAL_BITBUCKET_DIR: dataDir,
      XDG_CACHE_HOME: path.join(home, 'cache'),
    },
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('one rule for private paths: the launcher and src/private-dir.ts agree', () => {
  const launcher = fs.readFileSync(BIN, 'utf8');
  const fn = /\nfunction privateProblem\(st, dir, uid\) \{\n[\s\S]*?\n\}\n/.exec(launcher)?.[0];
  it('bin/ defines privateProblem(st, dir, uid)', () => expect(fn).toBeDefined());
  const launcherRule = new Function(`${fn}\nreturn privateProblem;`)() as typeof privateProblem;
  const st = (kind: 'dir' | 'file' | 'link', uid: number, mode: number): StatLike => ({
    uid,
    mode,
    isSymbolicLink: () => kind === 'link',
    isDirectory: () => kind === 'dir',
    isFile: () => kind === 'file',
  });
  const table: Array<[string, StatLike, boolean, number | undefined, string | undefined]> = [
    ['own 0700 directory', st('dir', 1000, 0o700), true, 1000, undefined],
    ['own 0755 directory (readable only)', st('dir', 1000, 0o755), true, 1000, undefined],
    ['own 0770 directory', st('dir', 1000, 0o770), true, 1000, 'writable'],
    ['own 0777 directory', st('dir', 1000, 0o777), true, 1000, 'writable'],
    ['own 1777 directory', st('dir', 1000, 0o1777), true, 1000, 'writable'],
    ["another user's 0700 directory", st('dir', 0, 0o700), true, 1000, 'owner'],
    ['a link where a directory should be', st('link', 1000, 0o777), true, 1000, 'symlink'],
    ['a file where a directory should be', st('file', 1000, 0o600), true, 1000, 'kind'],
    ['own 0600 file', st('file', 1000, 0o600), false, 1000, undefined],
    ['own 0620 file', st('file', 1000, 0o620), false, 1000, 'writable'],
    ['own 0602 file', st('file', 1000, 0o602), false, 1000, 'writable'],
    ["root's 0644 file", st('file', 0, 0o644), false, 1000, 'owner'],
    ['a link where a file should be', st('link', 1000, 0o600), false, 1000, 'symlink'],
    ['a directory where a file should be', st('dir', 1000, 0o700), false, 1000, 'kind'],
    ['no uid (Windows): owner not checked', st('dir', 0, 0o700), true, undefined, undefined],
  ];
  it.each(table)('%s', (_name, s, dir, uid, expected) => {
    expect(privateProblem(s, dir, uid)).toBe(expected);
    expect(launcherRule(s, dir, uid)).toBe(expected);
  });
});
