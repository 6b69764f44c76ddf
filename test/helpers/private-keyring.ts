/**
 * Runs steps of the built program in a private D-Bus session with its own unlocked GNOME keyring
 * (dbus-run-session, throwaway HOME and XDG dirs under the sandbox), never the user's: see
 * test/hardening/keyring-session.mjs for the kinds of step.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, type RunResult, type Sandbox } from './sandbox.js';

export interface KeyringStep {
  args?: string[];
  input?: string;
  /** Variables to change for this step; null removes one (DBUS_SESSION_BUS_ADDRESS: no keyring). */
  envOverride?: Record<string, string | null>;
  lock?: boolean;
  unlock?: boolean;
  /** Runs `chattr` with this flag on `path` (its exit status is the step's `status`). */
  chattr?: '+i' | '-i';
  path?: string;
  /** Reads this keyring item of `service` directly. */
  keyringGet?: string;
  service?: string;
}
export type KeyringStepResult = RunResult & { ms: number; locked?: boolean; status?: number; value?: string | null };

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
/** Whether this machine can start a private keyring session. */
export const canRunKeyring = ['dbus-run-session', 'gnome-keyring-daemon', 'dbus-send'].every(has);

/** Runs `steps` with the sandbox's environment (plus the session's bus) and returns one result per step. */
export function inPrivateKeyring(sb: Sandbox, steps: KeyringStep[]): KeyringStepResult[] {
  const home = path.join(sb.dir, 'keyring-home');
  for (const d of ['data', 'config', 'run']) fs.mkdirSync(path.join(home, d), { recursive: true, mode: 0o700 });
  const stepsFile = path.join(sb.dir, 'keyring-steps.json');
  fs.writeFileSync(stepsFile, JSON.stringify(steps.map((s) => ({ ...s, env: sb.env }))));
  const outFile = path.join(sb.dir, 'keyring-results.json');
  const unlock = `printf '%s' test-only-keyring-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" "$@"`;
  const session = path.join(ROOT, 'test/hardening/keyring-session.mjs');
  const r = spawnSync(
    'dbus-run-session',
    ['--', 'sh', '-c', unlock, process.execPath, session, stepsFile, ROOT, outFile],
    {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        XDG_DATA_HOME: path.join(home, 'data'),
        XDG_CONFIG_HOME: path.join(home, 'config'),
        XDG_RUNTIME_DIR: path.join(home, 'run'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  if (r.status !== 0 || !fs.existsSync(outFile))
    throw new Error(`private keyring session failed (${r.status}): ${r.stderr.slice(-500)}`);
  return JSON.parse(fs.readFileSync(outFile, 'utf8')) as KeyringStepResult[];
}
