#!/bin/sh
# The git 2.55 lane (README "Tests"): every test file that drives git runs again with git 2.55
# first in PATH (the tests read the version of the git in PATH and skip, by name, what that git
# lacks), then git's own battery for external credential helpers (t0303) runs against this
# helper from git's source tree.
#
# Which git: $GCB_GIT_LANE, else the build of ../shared/tools/build-git.sh in
# ~/.cache/git-builds/2.55.0. Locally the lane is skipped, saying so, when that git is missing;
# in CI (CI set) it is required.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
git_bin=${GCB_GIT_LANE:-${XDG_CACHE_HOME:-$HOME/.cache}/git-builds/2.55.0/bin/git}
if [ ! -x "$git_bin" ]; then
  if [ -n "${CI:-}" ]; then
    echo "test/run-git-lane.sh: no git at $git_bin; CI must build it (../shared/tools/build-git.sh) and set GCB_GIT_LANE" >&2
    exit 1
  fi
  echo "note: git 2.55 lane SKIPPED: no git at $git_bin (build it with ../shared/tools/build-git.sh, or set GCB_GIT_LANE)" >&2
  exit 0
fi
bin_dir=$(cd "$(dirname "$git_bin")" && pwd)
echo "== git lane: $("$git_bin" --version) first in PATH" >&2

# Every test file but those test/git-free.txt lists (pure logic, files and in-process HTTP): a new
# file runs on both gits unless it is added there.
files=$(find test -name '*.test.ts' | sort | grep -vxF -f test/git-free.txt)
status=0
# shellcheck disable=SC2086 # one argument per file
PATH="$bin_dir:$PATH" sh test/run.sh $files || status=$?

sh test/t0303.sh "$git_bin" || status=$?
exit "$status"
