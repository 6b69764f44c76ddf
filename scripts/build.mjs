// Bundles src/ into dist/ with esbuild:
//   dist/helper.cjs  the credential fast path (get/store/erase), CommonJS: starts fastest
//   dist/hook.cjs    the pre-push hook's fast path (hook pre-push), CommonJS
//   dist/cli.mjs     every other command (ESM: yargs, execa and conf are ESM-only)
//   dist/emulator.mjs the Bitbucket Server emulator, for tests, the demo and benchmarks
import { build } from 'esbuild';
import { rm, readFile } from 'node:fs/promises';

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

// The two hot paths git runs on every HTTPS operation and every push, CommonJS for start-up.
for (const [entry, out] of [['src/helper-main.ts', 'dist/helper.cjs'], ['src/hook-main.ts', 'dist/hook.cjs']]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: out,
    format: 'cjs',
    // import.meta.url does not exist in CommonJS: give it the bundle's own file URL.
    define: { ...common.define, 'import.meta.url': '__bundle_url' },
    banner: { js: "const __bundle_url = require('node:url').pathToFileURL(__filename).href;" },
  });
}

await build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.mjs', format: 'esm' });

await build({ ...common, entryPoints: ['test/emulator/cli.ts'], outfile: 'dist/emulator.mjs', format: 'esm' });
