/**
 * The launcher keeps V8's compiled code of the hot bundles between runs (Node 20; Node 22.1+
 * does it itself, pointed at the same private directory): where, with which modes, and that a
 * cache that is damaged or not the user's own is never used.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodeModule from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describe as desc, makeSandbox, parsePairs, runBin, type Sandbox } from './helpers/sandbox.js';

const vmCache = !('enableCompileCache' in nodeModule);
const REQUEST = desc({ protocol: 'https', host: 'git.example.test' });
const SECRET = 'launcher-test-secret-1234567890';

let sb: Sandbox;
let codeDir: string;
beforeEach(async () => {
  sb = makeSandbox();
  codeDir = path.join(sb.env.XDG_CACHE_HOME!, 'git-credential-bitbucket', 'code');
  expect((await runBin(sb, ['store'], desc({ protocol: 'https', host: 'git.example.test', username: 'u', password: SECRET }))).exitCode).toBe(0);
});
afterEach(() => sb.cleanup());

const answer = async () => {
  const r = await runBin(sb, ['get'], REQUEST);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return Object.fromEntries(parsePairs(r.stdout));
};
const helperCaches = () => (fs.existsSync(codeDir) ? fs.readdirSync(codeDir).filter((f) => f.startsWith('helper.cjs-')) : []);

describe.runIf(vmCache)('the code cache (Node 20: vm.Script cachedData)', () => {
  it('is written on the first run, 0600 in a 0700 directory, and then reused as it is', async () => {
    expect((await answer()).password).toBe(SECRET);
    const [name] = helperCaches();
    expect(name).toMatch(new RegExp(`^helper\\.cjs-\\d+-\\d+-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`));
    const file = path.join(codeDir, name!);
    expect(fs.statSync(codeDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file).includes(SECRET)).toBe(false);
    const before = fs.statSync(file);
    expect((await answer()).password).toBe(SECRET);
    const after = fs.statSync(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('a damaged cache is not used and is written again; the answer is unchanged', async () => {
    await answer();
    const file = path.join(codeDir, helperCaches()[0]!);
    fs.writeFileSync(file, Buffer.alloc(4096, 0x5a));
    expect((await answer()).password).toBe(SECRET);
    expect(fs.readFileSync(file).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
  });

  it('damage inside the compiled code (V8 checks only its header) is caught by the checksum, not by a crash', async () => {
    await answer();
    const file = path.join(codeDir, helperCaches()[0]!);
    const good = fs.readFileSync(file);
    for (const at of [200, 2000, Math.floor(good.length / 2), good.length - 100]) {
      const bad = Buffer.from(good);
      for (let i = 0; i < 16; i++) bad[at + i] = bad[at + i]! ^ 0xa5;
      fs.writeFileSync(file, bad);
      expect((await answer()).password, `bytes flipped at ${at}`).toBe(SECRET);
      expect(fs.readFileSync(file).equals(bad)).toBe(false);
    }
  });

  it('a directory others can write to is not used at all', async () => {
    fs.rmSync(codeDir, { recursive: true, force: true });
    fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(codeDir, 0o777);
    expect((await answer()).password).toBe(SECRET);
    expect(helperCaches()).toEqual([]);
  });

  it('keeps the caches of other Node versions; drops temporary files left by killed runs', async () => {
    fs.rmSync(codeDir, { recursive: true, force: true });
    fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
    const other = path.join(codeDir, 'helper.cjs-1-1-1-1-v0.0.0-x64.v8');
    const leftover = path.join(codeDir, 'helper.cjs-1-1-1-1-v0.0.0-x64.v8.123.456.tmp');
    fs.writeFileSync(other, 'other node');
    fs.writeFileSync(leftover, 'killed');
    fs.utimesSync(leftover, new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    await answer();
    expect(fs.existsSync(other)).toBe(true);
    expect(fs.existsSync(leftover)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)('a cache owned by another user is not read, and is replaced by one of our own', async () => {
    await answer();
    const file = path.join(codeDir, helperCaches()[0]!);
    fs.chownSync(file, 65534, 65534);
    expect((await answer()).password).toBe(SECRET);
    expect(fs.statSync(file).uid).toBe(0);
  });

  it('a cache of an older build is dropped when the new one is written', async () => {
    fs.rmSync(codeDir, { recursive: true, force: true });
    fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
    const stale = path.join(codeDir, `helper.cjs-1-1-1-1-${process.version}-${process.arch}.v8`);
    fs.writeFileSync(stale, 'old');
    await answer();
    expect(fs.existsSync(stale)).toBe(false);
    expect(helperCaches()).toHaveLength(1);
  });

  it('store (which loads the ES-module-only conf through the launcher) works from a cold and a warm cache', async () => {
    fs.rmSync(codeDir, { recursive: true, force: true });
    for (const password of ['second-secret-abcdefghij', 'third-secret-abcdefghijk']) {
      const r = await runBin(sb, ['store'], desc({ protocol: 'https', host: 'git.example.test', username: 'u', password }));
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect((await answer()).password).toBe(password);
    }
  });
});

describe('without a usable cache directory', () => {
  it('runs the bundles as they are', async () => {
    const env = { ...sb.env };
    delete env.XDG_CACHE_HOME;
    delete env.HOME;
    delete env.GIT_CREDENTIAL_BITBUCKET_DIR;
    env.XDG_DATA_HOME = path.join(sb.dir, 'xdg-data');
    fs.rmSync(codeDir, { recursive: true, force: true });
    const r = await runBin({ ...sb, env }, ['get'], REQUEST);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(codeDir)).toBe(false);
  });
});
