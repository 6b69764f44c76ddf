// hooks/pre-push repeats two things from the TypeScript side (it starts git's config listing
// and the commit list while Node starts, and the guard uses an answer only for exactly the
// command it would run, input included): they must stay byte for byte the same, or every push
// pays for the difference in silence.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { revListArgs, revListStdin } from '../../src/git/repo.js';
import { REV_LIST_FORMAT } from '../../src/prepush/identity.js';
import { CONFIG_PATTERN } from '../../src/settings.js';
import { ROOT } from '../helpers/sandbox.js';

const script = fs.readFileSync(path.join(ROOT, 'hooks', 'pre-push'), 'utf8');

/** The words of the one `<fn> [$input] <name> …` line of the script, sh quotes removed. */
function answerLine(fn: string, name: string): string[] {
  const lines = script.split('\n').filter((l) => new RegExp(`\\b${fn} (\\S+ )?${name}\\b`).test(l));
  expect(lines, `one ${fn} ${name} line`).toHaveLength(1);
  const command = lines[0]!.slice(lines[0]!.indexOf(`${fn} `) + fn.length + 1);
  const words = command.match(/'[^']*'|"[^"]*"|[^\s;|}]+/g) ?? [];
  return words.map((w) => (w.startsWith("'") || w.startsWith('"') ? w.slice(1, -1) : w));
}

describe('the hook script asks git exactly what the guard would', () => {
  it('the config listing pattern', () => {
    expect(answerLine('git_answer', 'config').slice(0, 4)).toEqual(['config', '-z', '--get-regexp', CONFIG_PATTERN]);
  });

  it('the rev-list command and format, the revisions on stdin', () => {
    const [input, ...words] = answerLine('git_answer_in', 'rev-list');
    expect(input).toBe('$gcb_revs');
    const end = words.indexOf('$gcb_known');
    expect(end, 'the remote-tracking refs come last').toBeGreaterThan(0);
    expect(script).toContain('--stdin --not "$gcb_known" ;;');
    expect(words.slice(0, end)).toEqual(
      revListStdin({ format: REV_LIST_FORMAT, include: [], exclude: [] }).args.slice(0, -1),
    );
    // and the last argument is chosen as revListArgs chooses it
    expect(script).toContain('gcb_known="--remotes=$gcb_remote"');
    expect(script).toContain('gcb_known=--remotes ;;');
    expect(revListArgs({ format: 'f', include: [], exclude: [], remote: 'origin' }).at(-1)).toBe('--remotes=origin');
    expect(revListArgs({ format: 'f', include: [], exclude: [] }).at(-1)).toBe('--remotes');
  });
});
