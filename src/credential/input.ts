/**
 * Reads a credential description from a file descriptor (stdin) synchronously, stopping at
 * the blank line that ends it, at EOF, or one byte past the 1 MiB limit (so that the parser
 * can refuse it). Decoding is left to the caller's parser, which splits on LF only.
 */
import fs from 'node:fs';
import { MAX_INPUT_BYTES } from './protocol.js';

export function readDescription(fd = 0): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
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
    chunks.push(Buffer.from(buf.subarray(0, n)));
    total += n;
    if (total > MAX_INPUT_BYTES) break;
    if (endsDescription(Buffer.concat(chunks))) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A blank line (LF LF, or LF CR LF) or a leading blank line ends the description. */
function endsDescription(b: Buffer): boolean {
  if (b[0] === 0x0a || (b[0] === 0x0d && b[1] === 0x0a)) return true;
  return b.includes('\n\n') || b.includes('\n\r\n');
}
