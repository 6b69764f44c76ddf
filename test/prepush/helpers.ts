/** Shared pieces of the pre-push tests: an IO double. */
import type { CommandIO } from '../../src/commands/shared/io.js';

/** A CommandIO that records what was written. */
export function recordingIO(env: NodeJS.ProcessEnv): CommandIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    env,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    now: () => Date.now(),
    stdin: process.stdin,
    stdinIsTTY: true,
    stderrIsTTY: false,
    stdoutIsTTY: false,
  };
}
