// Runs inside a private D-Bus session with its own GNOME keyring (started by
// test/helpers/private-keyring.ts through dbus-run-session, with a throwaway HOME and XDG dirs), so it
// can lock and unlock that keyring without touching anyone else's. Reads a list of steps (JSON
// file in argv[2]) and writes one JSON result per step, as a JSON list, to the file in argv[4]
// (not stdout: daemons D-Bus activates in this session inherit it and print to it).
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const [, , stepsFile, root, outFile] = process.argv;
const require = createRequire(path.join(root, 'package.json'));
const fs = require('node:fs');
const steps = JSON.parse(fs.readFileSync(stepsFile, 'utf8'));
const PASSWORD = 'test-only-keyring-password';
const COLLECTION = '/org/freedesktop/secrets/collection/login';

function dbus(...args) {
  return execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.secrets', ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}
const locked = () =>
  /boolean true/.test(
    dbus(
      COLLECTION,
      'org.freedesktop.DBus.Properties.Get',
      'string:org.freedesktop.Secret.Collection',
      'string:Locked',
    ),
  );

function unlock() {
  // A new daemon on this private bus reads the login keyring from disk, unlocked by the password.
  spawnSync('gnome-keyring-daemon', ['--replace', '--unlock', '--components=secrets'], {
    input: PASSWORD,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  for (let i = 0; i < 100 && safeLocked() !== false; i++)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  return { locked: safeLocked() };
}
function safeLocked() {
  try {
    return locked();
  } catch {
    return undefined;
  }
}

const out = [];
for (const step of steps) {
  if (step.lock) {
    dbus('/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', `array:objpath:${COLLECTION}`);
    out.push({ locked: locked() });
  } else if (step.unlock) {
    out.push(unlock());
  } else if (step.chattr) {
    out.push({ status: spawnSync('chattr', [step.chattr, step.path]).status });
  } else if (step.keyringGet) {
    const { Entry } = require('@napi-rs/keyring');
    out.push({ value: new Entry(step.service, step.keyringGet).getPassword() });
  } else {
    const env = { ...step.env, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS };
    for (const [k, v] of Object.entries(step.envOverride ?? {})) {
      if (v === null) delete env[k];
      else env[k] = v;
    }
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [path.join(root, 'bin/git-credential-bitbucket.cjs'), ...step.args], {
      input: step.input ?? '',
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    out.push({ exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 });
  }
}
fs.writeFileSync(outFile, JSON.stringify(out));
