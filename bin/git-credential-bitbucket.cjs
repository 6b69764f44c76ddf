#!/usr/bin/env node
'use strict';
// Launcher: loads a built bundle, nothing else. git runs get/store/erase on every HTTPS
// operation and the pre-push hook on every push, so those go to small CommonJS bundles (the
// hook's with its compiled code kept between runs); every other command goes to the full CLI.
// Built-in modules through process.getBuiltinModule: cheaper than require(), which goes
// through the module loader's resolution first. Every supported Node has it (20.19+, 22.3+, as
// package.json's engines says); the ones without it (older, and 22.0-22.2) get one line.
if (typeof process.getBuiltinModule !== 'function') {
  process.stderr.write(
    `git-credential-bitbucket: Node ${process.version} is not supported; it needs Node 20.19 or newer (22.3 or newer on 22)\n`,
  );
  process.exit(1);
}
const builtin = process.getBuiltinModule;
const fs = builtin('node:fs');
const path = builtin('node:path');
// node:module only where it has enableCompileCache (22.1+): loading it loads Node's ES module
// loader and source maps too, more than the helper's own start on Node 20. There the module
// class it exports is already at hand as this module's constructor.
const nodeModule = hasCompileCache(process.versions.node) ? builtin('node:module') : module.constructor;

const [op, sub] = process.argv.slice(2);
// Our sh fronts start Node without NODE_EXTRA_CA_CERTS and hand it on under another name
// (src/bitbucket/http.ts trusts it from there); what we run gets it back as it was.
if (process.env.GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS && !process.env.NODE_EXTRA_CA_CERTS)
  process.env.NODE_EXTRA_CA_CERTS = process.env.GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS;
const cacheBase = cacheDir(process.env);
const cache = cacheBase && path.join(cacheBase, 'code');
// Node 22.1+ keeps compiled code itself: in our private directory, never the shared tmp.
if (nodeModule.enableCompileCache && cache && ensurePrivateDir(cache)) nodeModule.enableCompileCache(cache);
if (op === 'get') runChecked('helper.cjs', op);
else if (op === 'hook' && sub === 'pre-push') runHot('hook.cjs');
else if (hasBackslash(__dirname)) cannotLoadEsm();
else if (op === 'store' || op === 'erase') runChecked('helper.cjs', op);
else
  import('../dist/cli.mjs').catch((err) => {
    incomplete(path.join(__dirname, '..', 'dist', 'cli.mjs'), err);
    throw err;
  });

/**
 * Whether `dir` has a backslash, which Node's ES module loader refuses in a path: the module's
 * file URL has it as %5C, and every such URL is rejected (ERR_INVALID_MODULE_SPECIFIER), for a
 * module there and for each package one imports from there, whatever the specifier (relative,
 * absolute, a file URL, a bare name; require() of an ES module too). On Windows it is the
 * separator, written / in the URL.
 */
function hasBackslash(dir) {
  return process.platform !== 'win32' && dir.includes('\\');
}

/**
 * Says in one line that the program cannot run from where it is installed and exits 1: every
 * command but get and the hook is, or loads, an ES module (the CLI; conf for store and erase).
 * Those two load none and run as they are (a refused pre-push check would stop every push).
 */
function cannotLoadEsm() {
  process.stderr.write(
    `git-credential-bitbucket: it cannot run from ${path.dirname(__dirname)}: Node loads no ES module from a path with a backslash (\\); install it where the path has none (install.sh --prefix DIR, or npm install -g with another prefix)\n`,
  );
  process.exit(1);
}

/** Whether this Node keeps compiled code itself (module.enableCompileCache, Node 22.1+). */
function hasCompileCache(version) {
  const [major, minor] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 1);
}

/**
 * The cache directory: a copy of `cacheDir` in src/settings.ts, which this file may not load
 * (test/settings.test.ts compares the two). `$XDG_CACHE_HOME/git-credential-bitbucket` (absolute
 * only: the XDG spec says to ignore a relative one, and the hook runs in many working
 * directories), else `cache` in $GIT_CREDENTIAL_BITBUCKET_DIR, else `~/.cache/git-credential-bitbucket`
 * (HOME only when absolute, else the account's home directory; undefined, no cache, without one).
 */
function cacheDir(env) {
  const abs = (p) => (p && path.isAbsolute(p) ? p : undefined);
  if (abs(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'git-credential-bitbucket');
  if (env.GIT_CREDENTIAL_BITBUCKET_DIR) return path.join(path.resolve(env.GIT_CREDENTIAL_BITBUCKET_DIR), 'cache');
  const home = abs(env.HOME) || accountHome();
  return home ? path.join(home, '.cache', 'git-credential-bitbucket') : undefined;
  function accountHome() {
    try {
      return abs(builtin('node:os').userInfo().homedir);
    } catch {
      return undefined;
    }
  }
}

/**
 * True when `dir` is a directory of this user that nobody else can write to. Compiled code read
 * from (or written to) a place another user controls would run as this user.
 */
function isPrivateDir(dir) {
  try {
    return privateProblem(fs.lstatSync(dir), true, process.getuid ? process.getuid() : undefined) === undefined;
  } catch {
    return false;
  }
}

/**
 * The rule for private paths: a copy of `privateProblem` in src/private-dir.ts, which this file
 * may not load (test/private-dir.test.ts runs one table against both).
 */
function privateProblem(st, dir, uid) {
  if (st.isSymbolicLink()) return 'symlink';
  if (dir ? !st.isDirectory() : !st.isFile()) return 'kind';
  if (uid !== undefined && st.uid !== uid) return 'owner';
  if (st.mode & 0o022) return 'writable';
  return undefined;
}

/**
 * True when `dir` is a private directory of this user (isPrivateDir), made with mode 0700 if it
 * was not there. Nothing is made inside a directory of another user (root's, like /tmp, aside):
 * root with a user's HOME (`sudo -E git ...`) would leave a root-owned ~/.cache there, which
 * breaks that user's own tools (git credential-cache among them). The cache is skipped then, as
 * for a directory of someone else (src/private-dir.ts's ensurePrivateDir has the same rule).
 */
function ensurePrivateDir(dir) {
  if (isPrivateDir(dir)) return true;
  try {
    if (!mayCreateIn(dir)) return false;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  return isPrivateDir(dir);
}

/** Whether the nearest directory that exists on `dir`'s path is this user's or root's. */
function mayCreateIn(dir) {
  const uid = process.getuid ? process.getuid() : undefined;
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      if (path.dirname(p) === p) return false;
      continue;
    }
    return uid === undefined || st.uid === uid || st.uid === 0;
  }
}

/**
 * Runs a CommonJS bundle. On Node 20 (no module.enableCompileCache) it is compiled through
 * vm.Script with V8's code cache: the first run writes, at exit, the code compiled while it
 * ran; later runs skip most parsing and compiling (2-4 ms of the hook's ~9 ms of own work).
 * - The file name carries the bundle's size, mtime, ctime and inode and the Node version: a
 *   rebuilt or reinstalled bundle never gets code compiled for another one (V8 itself checks
 *   only the source length, and would run the stale code).
 * - V8 checks only a cache's header, and damaged code crashes Node, loops or fails in odd
 *   ways. The file holds the cache twice and is used only when both copies are the same, byte
 *   for byte (see readChecked), so damage to the file never runs. (Files are written whole
 *   under a new name and renamed into place, so a half-written one is never read.)
 * - Besides, a cache in use is moved aside and put back only by a run that exits normally and
 *   without an unexpected error (the hook marks one, see src/load-esm.ts): code that went wrong
 *   for any other reason is compiled afresh next time instead of failing on every run.
 * - Only a directory of this user that no one else can write is used (see isPrivateDir).
 * The build makes sure such a bundle has no import() of its own (see below).
 */
function runHot(name) {
  runBundle(name, (compile, cacheFile, suffix) => {
    const taken = isPrivateDir(cache) ? takeCache(cacheFile) : undefined;
    const script = compile(taken?.data);
    if (taken && !script.cachedDataRejected) {
      process.once('exit', () => {
        try {
          // a run that failed unexpectedly may have run damaged code: compile afresh next time
          if (globalThis[Symbol.for('git-credential-bitbucket.failed')]) fs.rmSync(taken.aside, { force: true });
          else fs.renameSync(taken.aside, cacheFile);
        } catch {
          // cleaned up by a concurrent run: the next run writes a new one
        }
      });
    } else {
      process.once('exit', () => {
        if (taken) fs.rmSync(taken.aside, { force: true });
        writeCache(cacheFile, `${name}-`, suffix, script);
      });
    }
    return script;
  });
}

/**
 * Runs the credential helper's bundle, on Node 20 through V8's code cache (on 22+ Node keeps its
 * own, checked one, see above). git runs it on every HTTPS operation, and compiling it is about a
 * third of what it costs over a bare Node start. The helper reads and writes the store, so a
 * damaged cache must never run even once (V8 checks only a cache's header, and the hook's way,
 * dropping a cache after a run that went wrong, would be too late): the file holds the cache
 * twice and is used only when both copies are the same, byte for byte (a comparison costs next to
 * nothing; a checksum in JavaScript or through node:zlib costs more than the cache saves). A
 * cache that is missing, differs or that V8 rejects is written anew at exit (see writeCache).
 * Otherwise as runHot: the file name binds the cache to this bundle and this Node, and only a
 * private directory is used. Each operation has its own cache (V8 keeps in it the code compiled
 * by the run that wrote it): `get`'s is not one written by a `store` that ran first.
 */
function runChecked(name, op) {
  runBundle(
    name,
    (compile, cacheFile, suffix) => {
      const data = isPrivateDir(cache) ? readChecked(cacheFile) : undefined;
      const script = compile(data);
      if (!data || script.cachedDataRejected)
        process.once('exit', () => writeCache(cacheFile, `${name}.${op}-`, suffix, script));
      return script;
    },
    `${name}.${op}`,
  );
}

/**
 * Runs dist/<name>, compiled by `withCache(compile, cacheFile, suffix)` (the cache file named after
 * `cacheName`), which reads the cache its
 * way, calls `compile(cachedData)` and arranges what happens to the cache at exit; as it is when
 * Node keeps compiled code itself, there is no cache directory, or anything fails.
 */
function runBundle(name, withCache, cacheName = name) {
  const file = path.join(__dirname, '..', 'dist', name);
  if (nodeModule.enableCompileCache || !cache) {
    requireBundle(file);
    return;
  }
  let fn;
  try {
    const vm = builtin('node:vm');
    const { path: cacheFile, suffix } = cacheFileFor(file, cacheName);
    const compile = (cachedData) => new vm.Script(wrapCommonJs(file), { filename: file, cachedData });
    fn = withCache(compile, cacheFile, suffix).runInThisContext();
  } catch {
    requireBundle(file);
    return;
  }
  runWrapped(fn, file);
}

/** require(file), with one line instead of Node's stack trace when the bundle is missing. */
function requireBundle(file) {
  try {
    require(file);
  } catch (err) {
    incomplete(file, err);
    throw err;
  }
}

/**
 * When `err` comes from `file` (a bundle of dist/) missing, says so in one line and exits 1: an
 * installation whose dist/ is gone (a `git clean` in the checkout it runs from, an interrupted
 * install) would otherwise print a stack trace on every git operation. Anything else is left
 * to the caller.
 */
function incomplete(file, err) {
  const code = err && err.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return;
  if (fs.existsSync(file)) return; // the bundle is there: something it loads is not
  process.stderr.write(
    `git-credential-bitbucket: this installation is incomplete: ${file} is missing; install it again (npm install -g, or install.sh), or run \`npm run build\` in a checkout\n`,
  );
  process.exit(1);
}

/** Runs a bundle compiled by wrapCommonJs as Node runs a CommonJS module. */
function runWrapped(fn, file) {
  // Code compiled by vm.Script cannot import() on Node 20; src/load-esm.ts borrows this one.
  globalThis[Symbol.for('git-credential-bitbucket.import')] = (specifier) => import(specifier);
  const mod = { exports: {}, filename: file, id: file };
  // Hot bundles take Node's built-in modules from process.getBuiltinModule (scripts/build.mjs):
  // a require() of their own is made only for something else (the hook's network bundle).
  let own;
  const lazyRequire = (id) => (own ??= nodeModule.createRequire(file))(id);
  fn.call(mod.exports, mod.exports, lazyRequire, mod, file, path.dirname(file));
}

/** The cache in a file written by writeCache with two copies, when they are the same; else undefined. */
function readChecked(file) {
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      const st = fs.fstatSync(fd);
      if (process.getuid && st.uid !== process.getuid()) return undefined;
      const both = readWhole(fd, st.size);
      const half = both.length / 2;
      if (half < 1 || !Number.isInteger(half)) return undefined;
      const first = both.subarray(0, half);
      return Buffer.compare(first, both.subarray(half)) === 0 ? first : undefined;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // none yet, or unreadable: written anew at exit
  }
}

/**
 * Everything from `fd` to its end, in a Uint8Array (a copy of readWhole in src/bytes.ts, which this
 * file may not load): fs.readFileSync(fd) would be compiled at this first call, which costs more
 * than reading the cache saves.
 */
function readWhole(fd, sizeHint) {
  let buf = new Uint8Array(sizeHint + 1);
  let total = 0;
  for (;;) {
    if (total === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    const n = fs.readSync(fd, buf, total, buf.length - total, null);
    if (n === 0) return buf.subarray(0, total);
    total += n;
  }
}

/**
 * The cache file of a bundle: its name carries the bundle's size, mtime, ctime and inode and the
 * Node version, so that a rebuilt or reinstalled bundle never gets code compiled for another one.
 */
function cacheFileFor(file, name) {
  const st = fs.statSync(file);
  const suffix = `-${process.version}-${process.arch}.v8`;
  return {
    path: path.join(cache, `${name}-${st.size}-${Math.trunc(st.mtimeMs)}-${Math.trunc(st.ctimeMs)}-${st.ino}${suffix}`),
    suffix,
  };
}

/** A CommonJS file's source wrapped as Node wraps it. */
function wrapCommonJs(file) {
  return `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'utf8')}\n})`;
}

/**
 * Moves the cache aside for this run and reads it (as readChecked: ours, and both copies the
 * same); undefined when there is none of ours.
 */
function takeCache(file) {
  const aside = `${file}.${process.pid}.inuse`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return undefined; // no cache yet (or another run has it right now)
  }
  const data = readChecked(aside);
  if (data) return { data, aside };
  fs.rmSync(aside, { force: true }); // unreadable, not ours or its copies differ: written anew at exit
  return undefined;
}

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Writes the cache through a new temporary file (O_EXCL: never through a link someone placed
 * there) renamed over the old one, and drops older builds' caches of the same bundle for this
 * Node (other Node versions in use keep theirs) and files left by runs that were killed or
 * crashed. The file holds the cache twice (readChecked compares the copies).
 */
function writeCache(file, prefix, suffix, script) {
  const dir = path.dirname(file);
  if (!ensurePrivateDir(dir)) return;
  const tmp = `${file}.${process.pid}.${process.hrtime.bigint()}.tmp`;
  try {
    const data = script.createCachedData();
    fs.writeFileSync(tmp, Buffer.concat([data, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    for (const old of fs.readdirSync(dir)) {
      const stale = old !== path.basename(file) && old.startsWith(prefix) && old.endsWith(suffix);
      const owner = /\.v8\.(\d+)\.(?:\d+\.tmp|inuse)$/.exec(old)?.[1];
      if (stale || (owner !== undefined && !isRunning(Number(owner)))) fs.rmSync(path.join(dir, old), { force: true });
    }
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs time
  }
}
