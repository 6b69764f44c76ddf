import { describe, expect, it } from 'vitest';
import { parsePushInput } from '../../src/prepush/stdin.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);
const A2 = 'c'.repeat(64);
const Z2 = '0'.repeat(64);

describe('parsePushInput', () => {
  it('reads an update, a new branch and a delete (SHA-1)', () => {
    const r = parsePushInput(
      `refs/heads/main ${A} refs/heads/main ${B}\nrefs/heads/new ${A} refs/heads/new ${Z}\n(delete) ${Z} refs/heads/old ${B}\n`,
    );
    expect(r).toEqual({
      ok: true,
      objectFormat: 'sha1',
      updates: [
        { localRef: 'refs/heads/main', localOid: A, remoteRef: 'refs/heads/main', remoteOid: B, isDelete: false },
        { localRef: 'refs/heads/new', localOid: A, remoteRef: 'refs/heads/new', isDelete: false },
        { localRef: '(delete)', remoteRef: 'refs/heads/old', remoteOid: B, isDelete: true },
      ],
    });
  });

  it('reads SHA-256 ids, all-zero ones included', () => {
    const r = parsePushInput(`HEAD ${A2} refs/heads/main ${Z2}\n(delete) ${Z2} refs/heads/x ${A2}`);
    expect(r.ok && r.objectFormat).toBe('sha256');
    expect(r.ok && r.updates.map((u) => [u.localOid, u.remoteOid, u.isDelete])).toEqual([
      [A2, undefined, false],
      [undefined, A2, true],
    ]);
  });

  it('accepts empty input and a trailing CR', () => {
    expect(parsePushInput('')).toEqual({ ok: true, updates: [] });
    expect(parsePushInput(`refs/heads/a ${A} refs/heads/a ${B}\r\n`).ok).toBe(true);
  });

  it.each([
    ['too few fields', `refs/heads/a ${A} refs/heads/a`, /line 1: expected .* got 3 field/],
    ['too many fields', `refs/heads/a ${A} refs/heads/a ${B} x`, /got 5 field/],
    ['a short id', `refs/heads/a abc refs/heads/a ${B}`, /"abc" is not a 40- or 64-digit/],
    ['upper-case hex', `refs/heads/a ${'A'.repeat(40)} refs/heads/a ${B}`, /is not a 40- or 64-digit/],
    ['mixed lengths', `refs/heads/a ${A} refs/heads/a ${Z2}`, /different lengths/],
    [
      'mixed lengths across lines',
      `refs/heads/a ${A} refs/heads/a ${B}\nrefs/heads/b ${A2} refs/heads/b ${Z2}`,
      /line 2: .*different lengths/,
    ],
    ['delete with an object', `(delete) ${A} refs/heads/a ${B}`, /\(delete\) with a non-zero/],
    ['zero without delete', `refs/heads/a ${Z} refs/heads/a ${B}`, /all-zero local object id without \(delete\)/],
    ['a blank line inside', `refs/heads/a ${A} refs/heads/a ${B}\n\nrefs/heads/b ${A} refs/heads/b ${B}`, /line 2/],
  ])('refuses %s with a clear error', (_name, input, message) => {
    const r = parsePushInput(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(message);
  });
});
