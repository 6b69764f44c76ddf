// Issue 14 item 12: a server (or a gateway in front of it) that echoes the request back in an
// error message, URL-encoded or percent-encoded, must not get the token printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../bitbucket/helpers.js';
import { expectNoSecrets, makeSandbox, runBin } from '../helpers/sandbox.js';
import { behave, fakeBitbucket } from './hostile-server.js';
import { redactSecret } from '../../src/bitbucket/failure.js';

const TOKEN = 'BBDC-MDAwMDAwMDAwMDQ0OmVjaG8rdGVzdC90b2tlbj0/';
let server: TestServer;

/** Every form of the secret a hostile echo may carry. */
function forms(secret: string): string[] {
  const every = [...Buffer.from(secret)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
  const enc = encodeURIComponent(secret);
  return [
    secret,
    enc,
    enc.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    every,
    every.toUpperCase(),
    new URLSearchParams({ a: secret }).toString().slice(2),
  ];
}

beforeAll(async () => {
  server = await startServer();
  const bitbucket = fakeBitbucket({});
  const echo = behave.echo();
  server.handler = (req, res) =>
    (req.url ?? '').includes('application-properties') ? bitbucket(req, res) : echo(req, res);
});
afterAll(() => server.close());

describe('a server that echoes the token back', () => {
  it('login prints the error without the token in any encoding', async () => {
    const sb = makeSandbox();
    try {
      const r = await runBin(sb, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain('request rejected');
      expect(r.stderr).toContain('[redacted]');
      expectNoSecrets([r.stdout, r.stderr], [...forms(TOKEN), ...forms(Buffer.from(TOKEN).toString('base64'))]);
    } finally {
      sb.cleanup();
    }
  });
  it('redactSecret removes the Basic header forms too', () => {
    const basic = Buffer.from(`alice:${TOKEN}`).toString('base64');
    const text = forms(basic).join(' ');
    expect(redactSecret(text, TOKEN, 'alice')).not.toMatch(/[A-Za-z0-9%]{12,}/);
  });
});
