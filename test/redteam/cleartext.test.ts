// Issue 14 items 6 and 7 (second half): one plain-http rule for every command that sends a token.
// The attacks: a token stored under a one-off GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP=1 was later sent
// in clear by `status` and `doctor`; `http_proxy=… login http://127.0.0.1:PORT` sent the token in
// clear to the proxy. A recording proxy shows what left the machine in clear text.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startProxy, startServer, type TestProxy, type TestServer } from '../bitbucket/helpers.js';
import { describe as desc, expectNoSecrets, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { fakeBitbucket } from './hostile-server.js';

const TOKEN = 'BBDC-MDAwMDAwMDAwMDQzOmNsZWFydGV4dC10ZXN0LXRva2Vu';
const FAR = 'bitbucket.example.invalid';
let proxy: TestProxy;
let server: TestServer;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  proxy = await startProxy();
  server = await startServer();
  server.handler = fakeBitbucket({});
  // the far host is made up: the proxy hands its requests to the local look-alike
  proxy.upstream = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await Promise.all([proxy.close(), server.close()]);
  for (const sb of sandboxes) sb.cleanup();
  expectNoSecrets(outputs, [TOKEN]);
});
beforeEach(() => {
  proxy.log.length = 0;
  server.requests.length = 0;
});

function sandbox(env: NodeJS.ProcessEnv = {}): Sandbox {
  const sb = makeSandbox(env);
  sandboxes.push(sb);
  return sb;
}
async function bin(sb: Sandbox, args: string[], input = '', env: NodeJS.ProcessEnv = {}) {
  const r = await runBin(sb, args, input, { env: { ...sb.env, ...env } });
  outputs.push(args[0] === 'get' ? '' : r.stdout, r.stderr);
  return r;
}
const inClear = () => [...proxy.log, ...server.requests].filter((x) => x.authorization !== undefined);

describe('a token stored under a one-off GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP=1', () => {
  it('is not sent in clear later by get, status or doctor', async () => {
    const sb = sandbox({ http_proxy: proxy.url });
    const stored = await bin(sb, ['store'], desc({ protocol: 'http', host: FAR, username: 'alice', password: TOKEN }), {
      GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1',
    });
    expect(stored.exitCode, stored.stderr).toBe(0);
    const get = await bin(sb, ['get'], desc({ protocol: 'http', host: FAR }));
    expect(get.stdout).toBe('');
    const status = await bin(sb, ['status']);
    expect(status.exitCode).not.toBe(0);
    expect(status.stdout).toContain('plain http');
    const doctor = await bin(sb, ['doctor', `http://${FAR}`]);
    expect(doctor.stdout + doctor.stderr).toContain('plain http');
    expect(inClear()).toEqual([]);
  });

  it('is sent while the allowance holds (status with the variable set)', async () => {
    const sb = sandbox({ http_proxy: proxy.url });
    await bin(sb, ['store'], desc({ protocol: 'http', host: FAR, username: 'alice', password: TOKEN }), {
      GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1',
    });
    await bin(sb, ['status'], '', { GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1' });
    expect(inClear().length).toBeGreaterThan(0);
  });
});

describe('the loopback exemption does not hold through a proxy', () => {
  it('login http://127.0.0.1 with http_proxy refuses; directly, or with --allow-http, it works', async () => {
    const viaProxy = sandbox({ http_proxy: proxy.url });
    const refused = await bin(viaProxy, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(refused.exitCode, refused.stderr).not.toBe(0);
    expect(refused.stderr).toContain('through the proxy');
    expect(inClear()).toEqual([]);

    const direct = sandbox();
    const ok = await bin(direct, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(ok.exitCode, ok.stderr).toBe(0);

    const allowed = await bin(viaProxy, ['login', server.url, '--token-stdin', '--allow-http'], `${TOKEN}\n`);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(proxy.log.some((x) => x.authorization !== undefined)).toBe(true);
  });
});
