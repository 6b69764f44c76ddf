#!/bin/sh
# Runs every test. The OS keyring contract tests need a Secret Service; they get a private
# one (dbus-run-session + gnome-keyring-daemon, throwaway HOME and XDG dirs) so that the
# user's own session bus and keyring are never touched.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/gcb-keyring.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT INT TERM
  mkdir -p "$tmp/run" "$tmp/data" "$tmp/config"
  chmod 700 "$tmp" "$tmp/run"
  HOME="$tmp" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run" \
    dbus-run-session -- sh "$root/test/with-keyring.sh" "$@"
else
  if [ -n "${CI:-}" ]; then
    echo "test/run.sh: dbus-run-session and gnome-keyring-daemon are required in CI (apt-get install dbus gnome-keyring)" >&2
    exit 1
  fi
  echo "note: OS keyring tests skipped: install dbus and gnome-keyring to run them" >&2
  exec "$root/node_modules/.bin/vitest" run "$@"
fi
