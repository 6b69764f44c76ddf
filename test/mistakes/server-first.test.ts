/**
 * Server first: login recognises the server before asking for a token, and each connection
 * failure is one line with the next step (CA, scheme, context path, DNS, refused, timeout).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { DEMO, fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { DECLINE_SETUP } from '../helpers/pty.js';
import { bound } from '../helpers/bounds.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ context: '/bitbucket', secrets: [token] });
const { bin, git, pty } = f;

let underPath: Emulator; // http, context path /bitbucket: the fixture's
let atRoot: Emulator; // http, no context path
let secure: Emulator; // https with its own CA, context path /bitbucket
beforeAll(async () => {
  underPath = f.emu;
  [atRoot, secure] = await Promise.all([
    startEmulator({ data: DEMO }),
    startEmulator({ data: DEMO, context: '/bitbucket', https: true }),
  ]);
});
afterAll(async () => {
  await Promise.all([atRoot.stop(), secure.stop()]);
});

const login = (url: string, extra: string[] = []) => bin(['login', url, '--token-stdin', ...extra], `${token}\n`);

/** One line, exit 1, nothing stored. */
function expectOneLineFailure(r: { exitCode: number; stderr: string }): string {
  expect(r.exitCode, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(
    fs.existsSync(path.join(f.sb.dataDir, 'tokens.json'))
      ? fs.readFileSync(path.join(f.sb.dataDir, 'tokens.json'), 'utf8')
      : '',
  ).not.toContain('alice');
  return lines[0]!;
}

function origin(e: Emulator): string {
  return new URL(e.baseUrl).origin;
}

describe('login recognises the server first', () => {
  it('on a terminal, a wrong URL fails before the token prompt; a right one names the version first', async () => {
    const wrong = await pty(['login', origin(underPath)], [{ wait: 'input is hidden', send: `${token}\r` }]);
    expect(wrong.exitCode, wrong.output).toBe(1);
    expect(wrong.output).not.toContain('input is hidden');
    expect(wrong.output).toContain(`but ${underPath.baseUrl} does`);

    const right = await pty(
      ['login', underPath.baseUrl],
      [{ wait: 'input is hidden', send: `${token}\r` }, DECLINE_SETUP],
    );
    expect(right.exitCode, right.output).toBe(0);
    const versionAt = right.output.indexOf(`at ${underPath.baseUrl}.`);
    expect(right.output).toMatch(/Bitbucket \d+\.\d+/);
    expect(versionAt).toBeGreaterThan(-1);
    expect(versionAt).toBeLessThan(right.output.indexOf('input is hidden'));
  });

  it('missing context path: suggests the base URL that answers as Bitbucket', async () => {
    const line = expectOneLineFailure(await login(origin(underPath)));
    expect(line).toMatch(/Bitbucket \d/);
    expect(line).toContain(`${origin(underPath)} does not answer as Bitbucket, but ${underPath.baseUrl} does`);
    expect(line).toContain(`run login with ${underPath.baseUrl}`);
    expect(
      underPath.log().some((e) => /authorization/i.test(JSON.stringify(e)) && JSON.stringify(e).includes('Bearer')),
    ).toBe(false);
  });

  it('extra context path: suggests the server root', async () => {
    const line = expectOneLineFailure(await login(`${atRoot.baseUrl}/stash`));
    expect(line).toContain(`but ${atRoot.baseUrl} does`);
  });

  it('a clone URL carries its context path: login works from it', async () => {
    const r = await login(`${underPath.baseUrl}/scm/prj/app.git`);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('no Bitbucket anywhere: says what was tried', async () => {
    const plain = net.createServer((s) =>
      s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
    );
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const port = (plain.address() as net.AddressInfo).port;
    try {
      const line = expectOneLineFailure(await login(`http://127.0.0.1:${port}`));
      expect(line).toContain(`http://127.0.0.1:${port} does not answer as Bitbucket Server / Data Center (tried`);
      expect(line).toContain(`http://127.0.0.1:${port}/bitbucket`);
      expect(line).toContain(`http://127.0.0.1:${port}/stash`);
    } finally {
      plain.close();
    }
  });

  it('the other context paths are asked at once, within the one --timeout', async () => {
    // answers "not Bitbucket" at the given path and never answers /bitbucket or /stash
    const held: Array<{ path: string; open: boolean; othersOpen: string[] }> = [];
    const server = net.createServer((s) => {
      s.once('data', (chunk) => {
        const target = /^GET (\S+)/.exec(chunk.toString('latin1'))?.[1] ?? '';
        if (!/^\/(bitbucket|stash)\//.test(target)) {
          s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          return;
        }
        const entry = {
          path: target.split('/')[1]!,
          open: true,
          othersOpen: held.filter((h) => h.open).map((h) => h.path),
        };
        held.push(entry);
        s.on('close', () => (entry.open = false));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const line = expectOneLineFailure(await login(`http://127.0.0.1:${port}`, ['--timeout', '5']));
      expect(Date.now() - started).toBeLessThan(bound(5000));
      expect(line).toContain(`http://127.0.0.1:${port} does not answer as Bitbucket Server / Data Center`);
      expect(held.map((h) => h.path).sort()).toEqual(['bitbucket', 'stash']);
      // the second probe went out while the first was still waiting: together, not one after the other
      expect(held[1]!.othersOpen).toEqual([held[0]!.path]);
    } finally {
      server.close();
    }
  });

  it('unknown CA: prints the exact sslCAInfo command, and running it makes login work', async () => {
    const line = expectOneLineFailure(await login(secure.baseUrl));
    const command = `git config --global http.${secure.baseUrl}/.sslCAInfo <file>`;
    expect(line).toContain(command);
    const [, , , key] = command.split(' ');
    expect((await git(['config', '--global', key!, secure.caFile!])).exitCode).toBe(0);
    const r = await login(secure.baseUrl);
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it('http:// to an https server names https, and https:// to an http server names http', async () => {
    const toSecure = secure.baseUrl.replace(/^https:/, 'http:');
    // not trusted yet: names https and the CA command together
    let line = expectOneLineFailure(await login(toSecure));
    expect(line).toContain(
      `${toSecure} does not answer over http, but ${secure.baseUrl} speaks TLS with a certificate from a CA this machine does not trust (UNABLE_TO_VERIFY_LEAF_SIGNATURE); get the CA's PEM file from your administrator and run: git config --global http.${secure.baseUrl}/.sslCAInfo <file>, then run login with ${secure.baseUrl}`,
    );
    await git(['config', '--global', `http.${secure.baseUrl}/.sslCAInfo`, secure.caFile!]);
    line = expectOneLineFailure(await login(toSecure));
    expect(line).toContain(
      `${toSecure} does not answer as Bitbucket over http, but ${secure.baseUrl} does: run login with ${secure.baseUrl}`,
    );

    const toPlain = underPath.baseUrl.replace(/^http:/, 'https:');
    line = expectOneLineFailure(await login(toPlain));
    expect(line).toContain(
      `${toPlain} does not answer as Bitbucket over https, but ${underPath.baseUrl} does: run login with ${underPath.baseUrl}`,
    );
  });

  it('DNS failure, refused connection and timeout are said as such', async () => {
    let line = expectOneLineFailure(await login('https://bitbucket.invalid'));
    expect(line).toContain('cannot resolve the host name bitbucket.invalid (DNS lookup failed)');

    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    line = expectOneLineFailure(await login(`http://127.0.0.1:${port}`));
    expect(line).toContain(`127.0.0.1:${port} refused the connection: nothing listens on that port`);

    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      line = expectOneLineFailure(await login(`http://127.0.0.1:${silentPort}`, ['--timeout', '1']));
      expect(line).toContain(`127.0.0.1:${silentPort} did not answer within 1 s`);
      expect(line).toContain('--timeout');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });
});
