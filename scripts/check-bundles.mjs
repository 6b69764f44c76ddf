// Build-time checks of the hot bundles (run by scripts/build.mjs; tested by
// test/build-checks.test.ts). They look at what a bundle loads, whatever the source files are
// called, so that a rename or a new import fails the build instead of slowing every push.

/** Network modules the hook's own bundle must never load: they belong in dist/hook-net.cjs. */
export const NETWORK_MODULES = ['http', 'https', 'tls', 'net', 'http2', 'dns'];

/**
 * A module loaded when the bundle starts: `require("x")`, or the form scripts/build.mjs gives a
 * hot bundle's imports of built-ins, `(process.getBuiltinModule??require)("x")`. (A lazy
 * `process.getBuiltinModule("x")` inside a function is not one of these.) Group 1: the name
 * without `node:`.
 */
const LOADED =
  /(?:\brequire|\(\s*process\.getBuiltinModule\s*\?\?\s*require\s*\))\(\s*["'](?:node:)?([a-z0-9/-]+)["']\s*\)/g;

/** The network modules `text` (a CommonJS bundle) requires, with or without the `node:` prefix. */
export function networkRequires(text) {
  const found = new Set();
  for (const m of text.matchAll(LOADED)) if (NETWORK_MODULES.includes(m[1])) found.add(`node:${m[1]}`);
  for (const m of text.matchAll(/\bgetBuiltinModule\(\s*["'](?:node:)?([a-z0-9]+)["']\s*\)/g))
    if (NETWORK_MODULES.includes(m[1])) found.add(`node:${m[1]}`);
  return [...found].sort();
}

/**
 * The network modules `text` may reach, but for one: node:net asked for lazily, for the local
 * D-Bus socket only (the bounded ping before a keyring call, src/store/bus-ping.ts), is never
 * loaded when the bundle starts and never reaches a server.
 */
export function serverRequires(text) {
  const atStart = new Set([...text.matchAll(LOADED)].map((m) => `node:${m[1]}`));
  return networkRequires(text).filter((m) => m !== 'node:net' || atStart.has(m));
}

/** Throws when the hook bundle would load network code at start. */
export function checkHookBundle(name, text) {
  const found = serverRequires(text);
  if (found.length > 0)
    throw new Error(
      `dist/${name} loads ${found.join(', ')}: the network code must stay in dist/hook-net.cjs, loaded only on a cache miss (see scripts/build.mjs)`,
    );
}

/** The launcher compiles hot bundles through vm.Script, where import() does not work on Node 20. */
export function checkNoImport(name, text) {
  const n = text.match(/\bimport\(/g)?.length ?? 0;
  if (n > 1 || (n === 1 && !text.includes('Symbol.for("git-credential-bitbucket.import")'))) {
    throw new Error(`dist/${name}: ${n} import() call(s); hot bundles may only import through src/load-esm.ts`);
  }
}

/**
 * What the hot bundles may not require at all: the CLI's own dependencies, and built-ins that
 * bring the stream and net modules with them (tty and readline do; process.stdout does too,
 * which is why the hot paths write through src/fdwrite.ts). A terminal check that needs tty
 * asks for it lazily (process.getBuiltinModule, see isTerminal in src/fdwrite.ts).
 */
export const HEAVY_MODULES = ['yargs', 'execa', 'simple-git', 'tty', 'readline', 'stream'];

/** The heavy modules `text` (a CommonJS bundle) requires, with or without the `node:` prefix. */
export function heavyRequires(text) {
  const found = new Set();
  for (const m of text.matchAll(LOADED)) if (HEAVY_MODULES.includes(m[1])) found.add(m[1]);
  return [...found].sort();
}

/** Throws when a hot bundle would load a heavy module (see HEAVY_MODULES), or the helper's any network module. */
export function checkHotBundle(name, text) {
  const heavy = heavyRequires(text);
  if (heavy.length > 0)
    throw new Error(`dist/${name} requires ${heavy.join(', ')}: too slow to load on every git operation`);
  if (name === 'helper.cjs') {
    const network = serverRequires(text);
    if (network.length > 0)
      throw new Error(`dist/${name} loads ${network.join(', ')}: get, store and erase never connect to a server`);
  }
}
