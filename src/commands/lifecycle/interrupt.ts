/**
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP after `login --create` or `rotate` created a token and
 * before it is stored. Nobody but this process knows the new token, so it is revoked with the
 * password session already accepted (one request, not retried, see revokeCreated) or, where
 * that fails, named in one line (name, id, token page) with the words that it was not stored;
 * then the process ends as the signal would have ended it. A second signal ends it at once.
 *
 * Once the command takes the token over (to store it, or to revoke it itself after a failed
 * check), a signal waits until the command releases it: it is acted on then, after one line
 * saying what became of the token.
 *
 * Other listeners of these signals are set aside while the watch is on and put back after: conf's
 * atomic writes (src/store/storefile.ts) end the process on them through when-exit, which hooks
 * them once conf is loaded, so conf is loaded before the watch starts.
 */
import { tokenPageUrl } from '../../bitbucket/links.js';
import { PROGRAM } from '../../settings.js';
import { loadConf } from '../../store/storefile.js';
import type { CommandIO } from '../shared/io.js';
import { revokeCreated, tokenLine, type Created } from './create.js';
import type { PasswordSession } from './password.js';

/**
 * SIGHUP is acted on under `nohup` too. nohup only sets SIGHUP to "ignore" before it runs Node,
 * and Node, as it starts and before any of this code runs, sets every signal it inherits as
 * ignored back to the default (ResetSignalHandlers in Node's node.cc: only SIGPIPE and SIGXFSZ
 * stay ignored), so /proc/self/status already shows SIGHUP as not ignored and a hangup would end
 * the process anyway (exit 129), token or not. There is nothing left to detect; revoking the
 * token first is the better end. test/commands/lifecycle-races.test.ts runs rotate under nohup.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The signals' watch over a token just created. */
export interface CreatedWatch {
  /**
   * The command takes the token over, right before it stores or revokes it: false when a signal
   * came first and its handler has it (the command then stops: see `parked`). A signal after
   * this waits for `release`.
   */
  take(): boolean;
  /**
   * The command is done with the token (`outcome` says how, for a signal that waited): signals
   * act as before again, and one that came since `take` ends the process now.
   */
  release(outcome: string): void;
  /** Where the command stops when `take` says no: never settles, the handler ends the process. */
  parked(): Promise<never>;
}

/** Watches SIGINT, SIGTERM and SIGHUP from now until `release`. */
export async function watchCreated(
  session: PasswordSession,
  created: Created,
  baseUrl: string,
  io: CommandIO,
): Promise<CreatedWatch> {
  await loadConf().catch(() => undefined);
  const others = SIGNALS.map((s) => [s, process.rawListeners(s)] as const);
  let state: 'watching' | 'taken' | 'revoking' | 'released' = 'watching';
  let pending: NodeJS.Signals | undefined;
  const label = tokenLine(created.info);
  const notStored = `the new token ${label} was not stored and may still work on the server: revoke it at ${tokenPageUrl(baseUrl, session.slug)}`;
  const say = (line: string): void => {
    try {
      io.stderr(`${PROGRAM}: interrupted; ${line.charAt(0).toLowerCase()}${line.slice(1)}\n`);
    } catch {
      // a terminal that hung up: nothing to tell
    }
  };
  let off = (): void => {
    off = () => undefined;
    for (const s of SIGNALS) process.off(s, onSignal);
    for (const [s, listeners] of others)
      for (const l of listeners) process.on(s, l as (signal: NodeJS.Signals) => void);
  };
  // ends the process as the signal would have (a shell then reports 130 for Ctrl-C); the
  // listeners put back see it first (when-exit ends it the same way)
  const end = (signal: NodeJS.Signals): void => {
    off();
    process.kill(process.pid, signal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (state === 'revoking') {
      say(notStored);
      return end(signal);
    }
    if (state === 'taken') {
      if (pending !== undefined) return end(signal);
      pending = signal;
      return;
    }
    state = 'revoking';
    void revokeCreated(session, created, baseUrl).then((left) => {
      say(left ? `${left}; it was not stored` : `the new token ${label} was revoked, and nothing was stored`);
      end(signal);
    });
  }
  for (const s of SIGNALS) {
    process.removeAllListeners(s);
    process.on(s, onSignal);
  }
  return {
    take() {
      if (state === 'revoking') return false;
      if (state === 'watching') state = 'taken';
      return true;
    },
    release(outcome) {
      if (state === 'revoking' || state === 'released') return;
      state = 'released';
      off();
      if (pending === undefined) return;
      say(outcome);
      end(pending);
    },
    parked: () => new Promise<never>(() => undefined),
  };
}
