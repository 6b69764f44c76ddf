/**
 * Runs a program on a real pseudo-terminal (python's pty module), answering prompts as they
 * appear: for the hidden password and token prompts, and for anything that behaves differently
 * when a person may be watching (git's helper stderr on a terminal).
 */
import { execa } from 'execa';
import type { Sandbox } from './sandbox.js';

/** Wait for `waitFor` in the output, then type `answer` and Enter. */
export interface PtyStep {
  waitFor: string;
  answer: string;
}

export interface PtyResult {
  exitCode: number;
  /** Everything the terminal showed (stdout and stderr together, CR LF line ends). */
  output: string;
}

const SCRIPT = `
import json, os, pty, select, sys, time
steps = json.loads(sys.stdin.readline())
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
def pump(until=None, timeout=30):
    global out
    end = time.time() + timeout
    while time.time() < end and (until is None or until not in out):
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            out += chunk
for step in steps:
    pump(step['waitFor'].encode())
    os.write(fd, step['answer'].encode() + b'\\r')
pump()
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Runs `command args` on a pseudo-terminal in the sandbox, answering `steps` in order. */
export async function runOnPty(
  sb: Sandbox,
  command: string,
  args: string[],
  steps: PtyStep[] = [],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<PtyResult> {
  const r = await execa('python3', ['-c', SCRIPT, command, ...args], {
    env: opts.env ?? sb.env,
    extendEnv: false,
    input: `${JSON.stringify(steps)}\n`,
    reject: false,
    cwd: opts.cwd ?? sb.dir,
  });
  return { exitCode: r.exitCode ?? -1, output: String(r.stdout) + String(r.stderr) };
}
