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

# no_backslash DIR WHAT FIX: refuses DIR (to WHAT it) when it has a backslash. Node loads no ES
# module from such a path (it rejects the %5C in the module's file URL, see
# bin/git-credential-bitbucket.cjs), and the build and every command but get and the hook are ES
# modules.
no_backslash() {
  case $1 in *\\*) die "cannot $2 $1: Node loads no ES module from a path with a backslash (\\); $3" ;; esac
}

[ -n "$prefix" ] || die "--prefix needs a directory"
# absolute before any command takes it: a relative one may start with - (read as options)
case $prefix in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
here=$(cd -- "$(dirname -- "$0")" && pwd)
if [ "$action" = install ]; then
  no_backslash "$here" 'build in' 'move the checkout to a path without one'
  no_backslash "$prefix" 'install under' 'choose another place with --prefix DIR'
  mkdir -p "$prefix" || die "cannot create $prefix"
  no_backslash "$(cd "$prefix" && pwd -P)" 'install under' 'choose another place with --prefix DIR'
fi
# --uninstall creates nothing: a prefix that does not exist is taken as written
[ ! -d "$prefix" ] || prefix=$(cd "$prefix" && pwd)
bin="$prefix/bin/git-credential-bitbucket"

# The installed package directory (what the helper lines and hooks name): where npm put it, also
# when the package is already gone (its helper lines may still be in the config).
package_dir() {
  if [ -e "$bin" ]; then
    node -e 'const fs = require("fs"), path = require("path");
      console.log(path.dirname(path.dirname(fs.realpathSync(process.argv[1]))))' "$bin"
  elif [ -d "$prefix" ]; then
    printf '%s/lib/node_modules/git-credential-bitbucket\n' "$(cd "$prefix" && pwd -P)"
  else
    printf '%s/lib/node_modules/git-credential-bitbucket\n' "$prefix"
  fi
}

# sh_quoted TEXT: TEXT as the program's shQuote writes it inside '...' (an apostrophe as '\''),
# which is how the helper lines name the package directory.
sh_quoted() {
  printf '%s\n' "$1" | sed "s/'/'\\\\''/g"
}

# points_at VALUE: true when a helper line or hook command runs the program being removed. A
# hook command is read as commandFile in src/git/config-hook-command.ts reads it. The command hook install
# writes (configHookCommand there) runs a script, which decides by the paths it names; when the
# script is gone, the command only reports that, naming the program that set it ("hook set by"),
# which decides. One file's path (as shQuote writes it, or plain: older versions wrote that) runs
# that file. Any other value: by the package directory or binary path (as written or sh-quoted),
# or by name (`bitbucket`, `!git-credential-bitbucket ...`) when the only one on PATH is this one.
points_at() {
  if tolerant_file "$1"; then
    if [ -f "$gcb_file" ]; then
      names_program "$gcb_file"
    else
      case $gcb_setter in "$pkg/"* | "$bin") return 0 ;; *) return 1 ;; esac
    fi
    return
  fi
  case $1 in *"$pkg/"* | *"$pkg_q/"* | *"$bin"*) return 0 ;; esac
  if [ "$by_name" = yes ]; then
    case $1 in bitbucket | "bitbucket "* | '!git-credential-bitbucket'* | '!git credential-bitbucket'*) return 0 ;; esac
  fi
  if printf '%s\n' "$1" | grep -qxE "$gcb_quoted"; then
    gcb_file=$(sh_unquoted "$1")
  else
    case $1 in *[[:space:]]*) return 1 ;; esac
    gcb_file=$1
  fi
  case $gcb_file in /*) [ -f "$gcb_file" ] && names_program "$gcb_file" ;; *) return 1 ;; esac
}

# A word as shQuote (src/git/hooks.ts) writes it, as an extended regular expression.
gcb_quoted="'([^']|'\\\\'')*'"

# sh_unquoted WORD: the text of a word shQuote wrote.
sh_unquoted() {
  printf '%s\n' "$1" | sed -e "s/^'//" -e "s/'\$//" -e "s/'\\\\''/'/g"
}

# tolerant_file COMMAND: true when COMMAND is the config-hook command configHookCommand
# (src/git/config-hook-command.ts) writes, byte for byte: then gcb_file is the file it runs and gcb_setter the
# program it names as the one that set it.
tolerant_file() {
  case $1 in 'gcb() { h='*) ;; *) return 1 ;; esac
  gcb_form="^gcb\\(\\) \\{ h=($gcb_quoted); .*\\(hook set by \"($gcb_quoted)\"; "
  gcb_file=$(printf '%s\n' "$1" | sed -nE "s/$gcb_form.*/\\1/p")
  gcb_setter=$(printf '%s\n' "$1" | sed -nE "s/$gcb_form.*/\\3/p")
  [ -n "$gcb_file" ] && [ -n "$gcb_setter" ] || return 1
  gcb_file=$(sh_unquoted "$gcb_file")
  gcb_setter=$(sh_unquoted "$gcb_setter")
  case $gcb_file in /*) ;; *) return 1 ;; esac
  # shellcheck disable=SC2016 # the command's own text, $h and "$@" included
  [ "$1" = "$(printf 'gcb() { h=%s; if [ -x "$h" ]; then exec "$h" "$@"; fi; echo "git-credential-bitbucket: $h is missing or not executable; pre-push check skipped (hook set by "%s"; see: git credential-bitbucket doctor)" >&2; }; gcb' \
    "'$(sh_quoted "$gcb_file")'" "'$(sh_quoted "$gcb_setter")'")" ]
}

# names_program FILE: FILE names the package directory or the binary path (a hook script does).
names_program() {
  grep -qF -e "$pkg/" -e "$pkg_q/" -e "$bin" -- "$1"
}

# program_dirs: the program's directories, one a line: data (the file store, the keyring's index,
# settings.json, the config-based hook's script), cache and state; the rules of dataDir, cacheDir
# and stateDir in src/settings.ts, repeated here for when the program is gone. settings.json there
# has the `setups`, what each setup added (src/store/settings.ts).
program_dirs() {
  node -e 'const path = require("path"), os = require("os"), e = process.env, name = "git-credential-bitbucket";
    const abs = (v) => (v && path.isAbsolute(v) ? v : undefined), mac = process.platform === "darwin";
    const home = abs(e.HOME) || os.homedir();
    const own = e.GIT_CREDENTIAL_BITBUCKET_DIR ? path.resolve(e.GIT_CREDENTIAL_BITBUCKET_DIR) : undefined;
    const data = own || (mac ? path.join(home, "Library", "Application Support", name)
      : path.join(abs(e.XDG_DATA_HOME) || path.join(home, ".local", "share"), name));
    const cache = abs(e.XDG_CACHE_HOME) ? path.join(e.XDG_CACHE_HOME, name) : own ? path.join(own, "cache") : path.join(home, ".cache", name);
    const state = abs(e.XDG_STATE_HOME) ? path.join(e.XDG_STATE_HOME, name) : own ? path.join(own, "state")
      : mac ? path.join(data, "state") : path.join(home, ".local", "state", name);
    console.log([data, cache, state].join("\n"))'
}

# setup_records: the setup records of the global git config file (the rule of configFile in
# src/git/credential-config.ts), one a line: FILE TAB BASEURL TAB ADDEDRESET TAB CACHE (- for
# none) TAB ADDEDUSEHTTPPATH (true/false). Nothing when there is none.
setup_records() {
  node -e 'const fs = require("fs"), path = require("path"), os = require("os"), e = process.env;
    const home = e.HOME || os.homedir(), dot = path.join(home, ".gitconfig");
    const xdg = path.join(e.XDG_CONFIG_HOME || path.join(home, ".config"), "git", "config");
    const global = e.GIT_CONFIG_GLOBAL ? path.resolve(e.GIT_CONFIG_GLOBAL) : fs.existsSync(dot) || !fs.existsSync(xdg) ? dot : xdg;
    let setups = {};
    try { setups = JSON.parse(fs.readFileSync(process.argv[1], "utf8")).setups || {}; } catch {}
    for (const [key, r] of Object.entries(setups)) {
      const bar = key.lastIndexOf("|"), cache = r.cache || "-";
      if (key.slice(0, bar) === global && !/[\t\n]/.test(key + cache))
        console.log([global, key.slice(bar + 1), r.addedReset !== false, cache, r.addedUseHttpPath === true].join("\t"));
    }' "$gcb_settings"
}

# record_of FILE BASEURL: ADDEDRESET TAB CACHE TAB ADDEDUSEHTTPPATH of that setup, or nothing.
record_of() {
  printf '%s\n' "$gcb_records" | while IFS="$gcb_tab" read -r gcb_r_file gcb_r_base gcb_r_rest; do
    [ "$gcb_r_file" = "$1" ] && [ "$gcb_r_base" = "$2" ] && { printf '%s\n' "$gcb_r_rest"; break; }
  done
}

# drop_last_reset FILE KEY: removes KEY's last value when it is empty (a reset with nothing after it).
drop_last_reset() {
  gcb_vals=$(git config --file "$1" --get-all "$2" | sed 's/^/v/')
  case $gcb_vals in v | *"
v") ;; *) return 1 ;; esac
  gcb_vals=${gcb_vals%v}
  gcb_vals=${gcb_vals%"
"}
  git config --file "$1" --unset-all "$2" || die "could not remove $2 from $1 (see above)"
  [ -z "$gcb_vals" ] || printf '%s\n' "$gcb_vals" | while IFS= read -r gcb_v; do
    git config --file "$1" --add "$2" "${gcb_v#v}" || exit 1
  done || die "could not rewrite $2 in $1 (see above)"
}

# forget_record FILE BASEURL: drops that setup record from settings.json.
forget_record() {
  node -e 'const fs = require("fs"), [file, key] = process.argv.slice(1);
    const s = JSON.parse(fs.readFileSync(file, "utf8"));
    delete s.setups[key];
    fs.writeFileSync(file + ".tmp", JSON.stringify(s, null, "\t"), { mode: 0o600 });
    fs.renameSync(file + ".tmp", file);' "$gcb_settings" "$1|$2"
}

# config_line LINE: a line of git config --show-scope --show-origin --get-regexp, into gcb_scope,
# gcb_origin, gcb_ofile (the file of a file: origin, else empty), gcb_key and gcb_value.
config_line() {
  gcb_scope=${1%%"$gcb_tab"*}
  gcb_rest=${1#*"$gcb_tab"}
  gcb_origin=${gcb_rest%%"$gcb_tab"*}
  gcb_kv=${gcb_rest#*"$gcb_tab"}
  gcb_key=${gcb_kv%% *}
  gcb_value=${gcb_kv#"$gcb_key"}
  gcb_value=${gcb_value# }
  case $gcb_origin in
    'file:"'*) c_unquote "${gcb_origin#file:}" || gcb_u=''; gcb_ofile=$gcb_u ;;
    file:*) gcb_ofile=${gcb_origin#file:} ;;
    *) gcb_ofile='' ;; # the command line, standard input, a blob
  esac
}

# c_unquote WORD: the text of a name git C-quoted ("..." with \", \\, \t, \n, ... and \ooo for each
# byte over 127), into gcb_u; as --show-origin writes a path with a quote, a backslash, a control
# character or a letter outside ASCII (file:"/home/j\303\274rgen/.gitconfig").
c_unquote() {
  # an x after the text keeps a newline it ends with
  gcb_u=$(node -e 'const q = Buffer.from(process.argv[1].slice(1, -1)), out = [];
    const esc = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };
    for (let i = 0; i < q.length; i++) {
      if (q[i] !== 0x5c) {
        out.push(q[i]);
      } else if (q[i + 1] >= 0x30 && q[i + 1] <= 0x33) {
        out.push(parseInt(q.subarray(i + 1, i + 4).toString(), 8));
        i += 3;
      } else {
        out.push(esc[String.fromCharCode(q[i + 1])] ?? q[i + 1]);
        i += 1;
      }
    }
    process.stdout.write(Buffer.from([...out, 0x78]));' "$1") || return
  gcb_u=${gcb_u%x}
}

# Removes every helper line and config-based hook of the global config that runs this program and
# lists what it changed; lines of other scopes (system, repository, command line) are listed with
# the command that removes them. What git says when it fails is shown as it is.
sweep_config() {
  gcb_changed='' gcb_other=''
  gcb_list=$(git config --show-scope --show-origin --get-regexp '^(credential\.(.*\.)?helper|hook\..*\.command)$') || [ $? -eq 1 ] || die "cannot read the git config (see above)"
  while IFS= read -r gcb_line; do
    [ -n "$gcb_line" ] || continue
    config_line "$gcb_line"
    points_at "$gcb_value" || continue
    gcb_file=$gcb_ofile
    case $gcb_key in
      hook.*) gcb_what="config-based hook ${gcb_key%.command} (runs $gcb_value)" ;;
      *) gcb_what="$gcb_key = $gcb_value" ;;
    esac
    if [ "$gcb_scope" != global ] || [ -z "$gcb_ofile" ]; then
      gcb_other="$gcb_other  $gcb_what
    ($gcb_scope, ${gcb_ofile:-$gcb_origin}); remove it with: git config --file '$(sh_quoted "${gcb_ofile:-$gcb_origin}")' --fixed-value --unset-all '$(sh_quoted "$gcb_key")' '$(sh_quoted "$gcb_value")'
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
        gcb_base=${gcb_key#credential.}
        gcb_base=${gcb_base%.helper}
        gcb_rec=$(record_of "$gcb_file" "$gcb_base")
        if [ -n "$gcb_rec" ]; then
          # what setup added, as its record says: the cache helper, the reset, useHttpPath
          gcb_r_reset=${gcb_rec%%"$gcb_tab"*}
          gcb_r_cache=${gcb_rec#*"$gcb_tab"}
          gcb_r_path=${gcb_r_cache#*"$gcb_tab"}
          gcb_r_cache=${gcb_r_cache%%"$gcb_tab"*}
          if [ "$gcb_r_cache" != - ] && git config --file "$gcb_file" --fixed-value --get-all "$gcb_key" "$gcb_r_cache" >/dev/null; then
            git config --file "$gcb_file" --fixed-value --unset-all "$gcb_key" "$gcb_r_cache" ||
              die "could not remove $gcb_key from $gcb_file (see above)"
            gcb_what="$gcb_what, and $gcb_r_cache (added by setup --cache)"
          fi
          if [ "$gcb_r_reset" = true ] && drop_last_reset "$gcb_file" "$gcb_key"; then
            gcb_what="$gcb_what, and the empty reset setup put before it"
          fi
          if [ "$gcb_r_path" = true ]; then
            git config --file "$gcb_file" --unset-all "credential.$gcb_base.useHttpPath" || true
            gcb_what="$gcb_what, and credential.$gcb_base.useHttpPath"
          fi
          forget_record "$gcb_file" "$gcb_base"
        elif gcb_left=$(git config --file "$gcb_file" --get-all "$gcb_key" | sed 's/^/v/') && [ "$gcb_left" = v ]; then
          # no record of this setup: the reset goes only when it is all that is left for that URL
          # (nothing of the user's comes after it), else that URL would have no helper at all
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
    grep -qF -e "$pkg/" -e "$pkg_q/" -e "$bin" -- "$gcb_dir/pre-push" || continue
    gcb_restore=''
    [ ! -e "$gcb_dir/pre-push.chained-by-bitbucket" ] ||
      gcb_restore=" && mv -- '$(sh_quoted "$gcb_dir/pre-push.chained-by-bitbucket")' '$(sh_quoted "$gcb_dir/pre-push")'"
    printf "The pre-push hook %s still calls the removed program (it skips its check without it); remove it with: rm -- '%s'%s\n" \
      "$gcb_dir/pre-push" "$(sh_quoted "$gcb_dir/pre-push")" "$gcb_restore"
  done
}

# The helper line setup writes starts with this (HELPER_LINE_PREFIX in src/prepush/remote-config.ts).
gcb_helper_prefix='!f() { . "$1"; }; f '

# program_file VALUE: the file a helper line of the program runs, as the line names it: the front
# setup names, or the program's own path. False for other lines, and for the lines that run the
# program by name (`bitbucket`, `!git credential-bitbucket`), which PATH decides.
program_file() {
  case $1 in
    "$gcb_helper_prefix"*) gcb_w=${1#"$gcb_helper_prefix"} ;;
    '!sh '*) gcb_w=${1#'!sh '} ;;
    '!'*) gcb_w=${1#!} ;;
    *) gcb_w=$1 ;;
  esac
  if printf '%s\n' "$gcb_w" | grep -qE "^$gcb_quoted"; then
    gcb_w=$(sh_unquoted "$(printf '%s\n' "$gcb_w" | sed -nE "s/^($gcb_quoted).*/\\1/p")")
  else
    gcb_w=${gcb_w%% *}
  fi
  case $gcb_w in /*/git-credential-bitbucket*) printf '%s\n' "$gcb_w" ;; *) return 1 ;; esac
}

# runs_other VALUE: a helper line (not this program's: points_at said no) that runs another copy
# of the program that is still there, by the file it names or by name on PATH.
runs_other() {
  case $1 in
    bitbucket | 'bitbucket '* | '!git credential-bitbucket'* | '!git-credential-bitbucket'*)
      gcb_w=$(command -v git-credential-bitbucket) && [ "$gcb_w" != "$bin" ]
      return
      ;;
  esac
  gcb_w=$(program_file "$1") && [ -e "$gcb_w" ]
}

# other_copy_line FILE KEY: the value of KEY in FILE that runs another copy of the program still
# installed, when none of them runs this one; nothing otherwise (a front that is gone runs nothing).
other_copy_line() {
  gcb_vals=$(git config --file "$1" --get-all "$2") || return 0
  gcb_o=''
  while IFS= read -r gcb_v; do
    ! points_at "$gcb_v" || return 0
    [ -n "$gcb_o" ] || ! runs_other "$gcb_v" || gcb_o=$gcb_v
  done <<VALS
$gcb_vals
VALS
  printf '%s\n' "$gcb_o"
}

# stored_tokens: the accounts the program holds, one a line, by its `list --json` (no secret is
# read); nothing when it cannot list them.
stored_tokens() {
  "$bin" list --json </dev/null 2>/dev/null | node -e 'let t = "";
    process.stdin.on("data", (c) => (t += c)).on("end", () => {
      let accounts = [];
      try { accounts = JSON.parse(t).accounts || []; } catch {}
      const clean = (v) => String(v).replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
      for (const a of accounts)
        console.log(`  ${clean(a.baseUrl || `${a.protocol}://${a.host}${a.path ? `/${a.path}` : ""}`)}: ${clean(a.username || "(no username)")} (${a.backend === "keyring" ? "in the OS keyring" : "in the file store"})`);
    });'
}

# The script hook install --global/--config writes into the data directory (src/commands/hook.ts)
# stays when its hook goes (hook uninstall, unsetup and the sweep remove config lines only); once
# no config-based hook runs it and it names the program removed, it goes too.
remove_hook_script() {
  gcb_shim="$gcb_data/hooks/pre-push"
  [ -f "$gcb_shim" ] && names_program "$gcb_shim" || return 0
  gcb_cmds=$(git config --get-regexp '^hook\..*\.command$' | sed 's/^[^ ]* //') || true
  while IFS= read -r gcb_c; do
    [ -n "$gcb_c" ] || continue
    if tolerant_file "$gcb_c"; then [ "$gcb_file" != "$gcb_shim" ] || return 0; fi
    [ "$gcb_c" != "$gcb_shim" ] && [ "$gcb_c" != "'$(sh_quoted "$gcb_shim")'" ] || return 0
  done <<CMDS
$gcb_cmds
CMDS
  rm -f "$gcb_shim" || die "could not remove $gcb_shim"
  rmdir "$gcb_data/hooks" 2>/dev/null || true
  printf 'Removed %s (the script of the config-based hook; no hook runs it any more)\n' "$gcb_shim"
  gcb_changed="$gcb_changed  - $gcb_shim
"
}

# What --uninstall leaves: the tokens (they work on their servers until they expire or are
# revoked) and the program's files, with how to remove them; with another copy still there (on
# PATH, or named by a helper line left), which shares them, only the tokens and that copy's logout.
left_behind() {
  gcb_copy=$(command -v git-credential-bitbucket) || gcb_copy=$gcb_kept_copy
  if [ -n "$gcb_copy" ]; then
    [ -z "$gcb_stored" ] ||
      printf 'Still stored, for the copy at %s, which stays (remove one with it: git credential-bitbucket logout URL --revoke):\n%s\n' "$gcb_copy" "$gcb_stored"
    return 0
  fi
  if [ -n "$gcb_stored" ]; then
    printf 'Still stored, and working on their servers until they expire or are revoked:\n%s\n' "$gcb_stored"
    printf 'Revoke each on its server (the HTTP access tokens page of your account), or install again and run: git credential-bitbucket logout URL --revoke\n'
  fi
  gcb_rm=''
  while IFS= read -r gcb_d; do
    [ ! -d "$gcb_d" ] || gcb_rm="$gcb_rm '$(sh_quoted "$gcb_d")'"
  done <<DIRS
$gcb_pdirs
DIRS
  [ -z "$gcb_rm" ] || printf "The program's files stay (the file store, settings, caches); remove them with: rm -rf%s\n" "$gcb_rm"
  case $gcb_stored in
    *'in the OS keyring'*) printf 'rm leaves the tokens in the OS keyring (service git-credential-bitbucket); logout removes them\n' ;;
  esac
}

# nothing_installed: says that nothing is installed under the prefix, and which copy PATH finds.
nothing_installed() {
  gcb_copy=$(command -v git-credential-bitbucket || true)
  case $gcb_copy in
    '') gcb_where='; none is on PATH either' ;;
    */bin/git-credential-bitbucket)
      gcb_where="; the one on PATH is $gcb_copy: remove it with: $0 --uninstall --prefix '$(sh_quoted "${gcb_copy%/bin/git-credential-bitbucket}")'"
      ;;
    *) gcb_where="; the one on PATH is $gcb_copy" ;;
  esac
  die "nothing is installed under $prefix$gcb_where"
}

if [ "$action" = uninstall ]; then
  gcb_tab=$(printf '\t')
  gcb_pdirs=$(program_dirs)
  gcb_data=$(printf '%s\n' "$gcb_pdirs" | sed -n 1p)
  gcb_settings="$gcb_data/settings.json"
  pkg=$(package_dir)
  pkg_q=$(sh_quoted "$pkg")
  by_name=no
  [ ! -e "$bin" ] || [ "$(command -v git-credential-bitbucket || true)" != "$bin" ] || by_name=yes
  gcb_installed=no
  [ ! -e "$bin" ] && [ ! -d "$pkg" ] || gcb_installed=yes
  gcb_stored='' gcb_kept='' gcb_kept_copy=''
  if [ -x "$bin" ]; then
    if [ -n "$url" ]; then
      "$bin" unsetup "$url" || echo "install.sh: the git setup for $url was not removed (see above)" >&2
      "$bin" logout "$url" ||
        echo "install.sh: no token for $url was removed (see above; with several: '$bin logout $url --username NAME')" >&2
    fi
    gcb_stored=$(stored_tokens)
    # every other setup of the global config, by the program itself while it is there; one whose
    # helper line runs another copy that stays installed is that copy's (unsetup would remove it)
    while IFS="$gcb_tab" read -r gcb_r_file gcb_r_base gcb_r_rest; do
      [ -n "$gcb_r_file" ] || continue
      gcb_v=$(other_copy_line "$gcb_r_file" "credential.$gcb_r_base.helper")
      if [ -n "$gcb_v" ]; then
        if [ -z "$gcb_kept_copy" ] && gcb_f=$(program_file "$gcb_v"); then gcb_kept_copy=${gcb_f%/bin/*}; fi
        gcb_kept="$gcb_kept  - credential.$gcb_r_base.helper = $gcb_v ($gcb_r_file)
"
        continue
      fi
      "$bin" unsetup "$gcb_r_base" --global </dev/null ||
        echo "install.sh: the git setup for $gcb_r_base was not removed (see above)" >&2
    done <<RECORDS
$(setup_records)
RECORDS
  elif [ -n "$url" ]; then
    echo "install.sh: $bin is gone, so no token for $url was removed (the helper lines go below)" >&2
  fi
  gcb_records=$(setup_records)
  sweep_config
  remove_hook_script
  name_hook_files
  [ -z "$gcb_kept" ] ||
    printf "Left as they are (they run another copy of git-credential-bitbucket, which stays installed; that copy's unsetup URL removes one):\n%s" "$gcb_kept"
  if [ "$gcb_installed" = no ]; then
    [ -n "$gcb_changed" ] || nothing_installed
    echo "git-credential-bitbucket was already gone from $prefix; the git config lines that ran it are removed (above)"
  else
    npm uninstall --global --prefix "$prefix" --no-audit --no-fund --loglevel=error git-credential-bitbucket >/dev/null
    [ ! -e "$bin" ] || die "could not remove $bin"
    echo "Removed git-credential-bitbucket from $prefix"
  fi
  left_behind
  exit 0
fi

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
  *) echo "Note: $prefix/bin is not on your PATH; add it, e.g.: export PATH='$(sh_quoted "$prefix/bin")':\"\$PATH\"" ;;
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

# Another copy that still runs instead of this one: the one PATH finds first (git runs that for
# `git credential-bitbucket` and the helper lines that name the program), and helper lines that
# name another copy's file (setup URL replaces such a line with this one's).
realpath_of() { node -e 'const f = process.argv[1]; try { console.log(require("fs").realpathSync(f)); } catch { console.log(f); }' "$1"; }
gcb_copy=$(command -v git-credential-bitbucket || true)
if [ -n "$gcb_copy" ] && [ "$(realpath_of "$gcb_copy")" != "$(realpath_of "$bin")" ]; then
  gcb_copy_version=$("$gcb_copy" --version 2>/dev/null </dev/null) || gcb_copy_version='it does not run'
  case $gcb_copy in
    */bin/git-credential-bitbucket) gcb_fix="remove it ($0 --uninstall --prefix '$(sh_quoted "${gcb_copy%/bin/git-credential-bitbucket}")') or put" ;;
    *) gcb_fix=put ;;
  esac
  printf 'install.sh: warning: git credential-bitbucket runs %s (%s), which PATH finds instead of this one; %s %s/bin before it in PATH\n' \
    "$gcb_copy" "$gcb_copy_version" "$gcb_fix" "$prefix" >&2
fi
gcb_tab=$(printf '\t')
pkg=$(package_dir)
pkg_q=$(sh_quoted "$pkg")
by_name=no
gcb_stale=''
gcb_list=$(git config --show-scope --show-origin --get-regexp '^credential\.(.*\.)?helper$') || true
while IFS= read -r gcb_line; do
  [ -n "$gcb_line" ] || continue
  config_line "$gcb_line"
  ! points_at "$gcb_value" && program_file "$gcb_value" >/dev/null || continue
  gcb_base=${gcb_key#credential.}
  gcb_base=${gcb_base%helper}
  gcb_base=${gcb_base%.}
  gcb_cmd=''
  case $gcb_scope in
    global | system | local)
      gcb_cmd="'$(sh_quoted "$bin")' setup"
      [ -z "$gcb_base" ] || gcb_cmd="$gcb_cmd '$(sh_quoted "$gcb_base")'"
      gcb_cmd="$gcb_cmd --$gcb_scope"
      ;;
  esac
  gcb_stale="$gcb_stale  $gcb_key = $gcb_value ($gcb_scope, ${gcb_ofile:-$gcb_origin})
${gcb_cmd:+    to run this one there: $gcb_cmd
}"
done <<LIST
$gcb_list
LIST
[ -z "$gcb_stale" ] ||
  printf 'install.sh: warning: git still runs another copy of git-credential-bitbucket for:\n%s' "$gcb_stale" >&2
