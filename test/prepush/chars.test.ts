/** src/prepush/chars.ts: each written-out character test against the RegExp it stands for. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hasBreakOrNul,
  isAllZeros,
  isDigits,
  isLowerHex,
  isOid,
  isPlainName,
  sameAsciiNoCase,
} from '../../src/prepush/chars.js';
import { agree, stringsOver } from '../helpers/generated.js';

// strings over an alphabet that reaches every branch (hex digits, both cases, the punctuation the
// tests name, line breaks, NUL, non-ASCII)
const alphabet = [...'0123456789abcdefABCDEFxyzXYZ._-=\r\n\0 é'];
const text = (maxLength = 70) => stringsOver(alphabet, maxLength);

describe('character tests agree with their regular expressions', () => {
  it.each([
    ['isLowerHex(s, 32)', (s: string) => isLowerHex(s, 32), /^[0-9a-f]{32}$/],
    ['isLowerHex(s, 64)', (s: string) => isLowerHex(s, 64), /^[0-9a-f]{64}$/],
    ['hasBreakOrNul', hasBreakOrNul, /[\r\n\0]/],
    ['isDigits', (s: string) => isDigits(s), /^\d+$/],
    ['isOid', isOid, /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/],
    ['isAllZeros', isAllZeros, /^0+$/],
    ['isPlainName', isPlainName, /^[A-Za-z0-9][A-Za-z0-9._-]*$/],
  ])('%s', (_name, test, re) => {
    const hexOf = (n: number) => stringsOver('0123456789abcdef', n, n);
    agree(fc.oneof(text(), hexOf(32), hexOf(40), hexOf(64)), test, (s) => re.test(s), 2000);
  });

  it('sameAsciiNoCase is a non-unicode case-insensitive comparison', () => {
    fc.assert(
      fc.property(text(8), text(8), (a, b) => {
        const escaped = a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        expect(sameAsciiNoCase(a, b)).toBe(new RegExp(`^${escaped}$`, 'i').test(b) && a.length === b.length);
      }),
      { numRuns: 2000 },
    );
    expect(sameAsciiNoCase('Git-Credential-Bitbucket.JS', 'git-credential-bitbucket.js')).toBe(true);
  });
});
