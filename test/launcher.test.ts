/**
 * The launcher keeps V8's compiled code of the hook's and the credential helper's bundles between
 * runs (Node 20; Node 22.1+ does it itself, pointed at the same private directory): where, with
 * which modes, and that a cache that is damaged or not the user's own is never used (each file
 * holds two copies and runs only when they are the same; the hook's is also dropped after a run
 * that went wrong). Each run is a real pre-push check
 * with a stored token, against a port nothing listens on.
 */
import fs from 'node:fs';
import path from 'node:path';
import nodeModule from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { BIN, describe as desc, makeSandbox, ROOT, runBin, runGit, type Sandbox } from './helpers/sandbox.js';
import { makeToken } from './emulator/index.js';

const vmCache = !('enableCompileCache' in nodeModule);
// token-shaped: the guard sends only tokens to the server (an account password never), and the
// network bundle is what this test loads
const SECRET = makeToken('510000000001');
const HOST = '127.0.0.1:9';
const URL = `http://${HOST}/scm/prj/app.git`;

let sb: Sandbox;
let codeDir: string;
let work: string;
let input: string;
beforeEach(async () => {
  sb = makeSandbox();
  codeDir = path.join(sb.env.XDG_CACHE_HOME!, 'git-credential-bitbucket', 'code');
  work = path.join(sb.dir, 'work');
  await runGit(sb, ['init', '-q', '-b', 'main', work]);
  await runGit(
    sb,
    ['-c', 'user.email=u@example.com', '-c', 'user.name=U', 'commit', '-q', '--allow-empty', '-m', 'x'],
    '',
    { cwd: work },
  );
  // nothing listens on the port, so each check ends at once with "connection refused"; a budget a
  // loaded machine cannot run out of keeps that the only outcome (the tests compare whole outputs)
  await runGit(sb, ['config', 'bitbucket.timeout', '60000'], '', { cwd: work });
  await runGit(sb, ['config', 'credential.helper', BIN], '', { cwd: work });
  const head = (await runGit(sb, ['rev-parse', 'HEAD'], '', { cwd: work })).stdout.trim();
  input = `refs/heads/main ${head} refs/heads/main ${'0'.repeat(40)}\n`;
  expect(
    (await runBin(sb, ['store'], desc({ protocol: 'http', host: HOST, username: 'u', password: SECRET }))).exitCode,
  ).toBe(0);
});
afterEach(() => sb.cleanup());

/** A pre-push check as git runs it: the token is found, the server is not there. */
const check = async () => {
  const r = await runBin(sb, ['hook', 'pre-push', 'origin', URL], input, { cwd: work });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stderr).toContain(`could not reach http://${HOST}`);
  expect(r.stderr).not.toContain(SECRET);
  return r.stderr;
};
/** The files in the code cache directory whose names start with `prefix`. */
const cachesOf = (prefix: string) =>
  fs.existsSync(codeDir) ? fs.readdirSync(codeDir).filter((f) => f.startsWith(prefix)) : [];
/** The cache file itself (`.v8`) of those. */
const cacheFileOf = (prefix: string) =>
  path.join(
    codeDir,
    cachesOf(prefix).find((f) => f.endsWith('.v8'))!,
  );
/** A cache file holds the cache twice, the same byte for byte. */
const copiesSame = (b: Buffer) => b.length % 2 === 0 && b.subarray(0, b.length / 2).equals(b.subarray(b.length / 2));
const hookCaches = () => cachesOf('hook.cjs-');
const cacheFile = () => cacheFileOf('hook.cjs-');

describe.runIf(vmCache)('the code cache (Node 20: vm.Script cachedData)', () => {
  it('is written on the first run, 0600 in a 0700 directory, and then reused as it is', async () => {
    const first = await check();
    const [name] = hookCaches();
    expect(name).toMatch(
      new RegExp(`^hook\\.cjs-\\d+-\\d+-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`),
    );
    expect(fs.statSync(codeDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(cacheFile()).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(cacheFile()).includes(SECRET)).toBe(false);
    const before = fs.statSync(cacheFile());
    expect(await check()).toBe(first);
    const after = fs.statSync(cacheFile());
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('a damaged header is rejected and the cache written again; the check is unchanged', async () => {
    const first = await check();
    fs.writeFileSync(cacheFile(), Buffer.alloc(4096, 0x5a));
    expect(await check()).toBe(first);
    expect(fs.readFileSync(cacheFile()).equals(Buffer.alloc(4096, 0x5a))).toBe(false);
  });

  it('a copy that differs from the other is never run (V8 checks only the header): the check is unchanged, the cache written anew', async () => {
    const first = await check();
    const good = fs.readFileSync(cacheFile());
    const half = good.length / 2;
    expect(copiesSame(good)).toBe(true);
    for (const at of [200, 2000, half - 50, half + 200, half + Math.floor(half / 2), good.length - 100]) {
      const bad = Buffer.from(good);
      for (let i = 0; i < 16; i++) bad[at + i] = bad[at + i]! ^ 0xa5;
      fs.writeFileSync(cacheFile(), bad);
      // killed if it never ends: damaged code could loop
      const r = await runBin(sb, ['hook', 'pre-push', 'origin', URL], input, { cwd: work, timeout: 20_000 });
      expect(r.exitCode, `bytes flipped at ${at}`).toBe(0);
      expect(r.stderr, `bytes flipped at ${at}`).toBe(first);
      const now = fs.readFileSync(cacheFile());
      expect(copiesSame(now), `bytes flipped at ${at}`).toBe(true);
      expect(now.equals(bad), `bytes flipped at ${at}`).toBe(false);
    }
  }, 240_000);

  it('a run that fails unexpectedly drops the cache it used instead of putting it back', async () => {
    await check();
    const name = path.basename(cacheFile());
    // a guard that cannot read its store fails as damaged code would: unexpectedly
    fs.writeFileSync(path.join(sb.dataDir, 'credentials.json'), '{"versi');
    const r = await runBin(sb, ['hook', 'pre-push', 'origin', URL], input, { cwd: work });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain('pre-push check skipped');
    expect(fs.existsSync(path.join(codeDir, name))).toBe(false);
    expect(hookCaches().filter((f) => f.endsWith('.inuse'))).toEqual([]);
  });

  it.runIf(process.getuid?.() === 0)(
    'a cache owned by another user is not read, and is replaced by one of our own',
    async () => {
      await check();
      fs.chownSync(cacheFile(), 65534, 65534);
      await check();
      expect(fs.statSync(cacheFile()).uid).toBe(0);
    },
  );

  it('a directory others can write to is not used at all', async () => {
    fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(codeDir, 0o777);
    await check();
    expect(hookCaches()).toEqual([]);
  });

  it("drops the cache of an older build and temporary files left by killed runs; keeps other Node versions' caches", async () => {
    fs.mkdirSync(codeDir, { recursive: true, mode: 0o700 });
    const older = path.join(codeDir, `hook.cjs-1-1-1-1-${process.version}-${process.arch}.v8`);
    const otherNode = path.join(codeDir, 'hook.cjs-1-1-1-1-v0.0.0-x64.v8');
    const gone = 99_999_999; // above any pid_max: no such process
    const leftovers = [`${older}.${gone}.123.tmp`, `${older}.${gone}.inuse`];
    const live = `${older}.${process.pid}.inuse`; // a run going on right now
    for (const f of [older, otherNode, ...leftovers, live]) fs.writeFileSync(f, 'x');
    await check();
    expect(fs.existsSync(older)).toBe(false);
    for (const f of leftovers) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live);
    expect(fs.existsSync(otherNode)).toBe(true);
    const left = hookCaches();
    expect(left).toHaveLength(2);
    expect(left.filter((f) => f !== path.basename(otherNode))).toEqual([
      expect.stringContaining(`-${process.version}-`),
    ]);
  });
});

describe.runIf(vmCache)(
  "the helper bundle's code cache (Node 20): two copies, used only when they are the same",
  () => {
    const helperCaches = () => cachesOf('helper.cjs.get-');
    const helperCache = () => cacheFileOf('helper.cjs.get-');
    /** `get` as git runs it: the stored token, nothing on stderr. */
    const get = async () => {
      const r = await runBin(sb, ['get'], desc({ protocol: 'http', host: HOST }));
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['username=u', `password=${SECRET}`]));
      expect(r.stderr).toBe('');
    };

    beforeEach(async () => {
      expect(helperCaches()).toEqual([]); // the store before this test wrote its own
      await get();
    });

    it('is written by the first get, 0600, twice the same; then reused as it is', async () => {
      expect(fs.readdirSync(codeDir).filter((f) => f.startsWith('helper.cjs.store-'))).toHaveLength(1);
      expect(helperCaches()).toEqual([
        expect.stringMatching(
          new RegExp(
            `^helper\\.cjs\\.get-\\d+-\\d+-\\d+-\\d+-${process.version.replace(/\./g, '\\.')}-${process.arch}\\.v8$`,
          ),
        ),
      ]);
      const bytes = fs.readFileSync(helperCache());
      expect(copiesSame(bytes)).toBe(true);
      expect(fs.statSync(helperCache()).mode & 0o777).toBe(0o600);
      expect(bytes.includes(SECRET)).toBe(false);
      const before = fs.statSync(helperCache());
      await get();
      await get();
      const after = fs.statSync(helperCache());
      expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    });

    it('a copy that differs from the other is never run: the answer is right and the cache written anew', async () => {
      const good = fs.readFileSync(helperCache());
      const half = good.length / 2;
      for (const at of [100, 2000, Math.floor(half / 2), half + 100, half + Math.floor(half / 2), good.length - 40]) {
        const bad = Buffer.from(good);
        for (let i = 0; i < 16; i++) bad[at + i] = bad[at + i]! ^ 0xa5;
        fs.writeFileSync(helperCache(), bad);
        await get();
        const now = fs.readFileSync(helperCache());
        expect(copiesSame(now), `bytes flipped at ${at}`).toBe(true);
        expect(now.equals(bad), `bytes flipped at ${at}`).toBe(false);
      }
    });

    it('a cut, empty or odd-sized file, or one V8 rejects, is written anew', async () => {
      const good = fs.readFileSync(helperCache());
      const rejected = Buffer.concat([Buffer.alloc(4096, 0x5a), Buffer.alloc(4096, 0x5a)]);
      for (const bad of [
        good.subarray(0, good.length - 1),
        good.subarray(0, good.length / 2),
        Buffer.alloc(0),
        rejected,
      ]) {
        fs.writeFileSync(helperCache(), bad);
        await get();
        const now = fs.readFileSync(helperCache());
        expect(copiesSame(now) && now.length > 0).toBe(true);
        expect(now.equals(bad)).toBe(false);
      }
    });

    it('a link in its place is not followed: the link is replaced, its target untouched', async () => {
      const target = path.join(sb.dir, 'elsewhere.v8');
      fs.writeFileSync(target, 'not a cache');
      const file = helperCache();
      fs.rmSync(file);
      fs.symlinkSync(target, file);
      await get();
      expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
      expect(copiesSame(fs.readFileSync(file))).toBe(true);
      expect(fs.readFileSync(target, 'utf8')).toBe('not a cache');
    });

    it.runIf(process.getuid?.() === 0)(
      'a cache owned by another user is not read, and is replaced by one of our own',
      async () => {
        fs.chownSync(helperCache(), 65534, 65534);
        await get();
        expect(fs.statSync(helperCache()).uid).toBe(0);
      },
    );
  },
);

describe('without a usable cache directory', () => {
  it('runs the bundle as it is', async () => {
    const env: NodeJS.ProcessEnv = { ...sb.env, XDG_CACHE_HOME: 'relative/cache', HOME: 'relative-home' };
    delete env.GIT_CREDENTIAL_BITBUCKET_DIR;
    env.XDG_DATA_HOME = path.join(sb.dir, 'xdg-data');
    const r = await runBin({ ...sb, env }, ['hook', 'pre-push'], '', { cwd: work });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('expected <remote> <url>');
    expect(fs.existsSync(path.join(work, 'relative'))).toBe(false);
    expect(hookCaches()).toEqual([]); // (the store before this test wrote the helper's, in the sandbox's)
  });
});

describe('where Node has no process.getBuiltinModule (before 20.16, and 22.0-22.2)', () => {
  it('get, the hook and any command say in one line which Node is needed, and exit 1', async () => {
    const preload = path.join(sb.dir, 'no-get-builtin-module.cjs');
    fs.writeFileSync(preload, 'delete process.getBuiltinModule;\n');
    const env = { ...sb.env, NODE_OPTIONS: `--require "${preload}"` };
    for (const args of [
      ['get'],
      ['hook', 'pre-push', 'origin', 'https://example.invalid/scm/p/r.git'],
      ['--version'],
    ]) {
      const r = await runBin({ ...sb, env }, args, desc({ protocol: 'http', host: HOST }));
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        /^git-credential-bitbucket: Node v[\d.]+ is not supported; it needs Node 20\.19 or newer \(22\.3 or newer on 22\)\n?$/,
      );
      expect(r.stderr).not.toContain(SECRET);
    }
  });
});

describe('an installation whose dist/ is gone (a git clean in the checkout it runs from)', () => {
  it('get, the hook and any command say in one line what is missing and how to fix it, and exit 1', async () => {
    const copy = path.join(sb.dir, 'install');
    fs.cpSync(path.join(ROOT, 'bin'), path.join(copy, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
    fs.mkdirSync(path.join(copy, 'dist'));
    const launcher = path.join(copy, 'bin', 'git-credential-bitbucket.cjs');
    for (const [args, bundle] of [
      [['get'], 'helper.cjs'],
      [['hook', 'pre-push', 'origin', URL], 'hook.cjs'],
      [['status'], 'cli.mjs'],
    ] as const) {
      const r = await execa(process.execPath, [launcher, ...args], {
        env: sb.env,
        extendEnv: false,
        cwd: work,
        input: desc({ protocol: 'http', host: HOST }),
        reject: false,
      });
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `git-credential-bitbucket: this installation is incomplete: ${path.join(copy, 'dist', bundle)} is missing; install it again (npm install -g, or install.sh), or run \`npm run build\` in a checkout`,
      );
    }
  });
});

describe('an installation whose path has a backslash (Node loads no ES module from there)', () => {
  it('get and the hook run; every other command says so in one line and exits 1, without a stack trace', async () => {
    const copy = path.join(sb.dir, 'back\\slash', 'pkg');
    for (const d of ['bin', 'dist']) fs.cpSync(path.join(ROOT, d), path.join(copy, d), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(copy, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
    const launcher = path.join(copy, 'bin', 'git-credential-bitbucket.cjs');
    const run = (args: string[], input = '') =>
      execa(process.execPath, [launcher, ...args], { env: sb.env, extendEnv: false, cwd: work, input, reject: false });
    const get = await run(['get'], desc({ protocol: 'http', host: HOST }));
    expect(get.exitCode, get.stderr).toBe(0);
    expect(get.stdout.split('\n')).toContain(`password=${SECRET}`);
    const hook = await run(['hook', 'pre-push', 'origin', URL], input);
    expect(hook.exitCode, hook.stderr).toBe(0);
    expect(hook.stderr).toContain(`could not reach http://${HOST}`);
    const other = desc({ protocol: 'http', host: 'other.invalid', username: 'u', password: 'typed-secret' });
    for (const args of [['--version'], ['status'], ['hook', 'install'], ['store'], ['erase']]) {
      const r = await run(args, other);
      expect(r.exitCode, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `git-credential-bitbucket: it cannot run from ${copy}: Node loads no ES module from a path with a backslash (\\); install it where the path has none (install.sh --prefix DIR, or npm install -g with another prefix)`,
      );
    }
  });
});
