/**
 * The version of the `git` first in PATH, which the tests drive. test/run-git-lane.sh runs the
 * git-dependent test files once per git; tests of features a git lacks are skipped there, with
 * the version in their name.
 */
import { gitVersion } from '../../src/git/repo.js';

export const GIT_VERSION: readonly [number, number, number] = gitVersion() ?? [0, 0, 0];

/** The git in PATH is at least `major.minor`. */
export function gitAtLeast(major: number, minor: number): boolean {
  return GIT_VERSION[0] > major || (GIT_VERSION[0] === major && GIT_VERSION[1] >= minor);
}
