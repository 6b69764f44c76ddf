/**
 * Code compiled by vm.Script (as the launcher runs the hook's bundle on Node 20) cannot
 * import(); loadEsm uses the import() the launcher lends instead.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, expect, it } from 'vitest';
import { IMPORT_SYMBOL } from '../src/load-esm.js';
import { ROOT } from './helpers/sandbox.js';

const lent = globalThis as Record<symbol, unknown>;
afterEach(() => void delete lent[IMPORT_SYMBOL]);

it('loads an ES-module-only package from vm.Script code through the lent import()', async () => {
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [path.join(ROOT, 'src/load-esm.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const file = path.join(ROOT, 'dist', 'load-esm-test.cjs');
  const script = new vm.Script(`(function (exports, require, module) {${out.outputFiles[0]!.text}\n})`, {
    filename: file,
  });
  const mod = { exports: {} as { loadEsm(s: string): Promise<{ default: unknown }> } };
  (script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: unknown) => void)(
    mod.exports,
    createRequire(file),
    mod,
  );
  await expect(mod.exports.loadEsm('conf')).rejects.toThrow(/dynamic import callback/i);
  lent[IMPORT_SYMBOL] = (specifier: string) => import(specifier);
  const conf = await mod.exports.loadEsm('conf');
  expect(typeof conf.default).toBe('function');
});
