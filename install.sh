#!/bin/sh
# Installs git-credential-bitbucket from this checkout: checks Node and git, installs the
# dependencies, builds, and puts the binary on PATH (default prefix: ~/.local).
#
#   ./install.sh [--prefix DIR]                  install or update (idempotent)
#   ./install.sh [--prefix DIR] URL              also: setup for URL, then log in (asks for the token)
#   ./install.sh --uninstall [--prefix DIR] [URL] remove the binary (and, with URL, the git setup and token)
set -eu

NODE_MIN=20.19.0
GIT_MIN=2.39.0
prefix="${PREFIX:-$HOME/.local}"
action=install
url=

die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -z "$url" ] || die "unexpected argument $1 (see --help)"; url=$1; shift ;;
  esac
done

# version_ge A B: true when dotted version A >= B
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -t. -k1,1n -k2,2n -k3,3n | head -n1)" = "$2" ]
}

command -v node >/dev/null 2>&1 || die "Node.js is not installed; install Node $NODE_MIN or newer (https://nodejs.org)"
command -v npm >/dev/null 2>&1 || die "npm is not installed; it comes with Node.js $NODE_MIN or newer"
node_version=$(node -p 'process.versions.node')
version_ge "$node_version" "$NODE_MIN" || die "Node.js $node_version is too old; $NODE_MIN or newer is needed"
command -v git >/dev/null 2>&1 || die "git is not installed; install git $GIT_MIN or newer"
git_version=$(git --version | sed -n 's/^git version \([0-9][0-9.]*\).*/\1/p')
version_ge "${git_version:-0}" "$GIT_MIN" || die "git ${git_version:-unknown} is too old; $GIT_MIN or newer is needed"

mkdir -p "$prefix" || die "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)
bin="$prefix/bin/git-credential-bitbucket"

if [ "$action" = uninstall ]; then
  if [ -n "$url" ] && [ -x "$bin" ]; then
    "$bin" unsetup "$url" || true
    "$bin" logout "$url" 2>/dev/null || echo "No token for $url was stored (or several are: remove them with '$bin logout $url --username NAME')."
  fi
  npm uninstall --global --prefix "$prefix" --no-audit --no-fund --loglevel=error git-credential-bitbucket >/dev/null
  [ ! -e "$bin" ] || die "could not remove $bin"
  echo "Removed git-credential-bitbucket from $prefix"
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
# npm ci replaces node_modules; skip it when they already match package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing dependencies in $here"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
echo "Building"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# npm pack builds dist/ first (the package's prepack script): the same package npm install -g takes
tarball=$(npm pack --silent --pack-destination "$tmp" | tail -n1)
npm install --global --prefix "$prefix" --no-audit --no-fund --loglevel=error "$tmp/$tarball" >/dev/null
[ -x "$bin" ] || die "the install did not produce $bin"
"$bin" --version >/dev/null || die "$bin does not run"
echo "Installed git-credential-bitbucket $("$bin" --version) at $bin"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Note: $prefix/bin is not on your PATH; add it, e.g.: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac

if [ -n "$url" ]; then
  "$bin" setup "$url"
  if [ -t 0 ]; then
    "$bin" login "$url"
  else
    "$bin" login "$url" --token-stdin
  fi
  echo "Next, in each repository you push from: git credential-bitbucket hook install"
fi
