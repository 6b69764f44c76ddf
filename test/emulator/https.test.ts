// HTTPS mode: a generated CA that git and Node clients can trust (docs/bitbucket-server.md section 1).
import { readFile } from 'node:fs/promises';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { gitSandbox, testFixture, withCreds } from './test-helpers.js';

let emu: Emulator;
let box: Awaited<ReturnType<typeof gitSandbox>>;

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture(), https: true, context: '/stash' });
  box = await gitSandbox();
});
afterAll(async () => {
  await emu.stop();
  await box.cleanup();
});

function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('https', () => {
  it('exposes an https base URL and a CA file', async () => {
    expect(emu.baseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/stash$/);
    expect(emu.caFile).toBeDefined();
    expect(await readFile(emu.caFile ?? '', 'utf8')).toContain('BEGIN CERTIFICATE');
  });
  it('serves REST to clients trusting the CA, and fails verification otherwise', async () => {
    const ca = await readFile(emu.caFile ?? '', 'utf8');
    const r = await httpsGet(`${emu.baseUrl}/rest/api/1.0/application-properties`, ca);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ displayName: 'Bitbucket' });
    await expect(httpsGet(`${emu.baseUrl}/rest/api/1.0/application-properties`)).rejects.toThrow(/certificate/i);
  });
  it('git clones over https with http.sslCAInfo, and refuses without it', async () => {
    const url = `${withCreds(emu.baseUrl, 'alice', 'alice-pw')}/scm/prj/app.git`;
    const ok = await box.git([
      '-c',
      `http.sslCAInfo=${emu.caFile ?? ''}`,
      'clone',
      '--quiet',
      url,
      join(box.dir, 'ok'),
    ]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const bad = await box.git(['clone', '--quiet', url, join(box.dir, 'bad')]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stderr).toMatch(/SSL|certificate/i);
  });
});
