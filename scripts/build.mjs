// Bundles src/ into dist/ with esbuild:
//   dist/helper.cjs  the credential fast path (get/store/erase), CommonJS: starts fastest
//   dist/hook.cjs    the pre-push hook's fast path (hook pre-push), CommonJS; its network part
//                    in dist/hook-net.cjs, loaded only on a cache miss
//   dist/cli.mjs     every other command (ESM: yargs, execa and conf are ESM-only)
//   dist/emulator.mjs the Bitbucket Server emulator, for tests, the demo and benchmarks
import { build } from 'esbuild';
import { rm, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { checkHookBundle, checkHotBundle, checkNoImport } from './check-bundles.mjs';

const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20.19',
  legalComments: 'none',
  external,
  define: { __VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};

// The hot paths git runs on every HTTPS operation and every push: CommonJS (starts faster than
// ESM) and minified (less to parse). The hook's network code (src/prepush/server.ts, with the
// HTTP client) is a bundle of its own, loaded only on a cache miss: a warm push never parses it.
const hot = {
  ...common,
  format: 'cjs',
  minify: true,
  // import.meta.url does not exist in CommonJS. Hot code hands it only to createRequire, which
  // takes a path as well as a file URL; the bundle's own path costs nothing to compute.
  define: { ...common.define, 'import.meta.url': '__filename' },
  plugins: [builtinsWithoutInterop()],
};
/**
 * In CommonJS output esbuild wraps every `import x from 'node:fs'` in __toESM, which copies
 * each of the module's properties (a hundred for fs) onto a new object, once per importing
 * file: about a millisecond of every hook start. Node's built-ins need no interop, so in hot
 * bundles each importing file gets a small ES module with just what it imports, read off the
 * module process.getBuiltinModule returns (cheaper than a require(), which resolves the name
 * through the module loader first; Node 20.16+ and 22.3+, require() before). Side-effect free:
 * a file whose imports go unused does not load the module.
 */
function builtinsWithoutInterop() {
  const load = createRequire(import.meta.url);
  return {
    name: 'builtins-without-interop',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, async (args) => {
        if (args.kind !== 'import-statement') return undefined;
        const names = importedNames(await readFile(args.importer, 'utf8'), args.path);
        if (!names) return undefined; // a namespace import: esbuild's own interop
        return {
          path: `${args.path}?${names.join(',')}`,
          namespace: 'builtin',
          sideEffects: false,
          pluginData: { id: args.path, names },
        };
      });
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, ({ pluginData: { id, names } }) => {
        const m = load(id);
        const missing = names.filter((n) => m[n] === undefined);
        if (missing.length) return { errors: [{ text: `${id} has no export ${missing.join(', ')}` }] };
        return {
          contents: [
            `const m = (process.getBuiltinModule ?? require)(${JSON.stringify(id)});`,
            'export default m;',
            ...names.map((n) => `export const ${n} = m.${n};`),
          ].join('\n'),
          loader: 'js',
        };
      });
    },
  };
}

/** The named imports of `id` in a source file (type-only ones left out); undefined for `* as`. */
function importedNames(source, id) {
  const names = new Set();
  const quoted = id.replace(/[/]/g, '\\/');
  for (const m of source.matchAll(new RegExp(`import\\s+(type\\s+)?([^'";]*?)\\s+from\\s+['"]${quoted}['"]`, 'g'))) {
    if (m[1]) continue;
    if (m[2].includes('*')) return undefined;
    const braces = /\{([^}]*)\}/.exec(m[2]);
    for (const spec of braces ? braces[1].split(',') : []) {
      const name = spec
        .trim()
        .split(/\s+as\s+/)[0]
        .trim();
      if (name && !name.startsWith('type ')) names.add(name);
    }
  }
  return [...names].sort();
}

// gather.ts's `import('./server.js')` becomes a require() of dist/hook-net.cjs at run time.
const hookNetwork = {
  name: 'hook-network-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/server\.js$/ }, (args) =>
      args.importer.endsWith(`prepush${path.sep}gather.ts`) ? { path: 'hook-net', namespace: 'hook-net' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'hook-net' }, () => ({
      contents: "module.exports = require('./hook-net.cjs');",
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\/hook-net\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};
await build({ ...hot, entryPoints: ['src/helper-main.ts'], outfile: 'dist/helper.cjs' });
await build({
  ...hot,
  entryPoints: ['src/hook-main.ts'],
  outfile: 'dist/hook.cjs',
  plugins: [hookNetwork, ...hot.plugins],
});
await build({ ...hot, entryPoints: ['src/prepush/server.ts'], outfile: 'dist/hook-net.cjs' });
// The launcher compiles hot bundles through vm.Script, where import() does not work on Node 20:
// the only one allowed is loadEsm's (src/load-esm.ts), which the launcher serves. And the hook's
// own bundle must not load the network modules, whatever the files are called, and neither
// hot bundle anything heavy at start (scripts/check-bundles.mjs).
for (const name of ['helper.cjs', 'hook.cjs', 'hook-net.cjs']) {
  const text = await readFile(new URL(`../dist/${name}`, import.meta.url), 'utf8');
  checkNoImport(name, text);
  if (name !== 'hook-net.cjs') checkHotBundle(name, text);
  if (name === 'hook.cjs') checkHookBundle(name, text);
}

await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.mjs', format: 'esm' });

await build({ ...common, entryPoints: ['test/emulator/cli.ts'], outfile: 'dist/emulator.mjs', format: 'esm' });
