// Bundles src/ into dist/ with esbuild:
//   dist/helper.cjs  the credential fast path (get/store/erase), CommonJS: starts fastest
//   dist/hook.cjs    the pre-push hook's fast path (hook pre-push), CommonJS; its network part
//                    in dist/hook-net.cjs, loaded only on a cache miss
//   dist/cli.mjs     every other command (ESM: yargs, execa and conf are ESM-only)
//   dist/emulator.mjs the Bitbucket Server emulator, for tests, the demo and benchmarks
import { build } from 'esbuild';
import { rm, readFile } from 'node:fs/promises';
import path from 'node:path';

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
  // import.meta.url does not exist in CommonJS: give it the bundle's own file URL.
  define: { ...common.define, 'import.meta.url': '__bundle_url' },
  banner: { js: "var __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
};
const hookNetwork = {
  name: 'hook-network-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/server\.js$/ }, (args) =>
      args.importer.endsWith(`prepush${path.sep}gather.ts`) ? { path: './hook-net.cjs', external: true } : undefined);
  },
};
await build({ ...hot, entryPoints: ['src/helper-main.ts'], outfile: 'dist/helper.cjs' });
await build({ ...hot, entryPoints: ['src/hook-main.ts'], outfile: 'dist/hook.cjs', plugins: [hookNetwork] });
await build({ ...hot, entryPoints: ['src/prepush/server.ts'], outfile: 'dist/hook-net.cjs' });

await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.mjs', format: 'esm' });

await build({ ...common, entryPoints: ['test/emulator/cli.ts'], outfile: 'dist/emulator.mjs', format: 'esm' });
