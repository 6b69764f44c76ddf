/** The names a first login guesses before the server names the user (docs/classifier.md, "Rounds"). */
import { describe, expect, it } from 'vitest';
import { identityHints } from '../../src/commands/login.js';

describe('identityHints', () => {
  it('the local part of user.email, the login name, then the whole address', () => {
    expect(identityHints('jane.doe@corp.example', { USER: 'jdoe' })).toEqual([
      'jane.doe',
      'jdoe',
      'jane.doe@corp.example',
    ]);
    expect(identityHints(undefined, { LOGNAME: 'jdoe' })).toEqual(['jdoe']);
    expect(identityHints(undefined, { USERNAME: 'jdoe' })).toEqual(['jdoe']);
    expect(identityHints('  jane@corp.example \n', {})).toEqual(['jane', 'jane@corp.example']);
  });

  it('leaves out root, empty names, names of dots and names that are no path segment', () => {
    expect(identityHints(undefined, { USER: 'root' })).toEqual([]);
    expect(identityHints('@corp.example', { USER: '' })).toEqual(['@corp.example']);
    expect(identityHints('..@corp.example', { USER: '.' })).toEqual(['..@corp.example']);
    expect(identityHints('a/b@corp.example', { USER: 'x\ty' })).toEqual([]);
    expect(identityHints('a'.repeat(200), {})).toEqual([]);
  });
});
