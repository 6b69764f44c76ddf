/**
 * Which unplaced commits the guard asks the server about, and what the answers settle
 * (src/prepush/confirm.ts): pure, on graphs built here. The end-to-end side is confirm.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PROBES, parseGraph, probeSample, settle, type Graph } from '../../src/prepush/confirm.js';

/** A first-parent line of `n` commits, c0 the oldest (its parent `base` outside the range, if given). */
function line(n: number, prefix = 'c', base?: string): Graph {
  const g: Graph = new Map();
  for (let i = 0; i < n; i++) g.set(`${prefix}${i}`, i === 0 ? (base ? [base] : []) : [`${prefix}${i - 1}`]);
  return g;
}
const has = (entries: Array<[string, boolean]>) => new Map(entries);

describe('probeSample', () => {
  it('a 100,000-commit push: at most MAX_PROBES commits, the newest and the oldest among them', () => {
    const g = line(100_000);
    const sample = probeSample(g);
    expect(sample.length).toBeLessThanOrEqual(MAX_PROBES);
    expect(sample).toEqual(expect.arrayContaining(['c99999', 'c0']));
    // every commit close to the newest, then ever further apart
    for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 16, 32, 1024, 65_536]) expect(sample).toContain(`c${99_999 - d}`);
    expect(new Set(sample).size).toBe(sample.length);
  });

  it('many branches and unrelated histories: still bounded, each newest and oldest asked while room is left', () => {
    const g: Graph = new Map();
    for (let b = 0; b < 50; b++) for (const [c, p] of line(2_000, `b${b}-`)) g.set(c, p);
    const sample = probeSample(g);
    expect(sample).toHaveLength(MAX_PROBES);
    expect(sample.filter((c) => c.endsWith('-1999'))).toHaveLength(8);
    expect(sample.filter((c) => c.endsWith('-0'))).toHaveLength(8);
  });

  it('a small push: every commit', () => {
    expect(probeSample(line(3)).sort()).toEqual(['c0', 'c1', 'c2']);
    expect(probeSample(new Map())).toEqual([]);
  });

  it('parses rev-list output of commits and their parents', () => {
    expect(parseGraph('a b c\nb\nc d\n')).toEqual(
      new Map([
        ['a', ['b', 'c']],
        ['b', []],
        ['c', ['d']],
      ]),
    );
  });
});

describe('settle', () => {
  const g = line(20, 'c', 'base');
  it('the server lacks the oldest: everything is new', () => {
    expect(settle(g, has([['c0', false]]))).toEqual({ present: [], remaining: 20, settled: true });
  });
  it('the server has the newest: nothing is new', () => {
    expect(settle(g, has([['c19', true]]))).toMatchObject({ present: ['c19'], remaining: 0 });
  });
  it('a few new ones above what the server has: exactly those, when the oldest of them was asked', () => {
    const answers = has([
      ['c19', false],
      ['c18', false],
      ['c17', true],
      ['c0', true],
    ]);
    expect(settle(g, answers)).toEqual({ present: ['c17', 'c0'], remaining: 2, settled: true });
  });
  it('a boundary between two commits asked about: the ones above the lower stay unplaced', () => {
    const answers = has([
      ['c19', false],
      ['c15', false],
      ['c11', true],
    ]);
    expect(settle(g, answers)).toEqual({ present: ['c11'], remaining: 8, settled: false });
  });
  it('no answer: nothing settled', () => {
    expect(settle(g, new Map())).toEqual({ present: [], remaining: 20, settled: false });
  });
  it('a merge of a new side line: settled only when its oldest commit was asked too', () => {
    const merged: Graph = new Map([...line(3, 'm', 'base'), ...line(2, 's', 'm0'), ['top', ['m2', 's1']]]);
    const base = has([
      ['top', false],
      ['m2', true],
    ]);
    expect(settle(merged, base)).toMatchObject({ remaining: 3, settled: false });
    expect(settle(merged, new Map([...base, ['s0', false]]))).toMatchObject({ remaining: 3, settled: true });
  });
});
