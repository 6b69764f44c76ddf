import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shQuote } from '../../src/git/hooks.js';
import { isOurHelper, shellWords } from '../../src/prepush/remote-config.js';

describe('recognising this helper in credential.helper values', () => {
  it('splits words with sh quoting', () => {
    expect(shellWords(`'/a b/node' "/c d/\\"x\\".js" C:\\tools\\x.cmd`, { literalBackslash: true })).toEqual([
      '/a b/node',
      '/c d/"x".js',
      'C:\\tools\\x.cmd',
    ]);
  });

  it.each([
    // what shQuote writes for an apostrophe: close, an escaped ', open again
    [`'/home/o'\\''brien/x' y`, ["/home/o'brien/x", 'y']],
    [`a\\ b c`, ['a b', 'c']],
    [`a\\'b`, ["a'b"]],
    [`"a\\$b\\\\c\\"d\\e"`, ['a$b\\c"d\\e']],
    [`'a\\b'`, ['a\\b']],
    [`a\\\nb`, ['ab']],
    [`"a\\\nb"`, ['ab']],
    [`'$x' "$"`, ['$x', '$']],
    [`''`, ['']],
    [`a\\`, ['a\\']],
  ])('splits %j as POSIX sh does', (line, words) => {
    expect(shellWords(line)).toEqual(words);
    // and as sh itself does (no expansion happens in these lines)
    const sh = execFileSync('sh', ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
    expect(sh.split('\0').slice(0, -1)).toEqual(words);
  });

  it.each(["/home/o'brien/z", '/x/a b', '/x/$HOME/y', '/x/\'a\' "b" \\c $d `e`'])(
    'recognises the line setup writes from %j',
    (dir) => {
      const line = `!f() { . "$1"; }; f ${shQuote(`${dir}/bin/git-credential-bitbucket.sh`)} ${shQuote(`${dir}/node`)} linux`;
      expect(isOurHelper(line)).toBe(true);
      expect(isOurHelper(line.replace('git-credential-bitbucket.sh', 'other.sh'))).toBe(false);
    },
  );

  it('recognises the invocation setup writes, paths with spaces included', () => {
    expect(
      isOurHelper(
        `!'C:/Program Files/nodejs/node.exe' '/Users/a/Library/Application Support/x/bin/git-credential-bitbucket.js'`,
      ),
    ).toBe(true);
    expect(isOurHelper(`!'/usr/bin/node' '/opt/gcb/bin/git-credential-bitbucket.js'`)).toBe(true);
    expect(isOurHelper('bitbucket')).toBe(true);
    expect(isOurHelper('store')).toBe(false);
    expect(isOurHelper(`!'/usr/bin/node' '/opt/other/helper.js'`)).toBe(false);
  });
});
