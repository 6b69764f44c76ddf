/**
 * Bytes on the hot paths (`get`, the warm hook) as plain Uint8Arrays. Node compiles its own
 * library lazily, at the first call of each function in a process, and for these paths that is
 * most of their cost: `fs.readFileSync(fd)` (about 1.3M instructions at first call), Buffer's
 * `toString` (0.5M) or `Buffer.allocUnsafe` (0.3M) each cost more than the work they do here.
 * Typed-array methods are built into V8, and the native decoders Buffer#toString itself calls
 * cost next to nothing, so these helpers use those and one `fs.readSync`.
 */
import fs from 'node:fs';

/** Everything from `fd` to its end; `sizeHint` (an fstat size) saves growing the array. */
export function readWhole(fd: number, sizeHint = 0): Uint8Array {
  let buf: Uint8Array<ArrayBuffer> = new Uint8Array(Math.max(sizeHint, 0) + 1);
  let total = 0;
  for (;;) {
    if (total === buf.length) buf = grown(buf);
    const n = fs.readSync(fd, buf, total, buf.length - total, null);
    if (n === 0) return buf.subarray(0, total);
    total += n;
  }
}

/** `buf` copied into an array twice its length. */
export function grown(buf: Uint8Array): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(buf.length * 2);
  bigger.set(buf);
  return bigger;
}

type Slice = (this: Uint8Array, start: number, end: number) => string;
const natives = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice };

/** Bytes [start, end) as UTF-8 (invalid sequences become U+FFFD), exactly as Buffer#toString decodes them. */
export function utf8(b: Uint8Array, start = 0, end = b.length): string {
  return natives.utf8Slice ? natives.utf8Slice.call(b, start, end) : asBuffer(b).toString('utf8', start, end);
}

/** Bytes [start, end) as Latin-1, one character per byte. */
export function latin1(b: Uint8Array, start = 0, end = b.length): string {
  return natives.latin1Slice ? natives.latin1Slice.call(b, start, end) : asBuffer(b).toString('latin1', start, end);
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}
