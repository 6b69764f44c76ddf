import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeTokenId, maskToken, tokenFingerprint } from '../../src/bitbucket/token.js';

function make(id: string, style: 'bbdc' | 'legacy', random = randomBytes(20)): string {
  const body = Buffer.concat([Buffer.from(`${id}:`, 'latin1'), random]).toString('base64');
  return style === 'bbdc' ? `BBDC-${body}` : body;
}

describe('decodeTokenId', () => {
  it('reads the id of a legacy 44-character token, keeping leading zeros', () => {
    const t = make('075905477751', 'legacy');
    expect(t).toHaveLength(44);
    expect(decodeTokenId(t)).toBe('075905477751');
  });

  it('reads the id of a BBDC- token', () => {
    expect(decodeTokenId(make('000000000042', 'bbdc'))).toBe('000000000042');
  });

  it('pads a short integer id to 12 digits', () => {
    expect(decodeTokenId(make('42', 'bbdc'))).toBe('000000000042');
  });

  it('decodes url-safe alphabets and ignores a non-base64 tail', () => {
    const t = make('123456789012', 'bbdc');
    expect(decodeTokenId(t.replace(/\+/g, '-').replace(/\//g, '_'))).toBe('123456789012');
    expect(decodeTokenId(t.slice(0, 30) + '@abc')).toBe('123456789012');
  });

  it.each([
    '',
    'BBDC-',
    'short',
    'BBDC-short',
    'password123',
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    Buffer.from('abc:' + 'x'.repeat(20)).toString('base64'),
    Buffer.from(':' + 'x'.repeat(20)).toString('base64'),
    Buffer.from('123456789012' + 'x'.repeat(20)).toString('base64'),
    Buffer.from('123456789012345678901:' + 'x'.repeat(20)).toString('base64'),
    '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
  ])('returns null for %j', (t) => {
    expect(decodeTokenId(t)).toBeNull();
  });

  it('property: any 12-digit id round-trips in both styles', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.constantFrom('bbdc', 'legacy'),
        (id, random, style) => {
          expect(decodeTokenId(make(id, style as 'bbdc' | 'legacy', Buffer.from(random)))).toBe(id);
        },
      ),
    );
  });

  it('property: never throws, and only returns 12+ digit strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        const id = decodeTokenId(s);
        if (id !== null) expect(id).toMatch(/^\d{12,}$/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('maskToken', () => {
  it('shows at most 4 characters followed by an ellipsis', () => {
    const t = make('075905477751', 'bbdc');
    expect(maskToken(t)).toBe('BBDC…');
    expect(maskToken('abcdefghijklmnop')).toBe('abcd…');
  });

  it('shows less of short values, nothing of very short ones', () => {
    expect(maskToken('abcdefgh')).toBe('ab…');
    expect(maskToken('abc')).toBe('…');
    expect(maskToken('')).toBe('…');
  });

  it('property: reveals at most 4 characters and at most a quarter of the token', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (t) => {
        const m = maskToken(t);
        expect(m.endsWith('…')).toBe(true);
        const shown = m.slice(0, -1);
        expect(t.startsWith(shown)).toBe(true);
        expect(shown.length).toBeLessThanOrEqual(Math.min(4, t.length / 4));
      }),
    );
  });
});

describe('tokenFingerprint', () => {
  it('is a stable hex prefix of sha256 that does not contain the token', () => {
    const t = make('075905477751', 'bbdc');
    expect(tokenFingerprint(t)).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenFingerprint(t)).toBe(tokenFingerprint(t));
    expect(tokenFingerprint(t, 64)).toHaveLength(64);
    expect(tokenFingerprint('abc')).toBe('ba7816bf8f01cfea');
  });

  it('property: different tokens give different fingerprints', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(tokenFingerprint(a)).not.toBe(tokenFingerprint(b));
      }),
    );
  });
});
