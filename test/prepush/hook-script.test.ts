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

/** The words of each `<fn> [$input] <name> …` line of the script, sh quotes removed. */
function answerLines(fn: string, name: string): string[][] {
  const lines = script.split('\n').filter((l) => new RegExp(`\\b${fn} (\\S+ )?${name}\\b`).test(l));
  return lines.map((line) => {
    const command = line.slice(line.indexOf(`${fn} `) + fn.length + 1);
    const words = command.match(/'[^']*'|"[^"]*"|[^\s;|}]+/g) ?? [];
    return words.map((w) => (w.startsWith("'") || w.startsWith('"') ? w.slice(1, -1) : w));
  });
}

describe('the hook script asks git exactly what the guard would', () => {
  it('the config listing pattern', () => {
    const lines = answerLines('git_answer', 'config');
    expect(lines, 'one git_answer config line').toHaveLength(1);
    expect(lines[0]!.slice(0, 4)).toEqual(['config', '-z', '--get-regexp', CONFIG_PATTERN]);
  });

  it('the rev-list command and format, the revisions on stdin: with the remote-tracking refs, or without', () => {
    const lines = answerLines('git_answer_in', 'rev-list');
    expect(lines, 'two git_answer_in rev-list lines').toHaveLength(2);
    const [tracked, untracked] = lines.map(([input, ...words]) => {
      expect(input).toBe('$gcb_revs');
      return words;
    });
    const range = { format: REV_LIST_FORMAT, include: [], exclude: [] };
    // `$gcb_remote` stands for the remote's name: the script takes only names isPlainName takes
    expect(tracked).toEqual(revListStdin({ ...range, known: ['$gcb_remote'] }).args);
    expect(untracked).toEqual(revListStdin({ ...range, known: [] }).args);
    expect(revListArgs({ ...range, known: [] })).not.toContain('--not');
  });

  it('the step that picks the first form is the first step of knownRemotes', () => {
    // src/prepush/known.ts: a plain name, its fetch URL the URL pushed to, a ref under refs/remotes/<name>/
    expect(script).toContain("case $gcb_remote in '' | [!A-Za-z0-9]* | *[!A-Za-z0-9._-]*) return 1 ;; esac");
    expect(script).toContain('[ "$(git remote get-url "$gcb_remote" 2>/dev/null)" = "$gcb_url" ]');
    expect(script).toContain('git for-each-ref --count=1 \'--format=%(refname)\' "refs/remotes/$gcb_remote/"');
  });
});
