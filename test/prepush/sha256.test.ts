import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/prepush/sha256.js';
import { tokenFingerprint } from '../../src/bitbucket/token.js';

describe('sha256 without node:crypto (the hook does not load OpenSSL)', () => {
  it('matches node:crypto on known vectors', () => {
    for (const s of [
      '',
      'abc',
      'a'.repeat(55),
      'a'.repeat(56),
      'a'.repeat(64),
      'é€𝄞',
      'BBDC-MTAwMDAwMDAwMDAxOgmV9g4a1pLP7N8T/4IYD1gm8JA6',
    ]) {
      expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
    }
  });

  it('property: matches node:crypto for any string, so cache keys agree with tokenFingerprint', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
        expect(sha256Hex(s).slice(0, 16)).toBe(tokenFingerprint(s));
      }),
      { numRuns: 500 },
    );
  });
});
