/**
 * Pure: which values of `credential.<url>.helper` in one config file are the ones `setup` wrote,
 * and the smallest change that brings them to what it writes. What setup writes is a block at the
 * end of the key's values: an empty value (the reset), git's credential-cache when asked for
 * (`cache --timeout=N`), then this helper. The block is recognised by that form, so that the same
 * file gives the same answer whatever the data directory remembers; every other value is the
 * user's and is never removed or re-added.
 */
import { isOurHelper } from '../prepush/remote-config.js';

/** The form of the credential-cache line `setup --cache` writes (`cache --timeout=900`). */
export const CACHE_LINE = /^cache --timeout=(\d+)$/;

/** Positions (in the key's values, file order) of setup's block. */
export interface Block {
  /** The last value that runs this tool. */
  anchor: number;
  /** `cache --timeout=N` right before the anchor. */
  cache?: number;
  /** The empty value right before them, when it is setup's. */
  reset?: number;
  /** An empty value right before them that the setup record says was the user's (versions that reused it). */
  userReset?: number;
  /** Other values that run this tool (older invocations, duplicates). */
  strays: number[];
  /** Values after the anchor: someone else's helpers, which git asks after this one. */
  after: number[];
}

/** Finds setup's block; `userReset`: the record says setup found the empty value there and did not write it. */
export function findBlock(values: readonly string[], userReset = false): Block | undefined {
  let anchor = values.length - 1;
  while (anchor >= 0 && !isOurHelper(values[anchor]!)) anchor--;
  if (anchor < 0) return undefined;
  const block: Block = { anchor, strays: [], after: [] };
  values.forEach((v, i) => {
    if (i < anchor && isOurHelper(v)) block.strays.push(i);
    if (i > anchor) block.after.push(i);
  });
  // the cache line is setup's only between its reset and this helper: without the reset, it is a
  // chain the user wrote
  const cache = anchor - 1 >= 0 && !block.strays.includes(anchor - 1) && CACHE_LINE.test(values[anchor - 1]!.trim());
  const i = cache ? anchor - 2 : anchor - 1;
  if (i < 0 || values[i] !== '') return block;
  if (cache) block.cache = anchor - 1;
  if (userReset) block.userReset = i;
  else block.reset = i;
  return block;
}

/** An empty value, and a cache line after it, that no helper of this tool follows. */
export interface LoneReset {
  reset: number;
  cache?: number;
}

/**
 * The empty value (and a cache line after it) that ends the key's values when no value runs this
 * tool: what a setup stopped half-way leaves (after its reset or its cache line were added, or an
 * older helper line removed). Only the caller can tell whether it is setup's (the setup record,
 * written before setup's first change); then setup finishes its block on it and
 * unsetup removes it, instead of leaving a reset that turns off the user's helpers for the host.
 */
export function loneReset(values: readonly string[]): LoneReset | undefined {
  if (values.some((v) => isOurHelper(v))) return undefined;
  const n = values.length;
  if (values[n - 1] === '') return { reset: n - 1 };
  if (n >= 2 && values[n - 2] === '' && CACHE_LINE.test(values[n - 1]!.trim())) return { reset: n - 2, cache: n - 1 };
  return undefined;
}

/** One step of a change, in the order to run it. `at` indexes the values as they were before any step. */
export type Step = { op: 'remove'; at: number; why: string } | { op: 'add'; value: string; why: string };

export type SetupPlan =
  | { kind: 'done'; block: Block }
  | { kind: 'conflict'; block: Block }
  | { kind: 'change'; steps: Step[]; addedReset: boolean };

/**
 * What setup does to `values` to end with [reset, cache?, ours]. `cache`: the cache line wanted
 * (`--cache`), or undefined to keep the block's as it is. A foreign value after this helper is a
 * conflict: adding a new block after it would put it behind a reset, where git never asks it.
 */
export function planSetup(
  values: readonly string[],
  ours: string,
  cache?: string,
  userReset = false,
  lone?: LoneReset,
): SetupPlan {
  const block = findBlock(values, userReset);
  if (!block && lone) return finishLone(values, ours, cache, lone);
  if (block && block.after.length > 0) return { kind: 'conflict', block };
  const steps: Step[] = [];
  const haveCache = block?.cache !== undefined ? values[block.cache] : undefined;
  const wantCache = cache ?? haveCache;
  const hasReset = block?.reset !== undefined || block?.userReset !== undefined;
  if (block && hasReset && values[block.anchor] === ours && haveCache === wantCache && block.strays.length === 0)
    return { kind: 'done', block };
  const older = (at: number) =>
    values[at] === ours ? 'a second copy of this helper' : 'an older invocation of this helper';
  let addedReset = false;
  if (block && hasReset && haveCache === wantCache) {
    if (values[block.anchor] !== ours) {
      steps.push({ op: 'remove', at: block.anchor, why: older(block.anchor) });
      steps.push({ op: 'add', value: ours, why: '' });
    }
  } else {
    if (block) {
      // this very line goes after the new reset or cache line: moved, not a copy
      const moved = haveCache !== wantCache ? 'moved behind the cache line' : 'moved behind the reset';
      steps.push({ op: 'remove', at: block.anchor, why: values[block.anchor] === ours ? moved : older(block.anchor) });
      if (block.cache !== undefined && haveCache !== wantCache)
        steps.push({ op: 'remove', at: block.cache, why: `the cache time changes` });
    }
    if (!hasReset) {
      steps.push({ op: 'add', value: '', why: 'reset' });
      addedReset = true;
    }
    if (wantCache !== undefined) steps.push({ op: 'add', value: wantCache, why: 'cache' });
    steps.push({ op: 'add', value: ours, why: '' });
  }
  for (const at of block?.strays ?? []) steps.push({ op: 'remove', at, why: older(at) });
  return { kind: 'change', steps, addedReset };
}

/** The rest of a block a setup stopped half-way left (loneReset): the cache line if it changes, this helper. */
function finishLone(values: readonly string[], ours: string, cache: string | undefined, lone: LoneReset): SetupPlan {
  const steps: Step[] = [];
  const haveCache = lone.cache !== undefined ? values[lone.cache] : undefined;
  const wantCache = cache ?? haveCache;
  if (haveCache !== wantCache) {
    if (lone.cache !== undefined) steps.push({ op: 'remove', at: lone.cache, why: 'the cache time changes' });
    steps.push({ op: 'add', value: wantCache!, why: 'cache' });
  }
  steps.push({ op: 'add', value: ours, why: '' });
  return { kind: 'change', steps, addedReset: false };
}

/**
 * What unsetup removes, in a safe order: the reset first, this helper last (see setupRun's notes).
 * `lone`: the lone reset (loneReset) the caller knows to be setup's, removed when there is no block.
 */
export function planUnsetup(
  values: readonly string[],
  userReset = false,
  lone?: LoneReset,
): { block?: Block; lone?: LoneReset; remove: number[] } {
  const block = findBlock(values, userReset);
  if (!block)
    return lone ? { lone, remove: [lone.reset, ...(lone.cache !== undefined ? [lone.cache] : [])] } : { remove: [] };
  const remove = [block.reset, block.cache, ...block.strays, block.anchor].filter((i) => i !== undefined);
  return { block, remove };
}
