/**
 * What the program decided, step by step, for a user to send with a report: like GIT_TRACE,
 * GCM_TRACE or GH_DEBUG. `GIT_CREDENTIAL_BITBUCKET_TRACE` (src/settings.ts, docs/configuration.md):
 * - a true value (`1`, `true`, `2`, ...): lines on stderr;
 * - an absolute path: lines appended to that file (created 0600);
 * - unset, empty or false: nothing at all.
 *
 * Usage: `trace('get', () => `matched ${label}`)`. The message is a function so that nothing
 * is built when tracing is off: then `trace` is one comparison, and `get` stays as fast as it
 * was (the module has no imports beyond node:fs).
 *
 * Never a secret: call sites describe entries by their labels (`https://user@host/path`),
 * requests by protocol/host/path/username and the presence of a password, never its value. As a
 * second line of defence every value passed to {@link hideInTrace} (the helper passes the
 * request's secrets, the guard the credential it found) is replaced by `<hidden>`, and control
 * characters are escaped (a server's text cannot move the terminal's cursor).
 */
import fs from 'node:fs';
import { ENV } from './settings.js';

type Sink = (line: string) => void;

/** undefined: not decided yet (decided from process.env on first use); null: off. */
let sink: Sink | null | undefined;
const hidden = new Set<string>();
const TRUE = /^(1|2|true|yes|on)$/i;

/**
 * Decides where trace lines go from `env` (entry points call it with the environment they were
 * given; without a call, process.env decides on first use). Returns whether tracing is on.
 */
export function initTrace(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env[ENV.trace.name] ?? '').trim();
  if (value.startsWith('/')) {
    sink = (line) => {
      try {
        fs.appendFileSync(value, line, { mode: 0o600 });
      } catch {
        sink = null; // a trace file that cannot be written must not break the operation
      }
    };
  } else if (value !== '' && TRUE.test(value)) {
    sink = (line) => {
      try {
        fs.writeSync(2, line);
      } catch {
        sink = null;
      }
    };
  } else sink = null;
  return sink !== null;
}

/** Whether trace lines are written (for work done only to trace, beyond building a message). */
export function tracing(): boolean {
  if (sink === undefined) initTrace();
  return sink !== null;
}

/** One decision step of `area` (get, store, erase, guard, http, a command's name). */
export function trace(area: string, message: () => string): void {
  if (sink === null) return;
  if (sink === undefined && !initTrace()) return;
  let text = message();
  for (const secret of hidden) text = text.split(secret).join('<hidden>');
  text = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const ms = Math.round(performance.now());
  sink?.(`git-credential-bitbucket[${process.pid}] +${ms}ms ${area}: ${text}\n`);
}

/** Values that must never appear in a trace line (secrets of 4 characters or more). */
export function hideInTrace(...secrets: Array<string | undefined>): void {
  if (sink === null) return;
  for (const s of secrets) if (s !== undefined && s.length >= 4) hidden.add(s);
}
