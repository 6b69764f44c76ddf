/** The pure parts of setup: which helper values are setup's, and how a config line is found. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBlock, loneReset, planSetup, planUnsetup } from '../../src/commands/setup-plan.js';
import { removeValueLine, sameValue, sectionHasComment, valueLines } from '../../src/git/config-lines.js';
import { makeSandbox, runGit, type Sandbox } from '../helpers/sandbox.js';

const OURS = `!f() { . "$1"; }; f '/x/bin/git-credential-bitbucket.sh' '/usr/bin/node' linux`;
const OLDER = `!sh '/x/bin/git-credential-bitbucket.sh' '/usr/bin/node' linux`;
const C900 = 'cache --timeout=900';

describe('findBlock / planSetup / planUnsetup', () => {
  it('the block is the reset, the cache line and this helper at the end', () => {
    expect(findBlock(['manager', '', C900, OURS])).toEqual({ anchor: 3, cache: 2, reset: 1, strays: [], after: [] });
    // a cache line without setup's reset before it is the user's chain
    expect(findBlock([C900, OURS])).toEqual({ anchor: 1, strays: [], after: [] });
    expect(findBlock(['', OURS], true)).toEqual({ anchor: 1, userReset: 0, strays: [], after: [] });
    expect(findBlock(['manager'])).toBeUndefined();
  });

  it('nothing to do when the block is in place; a foreign value after it is a conflict', () => {
    expect(planSetup(['', C900, OURS], OURS).kind).toBe('done');
    expect(planSetup(['', OURS, 'mytool'], OURS).kind).toBe('conflict');
    expect(planSetup(['', OURS, ''], OURS).kind).toBe('conflict');
  });

  it('adds a reset of its own even after a user reset, and never removes a user value', () => {
    const plan = planSetup(['', 'manager', ''], OURS);
    expect(plan).toEqual({
      kind: 'change',
      addedReset: true,
      steps: [
        { op: 'add', value: '', why: 'reset' },
        { op: 'add', value: OURS, why: '' },
      ],
    });
  });

  it('an older invocation is replaced in place; a new cache time replaces only the cache line and the helper', () => {
    expect(planSetup(['', OLDER], OURS)).toMatchObject({
      steps: [
        { op: 'remove', at: 1 },
        { op: 'add', value: OURS },
      ],
    });
    expect(planSetup(['', C900, OURS], OURS, 'cache --timeout=60')).toMatchObject({
      steps: [
        { op: 'remove', at: 2 },
        { op: 'remove', at: 1 },
        { op: 'add', value: 'cache --timeout=60' },
        { op: 'add', value: OURS },
      ],
    });
  });

  it('this helper moved behind a new cache line or reset is said to be moved; a real second copy is named so', () => {
    expect(planSetup(['', OURS], OURS, C900)).toMatchObject({
      steps: [{ op: 'remove', at: 1, why: 'moved behind the cache line' }, { value: C900 }, { value: OURS }],
    });
    expect(planSetup(['', C900, OURS], OURS, 'cache --timeout=60')).toMatchObject({
      steps: [{ op: 'remove', at: 2, why: 'moved behind the cache line' }, { op: 'remove', at: 1 }, {}, {}],
    });
    expect(planSetup(['store', OURS], OURS)).toMatchObject({
      steps: [{ op: 'remove', at: 1, why: 'moved behind the reset' }, { value: '' }, { value: OURS }],
    });
    expect(planSetup(['', OLDER], OURS, C900)).toMatchObject({
      steps: [{ op: 'remove', at: 1, why: 'an older invocation of this helper' }, {}, {}],
    });
    expect(planSetup(['', OURS, OURS], OURS)).toMatchObject({
      steps: [
        { at: 2, why: 'moved behind the reset' },
        {},
        {},
        { op: 'remove', at: 1, why: 'a second copy of this helper' },
      ],
    });
  });

  it('sectionHasComment: comment lines or a comment after the header, in that section only', () => {
    const text = '[credential "https://h"]\n\thelper = x # not alone\n[credential "https://other"]\n\t# theirs\n';
    expect(sectionHasComment(text, 'credential', 'https://h')).toBe(false);
    expect(sectionHasComment(text, 'credential', 'https://other')).toBe(true);
    expect(sectionHasComment('[Credential "https://h"] ; note\n', 'credential', 'https://h')).toBe(true);
    expect(sectionHasComment('[credential "https://H"]\n# x\n', 'credential', 'https://h')).toBe(false);
    expect(sectionHasComment('[hook.bitbucket-pre-push]\n  ; x\n', 'hook', 'bitbucket-pre-push')).toBe(true);
    expect(sectionHasComment('', 'credential', 'https://h')).toBe(false);
  });

  it('unsetup removes the reset first and this helper last; a user reset stays', () => {
    expect(planUnsetup(['x', '', C900, OURS]).remove).toEqual([1, 2, 3]);
    expect(planUnsetup([OLDER, 'x', '', OURS]).remove).toEqual([2, 0, 3]);
    expect(planUnsetup(['', C900, OURS], true).remove).toEqual([1, 2]);
    expect(planUnsetup(['manager']).remove).toEqual([]);
  });

  it("a lone reset (a setup stopped half-way), when known to be setup's, is finished by setup and removed by unsetup", () => {
    expect(loneReset(['store', ''])).toEqual({ reset: 1 });
    expect(loneReset(['store', '', C900])).toEqual({ reset: 1, cache: 2 });
    expect(loneReset(['', 'store'])).toBeUndefined();
    expect(loneReset(['', OLDER, ''])).toBeUndefined(); // a value of this tool: findBlock's to judge
    expect(planSetup(['store', ''], OURS, undefined, false, { reset: 1 })).toEqual({
      kind: 'change',
      addedReset: false,
      steps: [{ op: 'add', value: OURS, why: '' }],
    });
    expect(planSetup(['', C900], OURS, 'cache --timeout=60', false, { reset: 0, cache: 1 })).toMatchObject({
      steps: [{ op: 'remove', at: 1 }, { value: 'cache --timeout=60' }, { value: OURS }],
    });
    expect(planSetup(['', C900], OURS, undefined, false, { reset: 0, cache: 1 })).toMatchObject({
      steps: [{ value: OURS }],
    });
    // not known to be setup's: a reset of setup's own goes after it, as before
    expect(planSetup(['store', ''], OURS)).toMatchObject({ addedReset: true });
    expect(planUnsetup(['store', '', C900], false, { reset: 1, cache: 2 }).remove).toEqual([1, 2]);
    expect(planUnsetup(['store', ''])).toEqual({ remove: [] });
  });
});

describe('valueLines reads values as git does', () => {
  let sb: Sandbox;
  beforeEach(() => (sb = makeSandbox()));
  afterEach(() => sb.cleanup());

  it('agrees with git config --get-all on comments, quotes, escapes, continuations and section forms', async () => {
    const url = 'https://bb.example.com';
    const text = [
      '# comment [credential "https://bb.example.com"] helper = no',
      `[credential "${url}"] helper = on-the-header-line`,
      '\thelper = manager   ; corp SSO, ticket IT-1234',
      '\thelper =',
      '  username = alice',
      '\tHelper = "quoted ; not a comment"  # a comment',
      '\thelper = a\\tb \\"c\\" \\\\ d\t  e',
      '\thelper = first \\',
      'continued',
      '[credential "https://other.example.com"]',
      '\thelper = other',
      `[Credential "${url}"]`,
      '\thelper',
      '\thelper = "!f() { . \\"$1\\"; }; f x"',
      '[credential.Other]',
      '\thelper = dot form',
      '',
    ].join('\n');
    const file = sb.env.GIT_CONFIG_GLOBAL!;
    fs.writeFileSync(file, text);
    const git = await runGit(sb, ['config', '--global', '--null', '--get-all', `credential.${url}.helper`]);
    const fromGit = git.stdout.split('\0').slice(0, -1);
    const lines = valueLines(text, 'credential', url, 'helper');
    expect(lines).toHaveLength(fromGit.length);
    lines.forEach((l, i) => expect(sameValue(l.value ?? '', fromGit[i]!), `${l.value} ~ ${fromGit[i]}`).toBe(true));
    expect(lines[4]!.value).toBe('a\tb "c" \\ d\t  e');
    expect(lines.map((l) => l.alone)).toEqual([false, true, true, true, true, true, true, true]);
    // the continuation line goes with its value
    expect(text.slice(lines[5]!.start, lines[5]!.end)).toBe('\thelper = first \\\ncontinued\n');
  });

  it('removeValueLine removes the one line asked for, under the lock, and refuses when git disagrees', () => {
    const file = path.join(sb.dir, 'config');
    const text = '[credential "u"]\n\thelper =\n\thelper = m\n\thelper = \n';
    fs.writeFileSync(file, text, { mode: 0o640 });
    const key = { section: 'credential', subsection: 'u', name: 'helper' };
    expect(removeValueLine(file, key, 2, ['', 'm', ''])).toBeUndefined();
    expect(fs.readFileSync(file, 'utf8')).toBe('[credential "u"]\n\thelper =\n\thelper = m\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(removeValueLine(file, key, 0, ['', 'x'])).toMatch(/cannot tell the lines/);
    fs.writeFileSync(`${file}.lock`, '');
    expect(removeValueLine(file, key, 0, ['', 'm'])).toMatch(/could not lock config file/);
    expect(fs.readFileSync(file, 'utf8')).toBe('[credential "u"]\n\thelper =\n\thelper = m\n');
  });
});
