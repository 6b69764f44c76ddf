#!/usr/bin/env node
'use strict';
// Launcher: loads a built bundle, nothing else. git runs get/store/erase on every HTTPS
// operation and the pre-push hook on every push, so those go to small CommonJS bundles, run
// with their compiled code kept between runs; every other command goes to the full CLI.
const fs = require('node:fs');
const path = require('node:path');
const nodeModule = require('node:module');

const [op, sub] = process.argv.slice(2);
const cache = codeCacheDir(process.env);
// Node 22.1+ keeps compiled code itself: in our private directory, never the shared tmp.
if (nodeModule.enableCompileCache && cache && ensurePrivateDir(cache)) nodeModule.enableCompileCache(cache);
if (op === 'get' || op === 'store' || op === 'erase') runHot('helper.cjs');
else if (op === 'hook' && sub === 'pre-push') runHot('hook.cjs');
else import('../dist/cli.mjs');

/**
 * `$XDG_CACHE_HOME/git-credential-bitbucket/code`, else `cache/code` under
 * $GIT_CREDENTIAL_BITBUCKET_DIR, else `~/.cache/git-credential-bitbucket/code`; relative paths
 * are ignored (the XDG spec says so, and the hook runs in many working directories).
 */
function codeCacheDir(env) {
  const abs = (p) => (p && path.isAbsolute(p) ? p : undefined);
  if (abs(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'git-credential-bitbucket', 'code');
  if (abs(env.GIT_CREDENTIAL_BITBUCKET_DIR)) return path.join(env.GIT_CREDENTIAL_BITBUCKET_DIR, 'cache', 'code');
  if (abs(env.HOME)) return path.join(env.HOME, '.cache', 'git-credential-bitbucket', 'code');
  return undefined;
}

/**
 * True when `dir` is a directory of this user that nobody else can write to. Compiled code read
 * from (or written to) a place another user controls would run as this user.
 */
function isPrivateDir(dir) {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && (!process.getuid || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function ensurePrivateDir(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return false;
  }
  return isPrivateDir(dir);
}

/**
 * Runs a CommonJS bundle. On Node 20 (no module.enableCompileCache) it is compiled through
 * vm.Script with V8's code cache: the first run writes, at exit, the code compiled while it
 * ran; later runs skip most parsing and compiling (about half of the hook's own time).
 * - The file name carries the bundle's size, mtime, ctime and inode and the Node version: a
 *   rebuilt or reinstalled bundle never gets code compiled for another one (V8 itself checks
 *   only the source length, and would run the stale code).
 * - The data is stored behind a checksum: V8 checks only the cache's header, and damaged
 *   code crashes Node, on every run, before a new cache could be written.
 * - Only a directory of this user that no one else can write is used (see isPrivateDir).
 * The build makes sure such a bundle has no import() of its own (see below).
 */
function runHot(name) {
  const file = path.join(__dirname, '..', 'dist', name);
  if (nodeModule.enableCompileCache || !cache) {
    require(file);
    return;
  }
  let fn;
  try {
    const vm = require('node:vm');
    const st = fs.statSync(file);
    const suffix = `-${process.version}-${process.arch}.v8`;
    const cacheFile = path.join(cache, `${name}-${st.size}-${Math.trunc(st.mtimeMs)}-${Math.trunc(st.ctimeMs)}-${st.ino}${suffix}`);
    const cachedData = isPrivateDir(cache) ? readCache(cacheFile) : undefined;
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'utf8')}\n})`, {
      filename: file,
      cachedData,
    });
    if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(cacheFile, `${name}-`, suffix, script));
    fn = script.runInThisContext();
  } catch {
    require(file);
    return;
  }
  // Code compiled by vm.Script cannot import() on Node 20; src/load-esm.ts borrows this one.
  globalThis[Symbol.for('git-credential-bitbucket.import')] = (specifier) => import(specifier);
  const mod = { exports: {}, filename: file, id: file };
  fn.call(mod.exports, mod.exports, nodeModule.createRequire(file), mod, file, path.dirname(file));
}

/** FNV-1a over 32-bit words: enough to tell a damaged file (not meant against tampering). */
function checksum(buf) {
  const aligned = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2);
  let h = -2128831035;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 16777619);
  for (let i = words.length * 4; i < aligned.length; i++) h = Math.imul(h ^ aligned[i], 16777619);
  return h >>> 0;
}

/** The cached data when the file is ours and intact (4-byte checksum, then V8's data). */
function readCache(file) {
  let buf;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      if (process.getuid && fs.fstatSync(fd).uid !== process.getuid()) return undefined;
      buf = fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // no cache yet
  }
  if (buf.length < 8) return undefined;
  const data = buf.subarray(4);
  return buf.readUInt32LE(0) === checksum(data) ? data : undefined;
}

/**
 * Writes the cache through a new temporary file (O_EXCL: never through a link someone placed
 * there) renamed over the old one, and drops older builds' caches of the same bundle for this
 * Node (other Node versions in use keep theirs) and temporary files left by killed runs.
 */
function writeCache(file, prefix, suffix, script) {
  const dir = path.dirname(file);
  if (!ensurePrivateDir(dir)) return;
  const tmp = `${file}.${process.pid}.${process.hrtime.bigint()}.tmp`;
  try {
    const data = script.createCachedData();
    const head = Buffer.alloc(4);
    head.writeUInt32LE(checksum(data));
    fs.writeFileSync(tmp, Buffer.concat([head, data]), { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    const now = Date.now();
    for (const old of fs.readdirSync(dir)) {
      const p = path.join(dir, old);
      const stale = old !== path.basename(file) && old.startsWith(prefix) && old.endsWith(suffix);
      const leftover = old.endsWith('.tmp') && now - fs.statSync(p).mtimeMs > 60_000;
      if (stale || leftover) fs.rmSync(p, { force: true });
    }
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs time
  }
}
