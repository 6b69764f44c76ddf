/**
 * All-pairs (pairwise) selection over a full factorial of switch combinations: a few rows in
 * which every value of any axis meets every value of any other axis at least once. A test that
 * must drive an expensive surface (a real `git push`) through the combinations can take these
 * rows there while cheaper surfaces take them all; a fault that needs two switches to show is
 * still met. `missingPairs` is the independent check that a selection covers every pair.
 */

/** An axis: a switch name and the values it takes. */
export type Axis = readonly [name: string, values: readonly unknown[]];

/** Every combination of the axes' values, the first axis varying slowest. */
export function allCombinations(axes: readonly Axis[]): Array<Record<string, unknown>> {
  let out: Array<Record<string, unknown>> = [{}];
  for (const [name, values] of axes) out = out.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  return out;
}

/** Every pair of values of two different axes, as text (`a=1 b=x`), in axis order. */
function pairsOf(row: Record<string, unknown>, axes: readonly Axis[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < axes.length; i++)
    for (let j = i + 1; j < axes.length; j++) {
      const [a] = axes[i]!;
      const [b] = axes[j]!;
      out.push(`${a}=${JSON.stringify(row[a])} ${b}=${JSON.stringify(row[b])}`);
    }
  return out;
}

/** The pairs of values no row of `rows` holds (empty when `rows` covers every pair). */
export function missingPairs(rows: ReadonlyArray<Record<string, unknown>>, axes: readonly Axis[]): string[] {
  const held = new Set(rows.flatMap((r) => pairsOf(r, axes)));
  const missing: string[] = [];
  for (let i = 0; i < axes.length; i++)
    for (let j = i + 1; j < axes.length; j++) {
      const [a, as] = axes[i]!;
      const [b, bs] = axes[j]!;
      for (const x of as)
        for (const y of bs) {
          const pair = pairsOf({ [a]: x, [b]: y }, [axes[i]!, axes[j]!])[0]!;
          if (!held.has(pair)) missing.push(pair);
        }
    }
  return missing;
}

/**
 * Indexes into `rows` (every combination of `axes`) of a pairwise selection, ascending: greedily
 * the row holding the most pairs not yet held, the earliest on a tie, so the first row is always
 * taken and the answer is the same on every run.
 */
export function pairwiseIndexes(rows: ReadonlyArray<Record<string, unknown>>, axes: readonly Axis[]): number[] {
  const pending = new Set(missingPairs([], axes));
  const rowPairs = rows.map((r) => pairsOf(r, axes));
  const taken: number[] = [];
  while (pending.size > 0) {
    let best = -1;
    let bestGain = 0;
    rowPairs.forEach((pairs, i) => {
      const gain = pairs.filter((p) => pending.has(p)).length;
      if (gain > bestGain) [best, bestGain] = [i, gain];
    });
    if (best < 0) throw new Error(`the rows hold no pair of ${[...pending][0]}`);
    taken.push(best);
    for (const p of rowPairs[best]!) pending.delete(p);
  }
  return taken.sort((a, b) => a - b);
}
