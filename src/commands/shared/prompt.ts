/**
 * Interactive input on a terminal: a plain line (the server URL) and a hidden one (the token,
 * never echoed). Without a terminal these refuse, so scripts get a clear error instead of a hang.
 */
import { CommandError, EXIT } from './errors.js';
import type { CommandIO } from './io.js';

/** Reads one visible line from the terminal. */
export async function promptLine(io: CommandIO, question: string): Promise<string> {
  if (!io.stdinIsTTY)
    throw new CommandError(`no terminal to ask "${question.trim()}"; pass it as an argument`, EXIT.usage);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: io.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/**
 * Reads one line from the terminal with echo off (raw mode): the characters typed are not shown.
 * Ctrl-C and Ctrl-D abort; Backspace edits.
 */
export function promptHidden(
  io: CommandIO,
  question: string,
  noTerminal = 'no terminal to read the token from; pipe it with --token-stdin',
): Promise<string> {
  if (!io.stdinIsTTY) return Promise.reject(new CommandError(noTerminal, EXIT.usage));
  const input = io.stdin;
  // Echo goes off before the question appears, so nothing typed after it is ever shown.
  input.setRawMode(true);
  io.stderr(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      io.stderr('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new CommandError('cancelled', EXIT.usage));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    input.resume();
    input.on('data', onData);
  });
}

/** Reads all of stdin (for --token-stdin), without the final line break. */
export async function readAllStdin(io: CommandIO, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new CommandError(`standard input is longer than ${limit} bytes; expected one token`);
    chunks.push(b);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
