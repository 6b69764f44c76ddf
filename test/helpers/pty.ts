/**
 * Runs the built binary on a real pseudo-terminal (python's pty module): each step waits for a
 * text to appear, then types its answer. Returns everything the terminal showed and the exit code.
 */
import { execa } from 'execa';
import { BIN, type Sandbox } from './sandbox.js';

export interface PtyStep {
  /** Text to wait for before typing (on the terminal's output so far). */
  wait: string;
  /** What to type: raw bytes, e.g. `token\r`, or `\x03` for Ctrl-C. */
  send: string;
}

export interface PtyResult {
  exitCode: number;
  /** Exit signal name, when killed by one. */
  signal?: string;
  /** Everything written to the terminal (stdout and stderr together). */
  output: string;
  /** The terminal's `stty -a` line after the program ended (echo restored or not). */
  sttyAfter: string;
}

const SCRIPT = `
import os, pty, sys, time, select, json, subprocess
steps = json.loads(sys.stdin.read())
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
def pump(until=None, timeout=20):
    global out
    end = time.time() + timeout
    while time.time() < end and (until is None or until not in out):
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for step in steps:
    pump(step['wait'].encode())
    if step['wait'].encode() not in out:
        continue  # never asked (the program ended, or is past that point): typing would only echo
    try:
        os.write(fd, step['send'].encode())
    except OSError:
        break  # the program ended before asking: later steps do not apply
pump()
_, status = os.waitpid(pid, 0)
stty = subprocess.run(['stty', '-a'], stdin=fd, capture_output=True, text=True).stdout if os.path.exists('/bin/stty') or os.path.exists('/usr/bin/stty') else ''
sys.stdout.write(json.dumps({'output': out.decode('utf8', 'replace'), 'status': os.waitstatus_to_exitcode(status), 'stty': stty}))
`;

/** login's offer to run setup on a server git is not set up for, declined (a step for login flows). */
export const DECLINE_SETUP: PtyStep = { wait: '[Y/n]', send: 'n\r' };

/**
 * Runs `git-credential-bitbucket ...args` (or `command` when given) on a terminal, answering
 * `steps` in order. A step whose text never comes before the program ends is skipped.
 */
export async function runOnPty(
  sb: Sandbox,
  args: string[],
  steps: PtyStep[],
  command: string[] = [process.execPath, BIN],
): Promise<PtyResult> {
  const r = await execa('python3', ['-c', SCRIPT, ...command, ...args], {
    env: sb.env,
    extendEnv: false,
    input: JSON.stringify(steps),
    reject: false,
    cwd: sb.dir,
  });
  if (r.exitCode !== 0 || !r.stdout) throw new Error(`pty runner failed: ${r.stderr}`);
  const parsed = JSON.parse(r.stdout) as { output: string; status: number; stty: string };
  return {
    exitCode: parsed.status >= 0 ? parsed.status : 128 - parsed.status,
    ...(parsed.status < 0 ? { signal: String(-parsed.status) } : {}),
    output: parsed.output,
    sttyAfter: parsed.stty,
  };
}
