/**
 * git output collected for the pre-push guard by the installed hook script (hooks/pre-push)
 * while Node was starting: the script reads git's ref list itself, starts the config listing
 * and the `rev-list` of pushed commits at once, and hands each over on a pipe (fds 3 and 4).
 *
 * One pipe carries one git run: the arguments joined by spaces, a newline; for a git that read
 * its stdin (`--stdin` among the arguments), that input (lines) and an empty line; git's stdout; a
 * newline, the exit status, a newline. An answer is used only for a request with exactly the
 * same arguments and input, and only when git succeeded (0, or 1 from `git config`: nothing found); anything
 * else (another git version's argument list, an error whose message the guard wants, a pipe
 * that is not a pipe) makes the guard run git itself. So the script saves time and never
 * changes a result.
 */
import fs from 'node:fs';
import type { GitResult } from './repo.js';
import { isDigits } from '../prepush/chars.js';

export class Prefetched {
  private readonly pending: number[];
  private readonly answers = new Map<string, GitResult>();

  /** `fds`: the pipes to read, in order; each is read to its end (only when needed) and closed. */
  constructor(fds: readonly number[]) {
    this.pending = fds.filter(isPipe);
  }

  /**
   * The prefetched result of `git <args>` (fed `input` on stdin), once. Undefined when there is
   * none to use: the caller runs git itself then, so the pipes not read yet are closed first.
   */
  take(args: readonly string[], input?: string): GitResult | undefined {
    const key = args.some((a) => a.includes(' ') || a.includes('\n')) ? undefined : answerKey(args.join(' '), input);
    while (key !== undefined && !this.answers.has(key) && this.pending.length > 0) this.readNext();
    const answer = key === undefined ? undefined : this.answers.get(key);
    if (key !== undefined) this.answers.delete(key);
    // 1 is success for `git config --get-regexp` only (nothing matched)
    if (answer && (answer.status === 0 || (answer.status === 1 && args[0] === 'config'))) return answer;
    this.close();
    return undefined;
  }

  /**
   * Closes the pipes not read yet (the commit list when the identity check is off), so that no
   * process started later holds one open. (The hook script does not wait for a git whose answer
   * goes unread: it stops at its next write once the guard is done.)
   */
  close(): void {
    for (const fd of this.pending.splice(0)) closeQuietly(fd);
  }

  private readNext(): void {
    const fd = this.pending.shift() as number;
    let text: string;
    try {
      text = fs.readFileSync(fd, 'utf8');
    } catch {
      return;
    } finally {
      closeQuietly(fd);
    }
    const parsed = parsePrefetched(text);
    if (parsed) this.answers.set(parsed.key, parsed.result);
  }
}

/** The key of an answer: the arguments, and for a git fed on stdin the input as well. */
function answerKey(args: string, input: string | undefined): string {
  return input === undefined ? args : `${args}\n${input}`;
}

/** Pure: one pipe's text as (arguments and input key, result); undefined when it is not in the format. */
export function parsePrefetched(text: string): { key: string; result: GitResult } | undefined {
  const headerEnd = text.indexOf('\n');
  if (headerEnd < 0 || !text.endsWith('\n')) return undefined;
  const header = text.slice(0, headerEnd);
  let outStart = headerEnd + 1;
  let input: string | undefined;
  if (header.split(' ').includes('--stdin')) {
    // the input's lines, then an empty line (the input never holds one)
    const end = text.indexOf('\n\n', headerEnd);
    if (end < 0) return undefined;
    input = text.slice(headerEnd + 1, end + 1);
    outStart = end + 2;
  }
  const statusStart = text.lastIndexOf('\n', text.length - 2);
  if (statusStart < outStart - 1) return undefined;
  const status = text.slice(statusStart + 1, -1);
  if (!isDigits(status, 1, 3)) return undefined;
  return {
    key: answerKey(header, input),
    result: { status: Number(status), stdout: text.slice(outStart, statusStart), stderr: '' },
  };
}

function isPipe(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}
