/**
 * login given a URL that answers with a redirect: to the same host over https, or to the same
 * server with its context path, login asks there and uses that base URL, saying so; to another
 * host (or port, or from https down to http) it says where and stops, sending nothing there.
 * The fronts are emulators whose `redirect` fault plays a web server in front of Bitbucket.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { DEMO, fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';

const token = fixtureToken('alice-write');
// the server: https with its own CA, context path /bitbucket
const f = useEmulatorSandbox({ context: '/bitbucket', https: true, secrets: [token] });
const { bin } = f;

let front: Emulator; // plain http, the same host (127.0.0.1) on another port: only redirects
beforeAll(async () => {
  front = await startEmulator({ data: DEMO });
});
afterAll(() => front.stop());
beforeEach(() => {
  f.emu.setFaults([]);
  front.setFaults([]);
  front.clearLog();
  f.emu.clearLog();
});

const origin = (e: Emulator) => new URL(e.baseUrl).origin;
const login = (url: string) =>
  bin(['login', url, '--token-stdin'], `${token}\n`, { env: { ...f.sb.env, GIT_SSL_CAINFO: f.emu.caFile } });

/** One line, exit 1, nothing stored. */
async function refused(r: { exitCode: number; stderr: string }): Promise<string> {
  expect(r.exitCode, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect((await bin(['list'])).stdout).not.toContain('alice');
  return lines[0]!;
}

describe('login follows a redirect to the same server only', () => {
  it('http to https of the same host: asks there, says so, stores for the https URL; nothing sent over http', async () => {
    front.setFaults([{ kind: 'redirect', status: 301, to: origin(f.emu) }]);
    const given = `${origin(front)}/bitbucket`;
    const r = await login(given);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${given} redirects to ${f.emu.baseUrl}, the same host: using ${f.emu.baseUrl}`);
    expect(r.stdout + r.stderr).toContain(`Logged in to ${f.emu.baseUrl} as alice`);
    expect(front.log().map((e) => [e.path, e.auth, e.status])).toEqual([
      ['/bitbucket/rest/api/1.0/application-properties', 'none', 301],
    ]);
    const list = (await bin(['list'])).stdout;
    expect(list).toContain(new URL(f.emu.baseUrl).host);
    expect(list).not.toContain(new URL(front.baseUrl).host);
  });

  it('a missing context path, redirected to by a front on the same host: uses the base URL with it', async () => {
    f.emu.setFaults([{ kind: 'redirect', to: '/bitbucket', path: '^/rest/' }]);
    const r = await login(origin(f.emu));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${origin(f.emu)} redirects to ${f.emu.baseUrl}, the same host: using ${f.emu.baseUrl}`);
  });

  it('both at once (http to https, then the context path) are followed hop by hop', async () => {
    front.setFaults([{ kind: 'redirect', to: origin(f.emu) }]);
    f.emu.setFaults([{ kind: 'redirect', to: '/bitbucket', path: '^/rest/' }]);
    const r = await login(origin(front));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${origin(front)} redirects to ${f.emu.baseUrl}, the same host: using ${f.emu.baseUrl}`);
  });

  it('to another host: names it and stops, asking nothing there', async () => {
    front.setFaults([{ kind: 'redirect', to: 'https://bitbucket.example.com' }]);
    expect(await refused(await login(origin(front)))).toBe(
      `git-credential-bitbucket: ${origin(front)} redirects to https://bitbucket.example.com, which is not the host you named: not followed, and nothing was sent there; if that is your Bitbucket server, run login with https://bitbucket.example.com; nothing was stored`,
    );
  });

  it('from https down to http, or to another port over the same scheme: not followed either', async () => {
    f.emu.setFaults([{ kind: 'redirect', to: origin(front), path: '^/bitbucket/rest/' }]);
    expect(await refused(await login(f.emu.baseUrl))).toContain(
      `${f.emu.baseUrl} redirects to ${origin(front)}/bitbucket, which is not the host you named: not followed`,
    );
    const elsewhere = `http://127.0.0.1:${Number(new URL(front.baseUrl).port) + 1}`;
    front.setFaults([{ kind: 'redirect', to: elsewhere }]);
    expect(await refused(await login(origin(front)))).toContain(
      `${origin(front)} redirects to ${elsewhere}, which is not the host you named: not followed`,
    );
    expect(f.emu.log().filter((e) => e.auth !== 'none')).toEqual([]);
  });

  it('a redirect elsewhere on the same server (a sign-in page) is reported as before', async () => {
    f.emu.setFaults([{ kind: 'loginRedirect' }]);
    expect(await refused(await login(f.emu.baseUrl))).toContain(
      `unexpected redirect (HTTP 302), possibly to a login page: it points to ${f.emu.baseUrl}/login`,
    );
  });
});
