/**
 * src/bytes.ts: the hot paths' reading and decoding, which must agree byte for byte with what
 * fs.readFileSync and Buffer#toString give.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grown, latin1, readWhole, utf8 } from '../src/bytes.js';
import { BIN } from './helpers/sandbox.js';
import { bundleForChild } from './helpers/generated.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-bytes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Reader = (fd: number, sizeHint?: number) => Uint8Array;

/** The launcher's own copy of readWhole (it may load nothing of src/), taken from its source. */
const launcherReadWhole = (() => {
  const source = fs.readFileSync(BIN, 'utf8');
  const fn = /\nfunction readWhole\(fd, sizeHint\) \{\n[\s\S]*?\n\}\n/.exec(source)?.[0];
  if (!fn) throw new Error('bin/ defines readWhole(fd, sizeHint)');
  return new Function('fs', `${fn}\nreturn readWhole;`)(fs) as Reader;
})();

function readBack(content: Uint8Array, sizeHint?: number, read: Reader = readWhole): Uint8Array {
  const file = path.join(dir, `f${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, content);
  const fd = fs.openSync(file, 'r');
  try {
    return read(fd, sizeHint);
  } finally {
    fs.closeSync(fd);
  }
}

describe('readWhole', () => {
  const big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;

  it.each([
    ['empty, with its size', Buffer.alloc(0), 0],
    ['exact size', big, big.length],
    ['no size (grows)', big, undefined],
    ['a size too small (the file grew after fstat)', big, 10],
    ['a size too large (the file shrank)', Buffer.from('abc'), 4096],
  ])('%s: the same bytes as readFileSync, from src/bytes.ts and from the launcher', (_name, content, hint) => {
    expect(Buffer.from(readBack(content, hint)).equals(content)).toBe(true);
    // the launcher always knows the size (fstat); the cases without one are src/'s alone
    if (hint !== undefined) expect(Buffer.from(readBack(content, hint, launcherReadWhole)).equals(content)).toBe(true);
  });

  it('reads a pipe to its end', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `const { readWhole } = require(${JSON.stringify(path.join(dir, 'bytes.cjs'))}); process.stdout.write(String(readWhole(0).length))`;
    await bundleForChild(path.join(__dirname, '..', 'src', 'bytes.ts'), path.join(dir, 'bytes.cjs'));
    const r = spawnSync(process.execPath, ['-e', script], { input: big, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(String(big.length));
  });
});

describe('grown', () => {
  it('keeps the bytes and doubles the length', () => {
    const g = grown(Uint8Array.of(1, 2, 3));
    expect([...g]).toEqual([1, 2, 3, 0, 0, 0]);
  });
});

describe('utf8 and latin1', () => {
  const samples = [
    Buffer.from('protocol=https\nhost=bitbucket.example.com\n\n'),
    Buffer.from('naïve ☃ 𝄞 end'),
    Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98]), // invalid and cut sequences
    Buffer.alloc(0),
  ];
  it.each(samples.map((s) => [s.toString('hex'), s]))('decodes %s as Buffer#toString does', (_hex, b) => {
    const plain = new Uint8Array(b);
    expect(utf8(plain)).toBe(b.toString('utf8'));
    expect(latin1(plain)).toBe(b.toString('latin1'));
    if (b.length > 3) {
      expect(utf8(plain, 1, b.length - 1)).toBe(b.toString('utf8', 1, b.length - 1));
      expect(latin1(plain, 1, 3)).toBe(b.toString('latin1', 1, 3));
    }
  });
});
