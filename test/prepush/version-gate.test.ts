import { describe, expect, it } from 'vitest';
import { planInstall, supportsConfigHooks } from '../../src/git/hooks.js';
import { parseGitVersion } from '../../src/git/repo.js';

describe('config-based hooks version gate', () => {
  it('parses git --version, vendor suffixes included', () => {
    expect(parseGitVersion('git version 2.39.5\n')).toEqual([2, 39, 5]);
    expect(parseGitVersion('git version 2.54.0.windows.1')).toEqual([2, 54, 0]);
    expect(parseGitVersion('git version 2.39.3 (Apple Git-146)')).toEqual([2, 39, 3]);
    expect(parseGitVersion('git version 3.0')).toEqual([3, 0, 0]);
    expect(parseGitVersion('nonsense')).toBeUndefined();
  });

  it.each([
    [[2, 39, 5], false],
    [[2, 53, 9], false],
    [[2, 54, 0], true],
    [[2, 60, 1], true],
    [[3, 0, 0], true],
    [[1, 99, 0], false],
  ] as Array<[[number, number, number], boolean]>)('%j supports config hooks: %s', (v, yes) => {
    expect(supportsConfigHooks(v)).toBe(yes);
  });

  it('plans the install from version and flags', () => {
    expect(planInstall([2, 39, 5], {})).toEqual({ mode: 'file' });
    expect(planInstall([2, 54, 0], {})).toEqual({ mode: 'file' });
    expect(planInstall([2, 54, 0], { global: true })).toEqual({ mode: 'config', scope: 'global' });
    expect(planInstall([2, 54, 0], { config: true })).toEqual({ mode: 'config', scope: 'local' });
    const old = planInstall([2, 39, 5], { global: true });
    expect(old).toMatchObject({ mode: 'error' });
    expect(old.mode === 'error' && old.message).toMatch(/git 2\.54 or newer.*this git is 2\.39\.5/);
    expect(planInstall(undefined, { config: true })).toMatchObject({ mode: 'error' });
  });
});
