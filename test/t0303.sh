#!/bin/sh
# git's own battery for external credential helpers, t/t0303-credential-external.sh, run from
# the source tree of the given git build against this helper (as `credential.helper=bitbucket`).
# git's test library clears GIT_* variables, so the store settings travel in
# GIT_TEST_CREDENTIAL_HELPER_SETUP, which the battery evaluates. All its tests must pass.
#
#   usage: test/t0303.sh PATH/TO/BUILT/bin/git
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
git_bin=$1
prefix=$(cd "$(dirname "$git_bin")/.." && pwd)
version=$("$git_bin" --version | sed 's/^git version //')
t_dir="$prefix/src/git-$version/t"
if [ ! -f "$t_dir/t0303-credential-external.sh" ]; then
  echo "test/t0303.sh: no git source tree with t/t0303-credential-external.sh at $t_dir" >&2
  exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gcb-t0303.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin"
# `git credential-bitbucket` must be found on PATH
cat >"$tmp/bin/git-credential-bitbucket" <<SH
#!/bin/sh
exec '$(command -v node)' '$root/bin/git-credential-bitbucket.cjs' "\$@"
SH
chmod 755 "$tmp/bin/git-credential-bitbucket"
echo "== t0303-credential-external.sh (git $version) against git-credential-bitbucket" >&2
out="$tmp/t0303.out"
# HOME is the battery's trash directory; the store goes inside it, in the plain file backend.
status=0
(cd "$t_dir" && PATH="$tmp/bin:$PATH" GIT_TEST_CREDENTIAL_HELPER=bitbucket \
  GIT_TEST_CREDENTIAL_HELPER_SETUP='GIT_CREDENTIAL_BITBUCKET_STORE=file GIT_CREDENTIAL_BITBUCKET_DIR="$HOME/gcb-store"; export GIT_CREDENTIAL_BITBUCKET_STORE GIT_CREDENTIAL_BITBUCKET_DIR' \
  ./t0303-credential-external.sh --root="$tmp/trash" </dev/null >"$out" 2>&1) || status=$?
cat "$out"
passed=$(sed -n 's/^# passed all \([0-9]*\) test(s)$/\1/p' "$out")
if [ "$status" -ne 0 ] || [ -z "$passed" ] || grep -q '^not ok' "$out"; then
  echo "test/t0303.sh: git's external helper battery failed" >&2
  exit 1
fi
echo "t0303: all $passed tests passed" >&2
