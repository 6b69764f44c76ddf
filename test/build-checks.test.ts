// The build's check that the hook's own bundle loads no network module (scripts/check-bundles.mjs):
// it looks at the bundle, not at file names, so a renamed source file fails the build.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the build, without types
import { checkHookBundle, checkHotBundle, heavyRequires, networkRequires } from '../scripts/check-bundles.mjs';
import { ROOT } from './helpers/sandbox.js';

const check = checkHookBundle as (name: string, text: string) => void;
const requires = networkRequires as (text: string) => string[];
const checkHot = checkHotBundle as (name: string, text: string) => void;
const heavy = heavyRequires as (text: string) => string[];
const dist = (name: string) => fs.readFileSync(path.join(ROOT, 'dist', name), 'utf8');

describe('the hook bundle check', () => {
  it('passes the built hook bundle, which keeps its network code apart', () => {
    // only the lazy node:net of the D-Bus ping before a keyring call (src/store/bus-ping.ts)
    expect(requires(dist('hook.cjs'))).toEqual(['node:net']);
    expect(() => check('hook.cjs', dist('hook.cjs'))).not.toThrow();
    expect(() => check('hook.cjs', 'const n=require("node:net");')).toThrow(/dist\/hook\.cjs loads node:net/);
    expect(requires(dist('hook-net.cjs')).length).toBeGreaterThan(0);
  });

  it('fails a hook bundle with the network code inlined, as a build without the split makes it', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const out = await build({
      entryPoints: [path.join(ROOT, 'src', 'hook-main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20.19',
      minify: true,
      write: false,
      external: Object.keys(pkg.dependencies),
      define: { __VERSION__: '"0"', 'import.meta.url': '__filename' },
      logLevel: 'silent',
    });
    const text = out.outputFiles[0]!.text;
    expect(requires(text)).toEqual(expect.arrayContaining(['node:http', 'node:https']));
    expect(() => check('hook.cjs', text)).toThrow(/dist\/hook\.cjs loads .*node:https.*dist\/hook-net\.cjs/);
  });

  it('sees every way of writing the require', () => {
    expect(requires('require("https");require( "node:tls" );process.getBuiltinModule("node:net")')).toEqual([
      'node:https',
      'node:net',
      'node:tls',
    ]);
    expect(requires('require("node:fs");require("./hook-net.cjs")')).toEqual([]);
    // the form scripts/build.mjs gives a hot bundle's imports of built-ins
    expect(
      requires(
        'const a=(process.getBuiltinModule??require)("node:http"),b=(process.getBuiltinModule??require)("node:fs")',
      ),
    ).toEqual(['node:http']);
  });
});

describe('the hot bundles check', () => {
  it('passes the built helper and hook bundles', () => {
    for (const name of ['helper.cjs', 'hook.cjs']) {
      expect(heavy(dist(name)), name).toEqual([]);
      expect(() => checkHot(name, dist(name))).not.toThrow();
    }
    // only the lazy node:net of the D-Bus ping before a keyring call (src/store/bus-ping.ts)
    expect(requires(dist('helper.cjs'))).toEqual(['node:net']);
  });

  it('fails a bundle that requires tty, readline, stream or a CLI dependency, and a helper that connects', () => {
    expect(heavy('require("node:tty");require( "yargs" );require("stream");require("node:fs")')).toEqual([
      'stream',
      'tty',
      'yargs',
    ]);
    expect(() => checkHot('hook.cjs', 'const t=require("node:tty");')).toThrow(/dist\/hook\.cjs requires tty/);
    expect(() => checkHot('hook.cjs', 'const t=(process.getBuiltinModule??require)("node:tty");')).toThrow(
      /dist\/hook\.cjs requires tty/,
    );
    expect(() => checkHot('helper.cjs', 'const h=require("node:https");')).toThrow(
      /dist\/helper\.cjs loads node:https/,
    );
    // node:net only lazily (the local D-Bus socket), never when the helper starts
    expect(() => checkHot('helper.cjs', 'const n=require("node:net");')).toThrow(/dist\/helper\.cjs loads node:net/);
    expect(() =>
      checkHot('helper.cjs', 'function p(){return process.getBuiltinModule("node:net").connect({path:"/b"})}'),
    ).not.toThrow();
    // a lazy terminal check is allowed
    expect(() =>
      checkHot('helper.cjs', 'function t(){return process.getBuiltinModule("node:tty").isatty(2)}'),
    ).not.toThrow();
  });
});
