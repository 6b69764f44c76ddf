/**
 * readDescription: stdin up to the blank line that ends a credential description, read by a
 * real process from a real pipe, including one whose writer never closes it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_BYTES } from '../../src/credential/protocol.js';
import { bundleForChild } from '../helpers/generated.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-input-'));
const reader = path.join(dir, 'reader.cjs');
beforeAll(async () => {
  fs.writeFileSync(
    path.join(dir, 'entry.ts'),
    `import { readDescription } from ${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'credential', 'input.ts'))};
require("node:fs").writeFileSync(1, JSON.stringify(readDescription(0)));
process.exit(0);
`,
  );
  await bundleForChild(path.join(dir, 'entry.ts'), reader);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes `chunks` to the reader's stdin one by one (a pause between), closing it only if `close`. */
function feed(chunks: Array<string | Buffer>, close: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [reader], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.on('error', reject);
    child.on('exit', () => {
      child.stdin.destroy();
      resolve(JSON.parse(out) as string);
    });
    let i = 0;
    const next = () => {
      if (i < chunks.length) {
        child.stdin.write(chunks[i++]!, () => setTimeout(next, 30));
      } else if (close) child.stdin.end();
    };
    next();
  });
}

describe('readDescription', () => {
  it('stops at a blank line that comes in a later write, without waiting for the end of input', async () => {
    expect(await feed(['protocol=https\nhost=a.example\n', '\n'], false)).toBe('protocol=https\nhost=a.example\n\n');
  });

  it('finds a blank line split across writes (LF | LF and LF | CR LF)', async () => {
    // what came with the blank line is returned too: the parser stops at the blank line
    expect(await feed(['protocol=https\n', '\nrest'], false)).toBe('protocol=https\n\nrest');
    expect(await feed(['protocol=https\n\r', '\n'], false)).toBe('protocol=https\n\r\n');
  });

  it('stops at a leading blank line', async () => {
    expect(await feed(['\n'], false)).toBe('\n');
    expect(await feed(['\r\n'], false)).toBe('\r\n');
  });

  it('reads to the end of input when no blank line comes', async () => {
    expect(await feed(['protocol=https\nhost=a', '.example'], true)).toBe('protocol=https\nhost=a.example');
  });

  it('decodes UTF-8 split across writes, and bad bytes as U+FFFD', async () => {
    const snow = Buffer.from('username=☃\n');
    expect(await feed([snow.subarray(0, 10), snow.subarray(10), '\n'], false)).toBe('username=☃\n\n');
    expect(await feed([Buffer.from([0x75, 0xff, 0x0a, 0x0a])], false)).toBe('u\ufffd\n\n');
  });

  it('stops one read past the size limit, so that the parser can refuse the input', async () => {
    const line = `x=${'a'.repeat(MAX_INPUT_BYTES)}\n`;
    const got = await feed([line, '\n'], false);
    expect(got.length).toBeGreaterThan(MAX_INPUT_BYTES);
    expect(got.length).toBeLessThanOrEqual(line.length);
  });
});
