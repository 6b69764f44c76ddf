/**
 * Writing setup's steps (src/commands/setup-plan.ts) into git config: one git config call, or one
 * locked rewrite, a step; what was done is said as it goes, also when a step fails. And the error
 * for a helper after this one that setup does not remove on its own.
 */
import { addValue, getAll, unsetValue, type ConfigTarget } from '../git/credential-config.js';
import { removeValueLine } from '../git/config-lines.js';
import { shQuote } from '../git/hooks.js';
import { CACHE_LINE, type Block, type Step } from './setup-plan.js';
import { CommandError } from './shared/errors.js';
import type { CommandIO } from './shared/io.js';

export interface Apply {
  t: ConfigTarget;
  file: string;
  key: string;
  baseUrl: string;
  /** The key's values before the steps. */
  values: readonly string[];
  /** What was done, for the message; filled as it goes, so that a failure can still tell. */
  changes: string[];
  io: CommandIO;
}

/**
 * Runs the steps one git config call (or one locked rewrite) each: every step leaves a file git
 * reads, and none removes or rewrites a value that is not setup's. When a step fails, what was
 * done before it is printed with the error. SIGINT, SIGTERM and SIGHUP wait until the steps are
 * done (heldSignals): stopped between them, setup would leave its reset without its helper.
 */
export async function applySteps(steps: readonly Step[], a: Apply): Promise<void> {
  await heldSignals(() => runSteps(steps, a));
}

const HELD = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `fn` with SIGINT, SIGTERM and SIGHUP held back; the first that arrived meanwhile is raised
 * again when it is done (its default action: the process ends as it would have). A Ctrl-C also
 * reaches the git config running then, which fails that step (git removes its lock itself).
 */
async function heldSignals(fn: () => Promise<void>): Promise<void> {
  let got: NodeJS.Signals | undefined;
  const hold = (sig: NodeJS.Signals) => void (got ??= sig);
  for (const sig of HELD) process.on(sig, hold);
  try {
    await fn();
  } finally {
    for (const sig of HELD) process.off(sig, hold);
    if (got) process.kill(process.pid, got);
  }
}

async function runSteps(steps: readonly Step[], a: Apply): Promise<void> {
  const live = a.values.map((v, at) => ({ v, at: at as number | undefined }));
  try {
    for (const st of steps) {
      if (st.op === 'add') {
        await addValue(a.t, a.key, st.value);
        live.push({ v: st.value, at: undefined });
        a.changes.push(`+ ${a.key} = ${shown(st.value)}${addedWhy(st, a.baseUrl)}`);
        continue;
      }
      const p = live.findIndex((e) => e.at === st.at);
      await removeAt(
        a,
        live.map((e) => e.v),
        p,
      );
      a.changes.push(`- ${a.key} = ${shown(live[p]!.v)} (${st.why})`);
      live.splice(p, 1);
    }
  } catch (err) {
    if (a.changes.length > 0)
      a.io.stderr(`Updated ${a.file} (${a.t.scope}) before the error:\n${a.changes.map((c) => `  ${c}\n`).join('')}`);
    throw err;
  }
}

/** Removes the value at `p` of `values` (the key's values as they are now), and no other line. */
async function removeAt(a: Apply, values: readonly string[], p: number): Promise<void> {
  const value = values[p]!;
  const changed = () =>
    new CommandError(`${a.key} in ${a.file} changed while this ran; nothing more was changed: run it again`);
  if (values.filter((v) => v === value).length === 1) {
    if ((await unsetValue(a.t, a.key, value)) !== 'removed') throw changed();
    return;
  }
  // git config cannot single out one of several equal values
  const dot = a.key.lastIndexOf('.');
  const parts = { section: 'credential', subsection: a.key.slice('credential.'.length, dot), name: 'helper' };
  const now = await getAll(a.t, a.key);
  if (now.length !== values.length || now.some((v, i) => v !== values[i])) throw changed();
  const failed = removeValueLine(a.file, parts, p, now);
  if (failed) throw new CommandError(failed);
}

export function shown(value: string): string {
  return value === '' ? '""' : value;
}

function addedWhy(st: Step & { op: 'add' }, baseUrl: string): string {
  if (st.value === '') return ` (resets the helper list for ${baseUrl} only)`;
  const cache = CACHE_LINE.exec(st.value);
  return cache ? ` (git's credential-cache keeps the token in memory for ${cache[1]} s)` : '';
}

/** A helper after this one in the same key: setup changes nothing and says what the user can do. */
export function conflictError(
  t: ConfigTarget,
  file: string,
  key: string,
  baseUrl: string,
  block: Block,
  values: readonly string[],
): CommandError {
  const after = block.after.map((i) => values[i]!);
  const unset = [...new Set(after)]
    .map((v) => `git config --${t.scope} --fixed-value --unset-all ${shQuote(key)} ${shQuote(v)}`)
    .join('; ');
  return new CommandError(
    `${key} in ${file} has ${after.map((v) => `'${shown(v)}'`).join(', ')} after this helper (added after setup): git asks ${after.length > 1 ? 'them' : 'it'} too and hands ${after.length > 1 ? 'them' : 'it'} every token it confirms; setup does not turn ${after.length > 1 ? 'them' : 'it'} off for ${baseUrl} on its own. Nothing changed. To use only this helper: ${unset}; then run setup again. To use ${after.length > 1 ? 'them' : 'it'} instead: git credential-bitbucket unsetup ${baseUrl}`,
  );
}
