/**
 * Reads a credential description from a file descriptor (stdin) synchronously, stopping at
 * the blank line that ends it, at EOF, or one read past the 1 MiB limit (so that the parser
 * can refuse it). Decoding is left to the caller's parser, which splits on LF only.
 *
 * `get` runs this on every git operation: it reads into one typed array and decodes it once
 * (see src/bytes.ts for why not through Buffer's functions).
 */
import fs from 'node:fs';
import { MAX_INPUT_BYTES } from './protocol.js';
import { grown, utf8 } from '../bytes.js';

const LF = 0x0a;
const CR = 0x0d;

export function readDescription(fd = 0): string {
  let buf = new Uint8Array(64 * 1024);
  let total = 0;
  for (;;) {
    if (total === buf.length) buf = grown(buf);
    let n: number;
    try {
      n = fs.readSync(fd, buf, total, buf.length - total, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (code === 'EOF') break; // Windows pipes
      throw err;
    }
    if (n === 0) break;
    const from = total;
    total += n;
    if (total > MAX_INPUT_BYTES) break;
    if (endsDescription(buf, from, total)) break;
  }
  return utf8(buf, 0, total);
}

/**
 * A blank line (LF LF, or LF CR LF) ending in bytes [from, to) of `b`, or a leading blank line.
 * Bytes past `to` are still zero.
 */
function endsDescription(b: Uint8Array, from: number, to: number): boolean {
  if (b[0] === LF || (b[0] === CR && b[1] === LF)) return true;
  for (let i = Math.max(1, from); i < to; i++) {
    if (b[i] !== LF) continue;
    if (b[i - 1] === LF || (b[i - 1] === CR && i >= 2 && b[i - 2] === LF)) return true;
  }
  return false;
}
