#!/bin/sh
# git-credential-bitbucket credential helper front
# `setup` writes the helper line `!f() { . "$1"; }; f '<this file>' '<node>' <platform>`: git
# appends the operation (get, store, erase), runs the line with sh and sends the credential on
# stdin. The line reads this file into that sh (no second sh starts on every git operation).
# Lines written by earlier versions run it instead, `!sh '<this file>' '<node>' <platform>`; both
# work. Two things happen here so that a git operation pays for one Node start, not three:
# - Node starts without NODE_EXTRA_CA_CERTS (reading that file costs more than our whole
#   start); its value is handed on as GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS, which anything
#   of ours that connects trusts in addition (src/bitbucket/http.ts).
# - `store` of exactly the credential `get` just gave out (git sends it after every successful
#   request) changes nothing, and ends here without Node. The data directory's `given` file lists
#   digests of what `get` gave out since the last write to the store (src/credential/given.ts
#   says how it is kept). Any doubt (another attribute, no digest tool, no file) goes to Node.
# The token only ever goes through a pipe: never into arguments or the environment.
case ${1-} in
  */git-credential-bitbucket.sh) gcb_bin=${1%/*}/git-credential-bitbucket.cjs; shift ;; # read into git's sh
  *) gcb_bin=${0%/*}/git-credential-bitbucket.cjs ;; # run as `sh <this file>`
esac
gcb_node=$1
gcb_platform=$2
shift 2
# Node starts the launcher under the name it has here, without resolving links in each
# directory of its path first (--preserve-symlinks-main), unless the launcher or its directory
# is a link (it finds dist/ one level up from its own directory).
gcb_main=--preserve-symlinks-main
[ ! -L "$gcb_bin" ] && [ ! -L "${gcb_bin%/*}" ] || gcb_main=--

if [ -n "${NODE_EXTRA_CA_CERTS-}" ]; then
  GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi

# The `given` file of the data directory, computed as dataDir in src/settings.ts does (relative
# XDG_DATA_HOME and HOME ignored); Node checks that it is the same path before it writes there,
# and empties it otherwise. No answer here (Windows, no HOME): no skipping.
given_path() {
  case ${HOME-} in /*) gcb_home=$HOME ;; *) gcb_home='' ;; esac
  if [ -n "${GIT_CREDENTIAL_BITBUCKET_DIR-}" ]; then
    gcb_dir=$GIT_CREDENTIAL_BITBUCKET_DIR
    case $gcb_dir in /*) ;; *) gcb_dir=$PWD/$gcb_dir ;; esac
  elif [ "$gcb_platform" = win32 ] || [ -z "$gcb_home" ]; then
    return 1
  elif [ "$gcb_platform" = darwin ]; then
    gcb_dir="$gcb_home/Library/Application Support/git-credential-bitbucket"
  else
    case ${XDG_DATA_HOME-} in
      /*) gcb_dir=$XDG_DATA_HOME/git-credential-bitbucket ;;
      *) gcb_dir=$gcb_home/.local/share/git-credential-bitbucket ;;
    esac
  fi
  gcb_given=$gcb_dir/given
}

case ${1-} in
  get)
    if given_path; then
      GIT_CREDENTIAL_BITBUCKET_GIVEN=$gcb_given
      export GIT_CREDENTIAL_BITBUCKET_GIVEN
    fi
    [ ! -x "$gcb_node" ] || exec "$gcb_node" "$gcb_main" "$gcb_bin" "$@"
    ;;
  store) ;;
  *) [ ! -x "$gcb_node" ] || exec "$gcb_node" "$gcb_main" "$gcb_bin" "$@" ;;
esac

# Past this point only for a store, or when the Node the line names cannot run (sh reads this
# far only then). That Node gone (an upgrade removed its versioned directory): `node` on PATH
# runs instead, with one line saying so; with none, one line and exit 1, and git goes on to the
# next helper or its prompt. doctor reports the same (src/commands/shared/invocation.ts).
find_node() {
  [ ! -x "$gcb_node" ] || return 0
  if gcb_found=$(command -v node 2>/dev/null) && [ -n "$gcb_found" ]; then
    printf '%s\n' "git-credential-bitbucket: the Node this helper line names is gone ($gcb_node); using $gcb_found from PATH. To fix, run: git credential-bitbucket setup URL" >&2
    gcb_node=$gcb_found
  else
    printf '%s\n' "git-credential-bitbucket: the Node this helper line names is gone ($gcb_node) and no node is on PATH; install Node, then run: git credential-bitbucket setup URL" >&2
    exit 1
  fi
}
case ${1-} in
  store) ;;
  *)
    find_node
    exec "$gcb_node" "$gcb_main" "$gcb_bin" "$@"
    ;;
esac

# store: read the request (up to a blank line, as git-credential(1) ends it), keep it to hand
# to Node unchanged, and build the canonical text of src/credential/given.ts.
gcb_req='' gcb_same=1 gcb_seen=' '
gcb_protocol='' gcb_host='' gcb_path='' gcb_username='' gcb_password='' gcb_password_expiry_utc=''
gcb_oauth_refresh_token='' gcb_authtype='' gcb_credential=''
while IFS= read -r gcb_line || [ -n "$gcb_line" ]; do
  gcb_req="$gcb_req$gcb_line
"
  [ -n "$gcb_line" ] || break
  gcb_key=${gcb_line%%=*}
  gcb_value=${gcb_line#*=}
  case $gcb_line in *=*) ;; *) gcb_same=0; continue ;; esac
  case $gcb_key in
    'capability[]' | 'state[]') continue ;;
    protocol | host | path | username | password | password_expiry_utc | oauth_refresh_token | authtype | credential) ;;
    *) gcb_same=0; continue ;;
  esac
  case $gcb_seen in *" $gcb_key "*) gcb_same=0 ;; esac
  gcb_seen="$gcb_seen$gcb_key "
  eval "gcb_$gcb_key=\$gcb_value"
done

to_node() {
  find_node
  printf '%s' "$gcb_req" | "$gcb_node" "$gcb_main" "$gcb_bin" store
  exit
}

[ $gcb_same = 1 ] && given_path && [ -f "$gcb_given" ] && command -v sha256sum >/dev/null 2>&1 || to_node
IFS= read -r gcb_head <"$gcb_given" || to_node
case $gcb_head in 'v1 '*) gcb_salt=${gcb_head#v1 } ;; *) to_node ;; esac
gcb_canonical=''
for gcb_key in protocol host path username password password_expiry_utc oauth_refresh_token authtype credential; do
  case $gcb_seen in *" $gcb_key "*) eval "gcb_canonical=\"\${gcb_canonical}$gcb_key=\${gcb_$gcb_key}
\"" ;; esac
done
gcb_sum=$({ printf '%s\n' "$gcb_salt"; printf '%s' "$gcb_canonical"; } | sha256sum) || to_node
gcb_sum=${gcb_sum%% *}
while IFS= read -r gcb_digest; do
  [ "$gcb_digest" != "$gcb_sum" ] || exit 0
done <"$gcb_given"
to_node
