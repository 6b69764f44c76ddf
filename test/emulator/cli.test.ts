// The emulator CLI: bundled like dist/emulator.js, spawned with --port 0, stopped with SIGTERM.
import { build } from 'esbuild';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const demo = join(here, 'fixtures', 'demo.json');
let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bb-emu-cli-'));
  bundle = join(dir, 'emulator.js');
  await build({
    entryPoints: [join(here, 'cli.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: bundle,
    logLevel: 'error',
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Starts the CLI and resolves with its ready line (and the first stdout chunk, to check nothing else was printed). */
async function startCli(
  args: string[],
): Promise<{ child: ResultPromise; ready: { baseUrl: string; pid: number; caFile?: string }; firstChunk: string }> {
  const child = execa('node', [bundle, ...args], {
    reject: false,
    env: { PATH: process.env.PATH ?? '' },
    extendEnv: false,
  });
  const firstChunk = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (c: Buffer) => resolve(c.toString()));
    child.once('exit', () => reject(new Error('emulator exited before it was ready')));
  });
  return { child, ready: JSON.parse(firstChunk) as { baseUrl: string; pid: number; caFile?: string }, firstChunk };
}

describe('cli', () => {
  it('prints one JSON line, serves, and stops cleanly on SIGTERM', async () => {
    const { child, ready, firstChunk } = await startCli([
      '--data',
      demo,
      '--port',
      '0',
      '--context',
      '/bitbucket',
      '--switch',
      'version=8.19.12',
    ]);
    expect(firstChunk).toMatch(/^\{[^\n]*\}\n$/);
    expect(Object.keys(ready).sort()).toEqual(['baseUrl', 'pid']);
    expect(ready.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bitbucket$/);
    expect(ready.pid).toBe(child.pid);
    const res = await fetch(`${ready.baseUrl}/rest/api/1.0/application-properties`);
    expect(await res.json()).toMatchObject({ version: '8.19.12' });
    const auth = await fetch(`${ready.baseUrl}/rest/api/1.0/users?limit=1`, {
      headers: { Authorization: `Bearer BBDC-MTAwMDAwMDAwMDAxOgmV9g4a1pLP7N8T/4IYD1gm8JA6` },
    });
    expect(auth.headers.get('x-ausername')).toBe('alice');
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toBe(firstChunk.trimEnd());
    await expect(fetch(`${ready.baseUrl}/rest/api/1.0/application-properties`)).rejects.toThrow();
  });
  it('in HTTPS mode reports caFile, applies --fault, and removes its temp dir on SIGINT', async () => {
    const { child, ready } = await startCli([
      '--data',
      demo,
      '--https',
      '--fault',
      '{"kind":"status","status":503,"times":1}',
    ]);
    expect(ready.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(ready.caFile ?? '', 'utf8');
    const status = () =>
      new Promise<number>((resolve, reject) => {
        get(`${ready.baseUrl}/rest/api/1.0/application-properties`, { ca }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status()).toBe(503);
    expect(await status()).toBe(200);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(0);
    expect(existsSync(ready.caFile ?? '')).toBe(false);
  });
  it.each([
    [['--port', '0'], /--data is required/],
    [['--data', demo, '--port', 'x'], /--port/],
    [['--data', demo, '--switch', 'nope=1'], /switch nope/],
    [['--data', '/nonexistent.json'], /cannot read fixture/],
  ])('exits 2 with one line on stderr for %j', async (args, message) => {
    const r = await execa('node', [bundle, ...args], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stdout)).toBe('');
    expect(String(r.stderr)).toMatch(message);
    expect(String(r.stderr).trim().split('\n')).toHaveLength(1);
  });
  it('exits 2 for an invalid fixture, naming the problem', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ repos: [{ project: 'NOPE', slug: 'x' }] }));
    const r = await execa('node', [bundle, '--data', bad], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr).trim()).toBe('emulator: repos[0].project: unknown project "NOPE"');
  });
});
