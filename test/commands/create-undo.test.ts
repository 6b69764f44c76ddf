/**
 * `login --create` when the new token cannot be kept (its check fails, or storing it does): the
 * token is revoked with the password already accepted, or named (id, name, token page) when
 * revoking fails too. Never one more failed Basic attempt (docs/bitbucket-server.md section 2).
 */
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../bitbucket/helpers.js';
import { useEmulatorSandbox } from '../helpers/fixture.js';

const PASSWORD = 'alice-password';
const f = useEmulatorSandbox({ context: '/bb', secrets: [PASSWORD] });

/** In front of the emulator: every Bearer request to /rest/api gets an HTML 503; the rest passes. */
let proxy: TestServer;
beforeEach(async () => {
  f.emu.setFaults([]);
  f.emu.clearLog();
  const target = new URL(f.emu.baseUrl);
  proxy = await startServer();
  proxy.handler = (req, res) => {
    if (req.headers.authorization?.startsWith('Bearer ') && req.url?.includes('/rest/api/')) {
      res.writeHead(503, { 'content-type': 'text/html' });
      res.end('<html><body><h1>503 Service Unavailable</h1></body></html>');
      return;
    }
    const up = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    req.pipe(up);
  };
});
afterEach(() => proxy.close());

const createLogin = () =>
  f.bin(
    ['login', `${proxy.url}/bb`, '--create', '--username', 'alice', '--password-stdin', '--timeout', '20'],
    `${PASSWORD}\n`,
  );

/** alice's tokens as the server lists them (asked with her password, which succeeds). */
async function tokensOnServer(): Promise<Array<{ id: string; name: string }>> {
  const r = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice?limit=1000`, {
    headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
  });
  return ((await r.json()) as { values: Array<{ id: string; name: string }> }).values;
}

const createdId = (stderr: string) => /Created token ".+" \(id (\d{12})/.exec(stderr)?.[1] ?? 'none';
const failedBasic = () => f.emu.log().filter((l) => l.auth === 'basic' && l.status === 401).length;

describe('login --create, when the new token cannot be checked', () => {
  it('revokes it and says so; nothing is stored', async () => {
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    const id = createdId(r.stderr);
    expect(r.stderr).toMatch(
      /could not validate the token: .*503.*; nothing was stored, and the new token was revoked/,
    );
    expect((await tokensOnServer()).map((t) => t.id)).not.toContain(id);
    expect((await f.bin(['list'])).stdout).not.toContain('alice');
    expect(f.emu.log().filter((l) => l.method === 'DELETE' && l.path.endsWith(`/${id}`))).toHaveLength(1);
    expect(failedBasic()).toBe(0);
  });

  it('names the token and its page when revoking fails too', async () => {
    f.emu.setFaults([{ kind: 'status', status: 500, method: 'DELETE', path: 'access-tokens' }]);
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    const id = createdId(r.stderr);
    expect(r.stderr).not.toContain('nothing was stored, and');
    expect(r.stderr).toMatch(
      new RegExp(
        `nothing was stored\\. The new token "git-credential-bitbucket on .+" \\(id ${id}, .*\\) could not be revoked \\(.*500.*\\) and still works on the server: revoke it at ${proxy.url}/bb/plugins/servlet/access-tokens/users/alice/manage`,
      ),
    );
    expect((await tokensOnServer()).map((t) => t.id)).toContain(id);
    // one DELETE: not retried with the password
    expect(f.emu.log().filter((l) => l.method === 'DELETE')).toHaveLength(1);
    expect(failedBasic()).toBe(0);
  });
});
