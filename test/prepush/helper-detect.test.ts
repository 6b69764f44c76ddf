import { describe, expect, it } from 'vitest';
import { isOurHelper, shellWords } from '../../src/prepush/remote-config.js';

describe('recognising this helper in credential.helper values', () => {
  it('splits words with sh quoting', () => {
    expect(shellWords(`'/a b/node' "/c d/\\"x\\".js" C:\\tools\\x.cmd`)).toEqual([
      '/a b/node',
      '/c d/"x".js',
      'C:\\tools\\x.cmd',
    ]);
  });

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
