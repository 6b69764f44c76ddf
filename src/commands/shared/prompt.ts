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
  const ac = new AbortController();
  // Ctrl-C at the prompt: the same exit as at the hidden prompt; close() restores the terminal
  rl.once('SIGINT', () => ac.abort());
  try {
    return (await rl.question(question, { signal: ac.signal })).trim();
  } catch (err) {
    if (ac.signal.aborted) {
      io.stderr('\n');
      throw new CommandError('cancelled', EXIT.interrupted);
    }
    throw err;
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
        if (ch === '\u0003') return finish(new CommandError('cancelled', EXIT.interrupted));
        if (ch === '\u0004') return finish(new CommandError('cancelled', EXIT.usage));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        // everything else is kept, tabs and stray control characters too: cleanToken names them
        else value += ch;
      }
    };
    input.resume();
    input.on('data', onData);
  });
}

/** Quotation marks, straight and typographic, and the backtick. */
const QUOTES = /["'`\u2018\u2019\u201c\u201d]/u;

/**
 * Zero-width characters a copy from a web page, a chat or an editor adds unseen: zero-width
 * space, non-joiner and joiner, word joiner, and the byte order mark (zero-width no-break space).
 */
const ZERO_WIDTH = /[\u200b-\u200d\u2060\ufeff]/u;

/** What a paste adds around a token unseen: whitespace, control and zero-width characters. */
const AROUND =
  /^[\s\u0000-\u001f\u007f\u200b-\u200d\u2060\ufeff]+|[\s\u0000-\u001f\u007f\u200b-\u200d\u2060\ufeff]+$/gu;

/** What has no place inside a token and is hard to see there: whitespace, control and zero-width characters. */
const UNSEEN = /[\s\u0000-\u001f\u007f-\u009f\u200b-\u200d\u2060\ufeff]/u;

/** `U+200B`. */
function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A character of UNSEEN in words: the common ones by name, the others by kind and code point. */
function unseen(c: string): string {
  if (c === ' ') return 'a space';
  if (c === '\t') return 'a tab';
  if (c === '\n' || c === '\r') return 'a line break';
  const kind = ZERO_WIDTH.test(c) ? 'a zero-width' : /\s/u.test(c) ? 'a whitespace' : 'a control';
  return `${kind} character (${codePoint(c)})`;
}

/**
 * A token as pasted, without what a paste adds around it unseen (spaces, tabs, CR, line breaks,
 * zero-width characters such as U+200B and the byte order mark). Whitespace, a control or a
 * zero-width character inside is a usage error that says where (the token itself is never
 * shown). So is a quotation mark: Bitbucket's tokens are base64 with `+`, `/` and `=`
 * (docs/bitbucket-server.md section 5), never a quote, so one is a paste mistake (`"BBDC-…"`
 * copied out of JSON); and so is any other character outside printable ASCII (a typographic
 * dash, a letter with an accent), which no token has and which Node refuses to put in the
 * Authorization header. It is refused rather than stripped, so that what is stored is exactly
 * what was pasted, and before it is sent, so that it costs no failed attempt.
 */
export function cleanToken(raw: string): string {
  const token = raw.replace(AROUND, '');
  if (token === '') throw new CommandError('no token given', EXIT.usage);
  const chars = [...token];
  const where = (i: number) => `at position ${i + 1} of ${chars.length}`;
  const at = chars.findIndex((c) => UNSEEN.test(c));
  if (at >= 0) {
    throw new CommandError(
      `the token has ${unseen(chars[at]!)} ${where(at)}; a token is one word: copy it again from the token page; nothing was stored`,
      EXIT.usage,
    );
  }
  const quote = chars.findIndex((c) => QUOTES.test(c));
  if (quote >= 0) {
    const ends = QUOTES.test(chars[0]!) || QUOTES.test(chars[chars.length - 1]!);
    throw new CommandError(
      ends
        ? 'the token is in quotes: paste it without them; nothing was stored'
        : `the token has a quotation mark ${where(quote)}, which no Bitbucket token has: copy it again from the token page; nothing was stored`,
      EXIT.usage,
    );
  }
  const other = chars.findIndex((c) => c < '!' || c > '~');
  if (other >= 0) {
    throw new CommandError(
      `the token has a character outside printable ASCII (${codePoint(chars[other]!)}) ${where(other)}, which no Bitbucket token has: copy it again from the token page; nothing was stored`,
      EXIT.usage,
    );
  }
  return token;
}

/** Reads all of stdin (for --token-stdin), as sent: cleanToken trims it. */
export async function readAllStdin(io: CommandIO, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new CommandError(`standard input is longer than ${limit} bytes; expected one token`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
