/**
 * Usage errors, found before a command does anything: unknown options with a "did you mean"
 * for close misspellings, options given without a value, numbers that are not numbers.
 */
import { CommandError, EXIT } from './errors.js';
import { checkTimeout } from './timeout.js';
import { redactUrl } from '../../git/config.js';

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[a.length]![b.length]!;
}

/** The closest of `known` to `word`, when it is close enough to be a misspelling of it. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; dist: number } | undefined;
  for (const name of known) {
    const dist = editDistance(w, name.toLowerCase());
    if (dist <= Math.max(1, Math.floor(name.length / 3)) && (!best || dist < best.dist)) best = { name, dist };
  }
  return best?.name;
}

/**
 * yargs' "Unknown argument(s): a, b" with a suggestion for each misspelt option or command.
 * `options` are the long option names of the command in use, `commands` its subcommands.
 */
export function explainUsageError(
  message: string,
  given: readonly string[],
  options: readonly string[],
  commands: readonly string[],
): string {
  const m = /^Unknown arguments?: (.*)$/.exec(message);
  if (!m) return message;
  // yargs also reports the camelCase twin of an unknown --kebab-case option: say each once
  const all = m[1]!.split(', ');
  const words = all.filter((w) => !all.some((o) => o !== w && camel(o) === w));
  const parts = words.map((w) => {
    const typed = redactUrl(given.find((a) => a.replace(/^-+/, '').split('=')[0] === w) ?? w);
    const asOption = typed.startsWith('-') || !closest(w, commands) ? closest(w, options) : undefined;
    if (asOption) return `${typed} (did you mean --${asOption}?)`;
    const asCommand = closest(w, commands);
    if (asCommand) return `${typed} (did you mean ${asCommand}?)`;
    return typed;
  });
  return `unknown ${words.length === 1 ? 'argument' : 'arguments'}: ${parts.join(', ')}`;
}

function camel(s: string): string {
  return s.replace(/-+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/**
 * Checks yargs filled in: a string option given without its value (`--username` at the end of
 * the line), a number option given something else (`--timeout soon`), and `--timeout` (every
 * command's comes from `timeoutOption`) outside its range. Defaults pass.
 */
export function checkValues(
  argv: Record<string, unknown>,
  types: { string: readonly string[]; number: readonly string[] },
  given: readonly string[],
): void {
  const named = (k: string) => given.some((a) => a === `--${k}` || a.startsWith(`--${k}=`));
  for (const k of types.string)
    if (named(k) && argv[k] === '') throw new CommandError(`--${k} needs a value`, EXIT.usage);
  for (const k of types.number) {
    const v = argv[k];
    if (k === 'timeout' && named(k)) checkTimeout(v);
    if (named(k) && (typeof v !== 'number' || !Number.isFinite(v)))
      throw new CommandError(`--${k} needs a number`, EXIT.usage);
  }
}
