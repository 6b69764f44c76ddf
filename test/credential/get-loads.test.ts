/**
 * What `get` loads: git runs it on every HTTPS operation, so it must load the launcher and the
 * helper's bundle and nothing else of ours (no CLI framework), and none of Node's modules that
 * only a connection or a terminal stream needs (net, tty, stream, http...). Each of those costs
 * a measurable part of a start (bench/README.md). Read from the process itself at exit, with
 * the built program answering from a real file store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, describe as desc, makeSandbox, ROOT, runBin, type Sandbox } from '../helpers/sandbox.js';

const SECRET = 'get-loads-secret-1234567890';
const HOST = 'bitbucket.invalid';
const DAY = 86_400;

let sb: Sandbox;
let preload: string;
let report: string;
beforeEach(async () => {
  sb = makeSandbox();
  report = path.join(sb.dir, 'loaded.json');
  preload = path.join(sb.dir, 'record-loads.cjs');
  // Node's built-ins as loaded after this point, and the files of ours that were required.
  fs.writeFileSync(
    preload,
    `const before = new Set(process.moduleLoadList);
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  builtins: process.moduleLoadList.filter((m) => !before.has(m)),
  files: Object.keys(require.cache),
})));
`,
  );
  // expires in three days: the renewal notice is due, so get asks whether stderr is a terminal
  const expiry = Math.floor(Date.now() / 1000) + 3 * DAY;
  const stored = await runBin(
    sb,
    ['store'],
    desc({ protocol: 'https', host: HOST, username: 'alice', password: SECRET, password_expiry_utc: expiry }),
  );
  expect(stored.exitCode, stored.stderr).toBe(0);
});
afterEach(() => sb.cleanup());

/** Runs `get` for HOST through `command` (node and its arguments first); the token must come back. */
async function get(command: string[], env: NodeJS.ProcessEnv = sb.env): Promise<string> {
  const r = await execa(command[0]!, [...command.slice(1), BIN, 'get'], {
    env,
    extendEnv: false,
    input: desc({ protocol: 'https', host: HOST }),
    reject: false,
    cwd: sb.dir,
  });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  expect(String(r.stdout)).toContain(`password=${SECRET}`);
  return String(r.stdout);
}

async function loadsOfGet(): Promise<{ builtins: string[]; files: string[] }> {
  await get([process.execPath, '-r', preload]);
  return JSON.parse(fs.readFileSync(report, 'utf8')) as { builtins: string[]; files: string[] };
}

describe('get', () => {
  it('loads the launcher and the helper bundle only, and no stream, terminal or network module', async () => {
    for (const round of ['first run', 'second run']) {
      const { builtins, files } = await loadsOfGet();
      const ours = files.filter((f) => f !== preload).map((f) => path.relative(ROOT, fs.realpathSync(f)));
      // the launcher may run dist/helper.cjs from a code cache (not a require) or require() it
      expect(
        ours.filter((f) => f !== 'dist/helper.cjs'),
        round,
      ).toEqual(['bin/git-credential-bitbucket.cjs']);
      const heavy = builtins.filter((m) =>
        /^NativeModule (net|tty|stream|readline|http|https|tls|dns|child_process|crypto|internal\/streams\/.*)$/.test(
          m,
        ),
      );
      expect(heavy, round).toEqual([]);
    }
  });

  it('with a terminal for stderr, the renewal notice still appears (the check is only deferred)', async () => {
    const { GIT_TERMINAL_PROMPT: _noPrompts, ...env } = sb.env; // git may prompt: a person is there
    const out = await get(['python3', '-c', PTY_STDERR, process.execPath], env);
    expect(out).toMatch(/the token for alice on https:\/\/bitbucket\.invalid expires on .* \(in 2 days\)/);
  });
});

/** Runs argv with stdin and stdout as given, stderr on a pseudo-terminal whose output goes to stdout. */
const PTY_STDERR = `
import os, pty, sys
master, slave = pty.openpty()
pid = os.fork()
if pid == 0:
    os.dup2(slave, 2)
    os.execv(sys.argv[1], sys.argv[1:])
os.close(slave)
_, status = os.waitpid(pid, 0)
out = b''
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;
