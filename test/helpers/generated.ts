/**
 * Shared by the tests that check written-out code against what it stands for: strings generated
 * over a chosen set of characters (fast-check), and source files bundled for a child process.
 */
import fc from 'fast-check';
import { build } from 'esbuild';
import { expect } from 'vitest';

/** Strings of up to `maxLength` characters, each one of `chars`. */
export const stringsOver = (chars: string | readonly string[], maxLength = 24, minLength = 0): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...chars), { minLength, maxLength }).map((a) => a.join(''));

/** `ours` and `oracle` give equal results on every sample. */
export function agree<T>(
  samples: fc.Arbitrary<string>,
  ours: (s: string) => T,
  oracle: (s: string) => T,
  numRuns = 3000,
): void {
  fc.assert(
    fc.property(samples, (s) => {
      expect(ours(s), JSON.stringify(s)).toEqual(oracle(s));
    }),
    { numRuns },
  );
}

/** Bundles `entry` (TypeScript importing src/) into a CommonJS file that a plain `node` child can run. */
export async function bundleForChild(entry: string, outfile: string): Promise<void> {
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
}
