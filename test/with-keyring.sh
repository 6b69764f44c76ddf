#!/bin/sh
# Inside a private D-Bus session: start an unlocked GNOME keyring, mark the session as
# private for the keyring tests, run the suite.
set -eu
printf 'test-only-keyring-password' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
GCB_TEST_PRIVATE_KEYRING=1
export GCB_TEST_PRIVATE_KEYRING
exec "$(dirname "$0")/../node_modules/.bin/vitest" run "$@"
