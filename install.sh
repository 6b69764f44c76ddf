#!/bin/sh
# Installs git-credential-bitbucket from this checkout: checks Node and git, installs the
# dependencies, builds, and puts the binary on PATH (default prefix: ~/.local).
#
#   ./install.sh [--prefix DIR]                  install or update (idempotent)
#   ./install.sh [--prefix DIR] URL              also: setup for URL, then log in (asks for the token)
#   ./install.sh --uninstall [--prefix DIR] [URL] remove the binary and the global git config lines running it
#                                                 (listed); with URL also that server's token
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
case $node_version in 22.[012].*) die "Node.js $node_version is not supported; use Node 22.3 or newer, or 20.19+ (22.0-22.2 lack process.getBuiltinModule)" ;; esac
command -v git >/dev/null 2>&1 || die "git is not installed; install git $GIT_MIN or newer"
git_version=$(git --version | sed -n 's/^git version \([0-9][0-9.]*\).*/\1/p')
version_ge "${git_version:-0}" "$GIT_MIN" || die "git ${git_version:-unknown} is too old; $GIT_MIN or newer is needed"

mkdir -p "$prefix" || die "cannot create $prefix"
prefix=$(cd "$prefix" && pwd)
bin="$prefix/bin/git-credential-bitbucket"

# The installed package directory (what the helper lines and hooks name), or empty.
package_dir() {
  [ -e "$bin" ] || return 0
  node -e 'const fs = require("fs"), path = require("path");
    console.log(path.dirname(path.dirname(fs.realpathSync(process.argv[1]))))' "$bin"
}

# sh_quoted TEXT: TEXT as the program's shQuote writes it inside '...' (an apostrophe as '\''),
# which is how the helper lines name the package directory.
sh_quoted() {
  printf '%s\n' "$1" | sed "s/'/'\\\\''/g"
}

# points_at VALUE: true when a helper line or hook command runs the program being removed: by its
# package directory or binary path (as written or sh-quoted), by a file that names them (the
# config-hook shim), or by name (`bitbucket`, `!git-credential-bitbucket ...`) when the only one on
# PATH is this one.
points_at() {
  case $1 in *"$pkg/"* | *"$pkg_q/"* | *"$bin"*) return 0 ;; esac
  if [ "$by_name" = yes ]; then
    case $1 in bitbucket | "bitbucket "* | '!git-credential-bitbucket'* | '!git credential-bitbucket'*) return 0 ;; esac
  fi
  gcb_file=$(printf '%s\n' "$1" | sed -n "s/^'\\([^']*\\)'\$/\\1/p")
  [ -n "$gcb_file" ] || gcb_file=$1
  case $gcb_file in /*) [ -f "$gcb_file" ] && grep -qF -e "$pkg/" -e "$pkg_q/" -e "$bin" "$gcb_file" ;; *) return 1 ;; esac
}

# Removes every helper line and config-based hook of the global config that runs this program and
# lists what it changed; lines of other scopes (system, repository, command line) are listed with
# the command that removes them. What git says when it fails is shown as it is.
sweep_config() {
  gcb_changed='' gcb_other='' gcb_tab=$(printf '\t')
  gcb_list=$(git config --show-scope --show-origin --get-regexp '^(credential\.(.*\.)?helper|hook\..*\.command)$') || [ $? -eq 1 ] || die "cannot read the git config (see above)"
  while IFS= read -r gcb_line; do
    [ -n "$gcb_line" ] || continue
    gcb_scope=${gcb_line%%"$gcb_tab"*}
    gcb_rest=${gcb_line#*"$gcb_tab"}
    gcb_origin=${gcb_rest%%"$gcb_tab"*}
    gcb_kv=${gcb_rest#*"$gcb_tab"}
    gcb_key=${gcb_kv%% *}
    gcb_value=${gcb_kv#"$gcb_key"}
    gcb_value=${gcb_value# }
    points_at "$gcb_value" || continue
    gcb_file=${gcb_origin#file:}
    case $gcb_key in
      hook.*) gcb_what="config-based hook ${gcb_key%.command} (runs $gcb_value)" ;;
      *) gcb_what="$gcb_key = $gcb_value" ;;
    esac
    if [ "$gcb_scope" != global ] || [ "$gcb_file" = "$gcb_origin" ]; then
      gcb_other="$gcb_other  $gcb_what
    ($gcb_scope, $gcb_origin); remove it with: git config --file '$gcb_file' --fixed-value --unset-all '$gcb_key' '$gcb_value'
"
      continue
    fi
    case $gcb_key in
      hook.*)
        git config --file "$gcb_file" --remove-section "${gcb_key%.command}" ||
          die "could not remove ${gcb_key%.command} from $gcb_file (see above)"
        ;;
      *)
        git config --file "$gcb_file" --fixed-value --unset-all "$gcb_key" "$gcb_value" ||
          die "could not remove $gcb_key from $gcb_file (see above)"
        # setup put an empty value (a reset of the helper list for that URL) before ours; left
        # alone it would leave that URL with no helper at all, so it goes too
        if gcb_left=$(git config --file "$gcb_file" --get-all "$gcb_key") && [ -z "$(printf '%s' "$gcb_left" | tr -d '\n')" ]; then
          git config --file "$gcb_file" --unset-all "$gcb_key" || die "could not remove $gcb_key from $gcb_file (see above)"
          gcb_what="$gcb_what, and the empty reset before it"
        fi
        ;;
    esac
    gcb_changed="$gcb_changed  - $gcb_what ($gcb_file)
"
  done <<LIST
$gcb_list
LIST
  [ -z "$gcb_changed" ] || printf 'Removed from the global git config:\n%s' "$gcb_changed"
  [ -z "$gcb_other" ] || printf 'Still run the removed program (not changed by install.sh):\n%s' "$gcb_other"
}

# Names pre-push hook files that still call the program: the current repository's and the global
# core.hooksPath's. Those hooks skip their check once the program is gone (and say so on each push).
name_hook_files() {
  gcb_dirs=$(git rev-parse --path-format=absolute --git-path hooks 2>/dev/null) || gcb_dirs='' # not in a repository
  gcb_global=$(git config --global --path --get core.hooksPath) || true
  [ -z "$gcb_global" ] || gcb_dirs="$gcb_dirs
$gcb_global"
  printf '%s\n' "$gcb_dirs" | while IFS= read -r gcb_dir; do
    [ -n "$gcb_dir" ] && [ -f "$gcb_dir/pre-push" ] || continue
    grep -qF -e "$pkg/" -e "$pkg_q/" -e "$bin" "$gcb_dir/pre-push" || continue
    gcb_restore=''
    [ ! -e "$gcb_dir/pre-push.chained-by-bitbucket" ] ||
      gcb_restore=" && mv '$gcb_dir/pre-push.chained-by-bitbucket' '$gcb_dir/pre-push'"
    printf "The pre-push hook %s still calls the removed program (it skips its check without it); remove it with: rm '%s'%s\n" \
      "$gcb_dir/pre-push" "$gcb_dir/pre-push" "$gcb_restore"
  done
}

if [ "$action" = uninstall ]; then
  if [ -n "$url" ] && [ -x "$bin" ]; then
    "$bin" unsetup "$url" || echo "install.sh: the git setup for $url was not removed (see above)" >&2
    "$bin" logout "$url" ||
      echo "install.sh: no token for $url was removed (see above; with several: '$bin logout $url --username NAME')" >&2
  fi
  pkg=$(package_dir)
  pkg_q=$(sh_quoted "$pkg")
  if [ -n "$pkg" ]; then
    by_name=no
    [ "$(command -v git-credential-bitbucket || true)" != "$bin" ] || by_name=yes
    sweep_config
    name_hook_files
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
