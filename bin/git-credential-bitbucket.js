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
// Node 22.1+ keeps compiled code itself; point it at our private directory, not the shared tmp.
if (nodeModule.enableCompileCache) nodeModule.enableCompileCache(...(cache ? [cache] : []));
if (op === 'get' || op === 'store' || op === 'erase') runHot('helper.cjs');
else if (op === 'hook' && sub === 'pre-push') runHot('hook.cjs');
else import('../dist/cli.mjs');

/**
 * `$XDG_CACHE_HOME/git-credential-bitbucket/code` (else under $GIT_CREDENTIAL_BITBUCKET_DIR,
 * else ~/.cache): the user's own directory, 0700, never a shared one. Compiled code read from
 * a place another user can write would run as this user.
 */
function codeCacheDir(env) {
  const base = env.XDG_CACHE_HOME || (env.GIT_CREDENTIAL_BITBUCKET_DIR ? path.join(env.GIT_CREDENTIAL_BITBUCKET_DIR, 'cache') : env.HOME && path.join(env.HOME, '.cache'));
  return base && path.isAbsolute(base) ? path.join(base, 'git-credential-bitbucket', 'code') : undefined;
}

/**
 * Runs a CommonJS bundle. On Node 20 (no module.enableCompileCache) it is compiled through
 * vm.Script with V8's code cache: the first run writes, at exit, the code compiled while it
 * ran; later runs skip most parsing and compiling (about half of the hook's own time). The
 * cache file is named after the bundle's size, mtime and inode and the Node version, so a
 * rebuilt bundle or another Node never gets stale code (V8 itself checks only the source
 * length). The build makes sure such a bundle has no import() of its own (see below).
 */
function runHot(name) {
  const file = path.join(__dirname, '..', 'dist', name);
  if (nodeModule.enableCompileCache || !cache) {
    require(file);
    return;
  }
  const vm = require('node:vm');
  let fn;
  let cacheFile;
  try {
    const st = fs.statSync(file);
    cacheFile = path.join(cache, `${name}-${st.size}-${Math.trunc(st.mtimeMs)}-${st.ino}-${process.version}-${process.arch}.v8`);
    let cachedData;
    try {
      const fd = fs.openSync(cacheFile, 'r');
      try {
        if (!process.getuid || fs.fstatSync(fd).uid === process.getuid()) cachedData = fs.readFileSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // no cache yet
    }
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'utf8')}\n})`, {
      filename: file,
      cachedData,
    });
    if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(cacheFile, script));
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

/** Writes the cache (atomically) and drops those of older builds of the same bundle. */
function writeCache(file, script) {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(tmp, file);
    const prefix = `${path.basename(file).split('-')[0]}-`;
    for (const old of fs.readdirSync(dir)) if (old.startsWith(prefix) && old.endsWith('.v8') && old !== path.basename(file)) fs.rmSync(path.join(dir, old), { force: true });
  } catch {
    // a cache that cannot be written only costs time
  }
}
