import { describe, expect, it } from 'vitest';
import { allCombinations, missingPairs, pairwiseIndexes, type Axis } from './pairwise.js';

const AXES: Axis[] = [
  ['a', [1, 2]],
  ['b', ['x', 'y', 'z']],
  ['c', [true, false]],
  ['d', [null, 0]],
];

describe('pairwise selection', () => {
  it('every combination, the first axis varying slowest', () => {
    const all = allCombinations(AXES);
    expect(all).toHaveLength(24);
    expect(all[0]).toEqual({ a: 1, b: 'x', c: true, d: null });
    expect(all[1]).toEqual({ a: 1, b: 'x', c: true, d: 0 });
    expect(all[23]).toEqual({ a: 2, b: 'z', c: false, d: 0 });
    expect(new Set(all.map((r) => JSON.stringify(r))).size).toBe(24);
  });

  it('missingPairs names each pair no row holds', () => {
    expect(missingPairs([], AXES)).toHaveLength(2 * 3 + 2 * 2 + 2 * 2 + 3 * 2 + 3 * 2 + 2 * 2);
    expect(missingPairs(allCombinations(AXES), AXES)).toEqual([]);
    // every row but those with a=2 and b="z"
    const without = allCombinations(AXES).filter((r) => !(r.a === 2 && r.b === 'z'));
    expect(missingPairs(without, AXES)).toEqual(['a=2 b="z"']);
  });

  it('the selection covers every pair, starts with the first row, and is much smaller than the whole', () => {
    const all = allCombinations(AXES);
    const picked = pairwiseIndexes(all, AXES);
    expect(
      missingPairs(
        picked.map((i) => all[i]!),
        AXES,
      ),
    ).toEqual([]);
    expect(picked[0]).toBe(0);
    expect(picked).toEqual([...new Set(picked)].sort((x, y) => x - y));
    expect(picked.length).toBeLessThanOrEqual(9);
    expect(pairwiseIndexes(all, AXES)).toEqual(picked);
  });

  it('refuses rows that cannot cover every pair', () => {
    const rows = allCombinations(AXES).filter((r) => r.c === true);
    expect(() => pairwiseIndexes(rows, AXES)).toThrow(/no pair of/);
  });
});
