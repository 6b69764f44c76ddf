/**
 * The answers the hook script hands the guard (src/git/prefetched.ts): the format, and that an
 * answer is used only for exactly its own git command and only when git succeeded. Real pipes
 * (FIFOs fed by a writer process), as the script's are.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prefetched, parsePrefetched } from '../../src/git/prefetched.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-prefetch-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** An fd reading `text` from a pipe another process writes. */
function pipeOf(text: string): number {
  const src = path.join(dir, `src${n}`);
  const fifo = path.join(dir, `fifo${n++}`);
  fs.writeFileSync(src, text);
  execFileSync('mkfifo', [fifo]);
  spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' });
  return fs.openSync(fifo, 'r');
}

const isOpen = (fd: number) => {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

describe('parsePrefetched', () => {
  it('reads arguments, output (with NULs and newlines) and exit status', () => {
    expect(parsePrefetched('config -z --get-regexp x\na.b\nv\0c.d\nw\0\n0\n')).toEqual({
      key: 'config -z --get-regexp x',
      result: { status: 0, stdout: 'a.b\nv\0c.d\nw\0', stderr: '' },
    });
    expect(parsePrefetched('config -z\n\n1\n')).toEqual({
      key: 'config -z',
      result: { status: 1, stdout: '', stderr: '' },
    });
  });

  it('reads the input of a git fed on stdin: its lines up to the empty line', () => {
    expect(parsePrefetched('rev-list --stdin --not\na\n^b\n\nsha\0x\n\n0\n')).toEqual({
      key: 'rev-list --stdin --not\na\n^b\n',
      result: { status: 0, stdout: 'sha\0x\n', stderr: '' },
    });
    expect(parsePrefetched('rev-list --stdin\na\n\n\n0\n')).toEqual({
      key: 'rev-list --stdin\na\n',
      result: { status: 0, stdout: '', stderr: '' },
    });
    expect(parsePrefetched('rev-list --stdin\na\n0\n')).toBeUndefined(); // no end of input
  });

  it.each([
    ['empty', ''],
    ['no status', 'rev-list\nabc\n'],
    ['status not a number', 'rev-list\nabc\nexit\n'],
    ['cut short', 'rev-list\nabc\n0'],
    ['header only', 'rev-list\n'],
  ])('rejects a stream that is not in the format: %s', (_what, text) => {
    expect(parsePrefetched(text)).toBeUndefined();
  });
});

describe('Prefetched', () => {
  it('answers exactly its own command, once, and closes what it read', () => {
    const a = pipeOf('config -z --get-regexp ^x\\.\nx.y\n1\0\n0\n');
    const b = pipeOf('rev-list --not --remotes\nsha\0a\0c\0s\n\n0\n');
    const p = new Prefetched([a, b]);
    expect(p.take(['rev-list', '--not', '--remotes=origin'])).toBeUndefined(); // another remote
    expect(isOpen(a) || isOpen(b)).toBe(false); // both read looking for it, and closed
    expect(p.take(['config', '-z', '--get-regexp', '^x\\.'])).toEqual({ status: 0, stdout: 'x.y\n1\0', stderr: '' });
    expect(p.take(['config', '-z', '--get-regexp', '^x\\.'])).toBeUndefined();
    expect(p.take(['rev-list', '--not', '--remotes'])).toEqual({ status: 0, stdout: 'sha\0a\0c\0s\n', stderr: '' });
  });

  it('does not use a failed run: the caller runs git itself (and gets its error message); unread pipes are closed first', () => {
    const unread = pipeOf('rev-list x\n\n0\n');
    const p = new Prefetched([pipeOf('config y\n\n128\n'), unread]);
    expect(p.take(['config', 'y'])).toBeUndefined();
    expect(isOpen(unread)).toBe(false);
    expect(new Prefetched([pipeOf('rev-list x\n\n1\n')]).take(['rev-list', 'x'])).toBeUndefined(); // 1 is success for config only
  });

  it('reads a pipe only when asked, and close() closes the unread ones', () => {
    const a = pipeOf('config\n\n1\n');
    const b = pipeOf('rev-list\n\n0\n');
    const p = new Prefetched([a, b]);
    expect(p.take(['config'])).toEqual({ status: 1, stdout: '', stderr: '' });
    expect(isOpen(b)).toBe(true);
    p.close();
    expect(isOpen(b)).toBe(false);
    expect(p.take(['rev-list'])).toBeUndefined();
  });

  it('ignores descriptors that are not pipes (a file, a closed fd)', () => {
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, 'config\n\n0\n');
    const fd = fs.openSync(file, 'r');
    try {
      const p = new Prefetched([fd, 987]);
      expect(p.take(['config'])).toBeUndefined();
      expect(isOpen(fd)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('answers a git fed on stdin only for exactly the same input', () => {
    const answer = 'rev-list --stdin --not\na\n^b\n\nsha\n\n0\n';
    const args = ['rev-list', '--stdin', '--not'];
    expect(new Prefetched([pipeOf(answer)]).take(args, 'a\n^b\n')).toEqual({ status: 0, stdout: 'sha\n', stderr: '' });
    expect(new Prefetched([pipeOf(answer)]).take(args, 'a\n')).toBeUndefined();
    expect(new Prefetched([pipeOf(answer)]).take(args, '^b\na\n')).toBeUndefined();
    expect(new Prefetched([pipeOf(answer)]).take(args)).toBeUndefined();
  });

  it('never matches arguments that the script could not have joined unambiguously', () => {
    const p = new Prefetched([pipeOf('config a b\n\n0\n')]);
    expect(p.take(['config', 'a b'])).toBeUndefined();
  });
});
