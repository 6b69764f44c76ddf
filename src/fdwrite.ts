/**
 * Synchronous writes to stdout/stderr by file descriptor. The hot paths use this instead of
 * `process.stdout`/`process.stderr`: touching those builds a stream object and loads the
 * stream and net modules, which measured ~4 ms of a ~30 ms start.
 */
import { fstatSync, writeSync } from 'node:fs';

export function writeFd(fd: 1 | 2, text: string): void {
  let buf = Buffer.from(text, 'utf8');
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      // a non-blocking pipe that is full: wait a moment and go on
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

/**
 * isatty(fd) for the hot paths. `node:tty` brings the net and stream modules with it (about as
 * much as the rest of a `get`), so it is loaded only for a character device: pipes and files,
 * where git's helpers and hooks usually write, are answered by one fstat.
 */
export function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}
