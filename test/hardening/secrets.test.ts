/**
 * Secrets: a whole session of the binary (login, git's store/get/erase, status, list, logout
 * and failure paths) never writes a token anywhere but the `get` answer and the store file;
 * the store file is 0600 in a 0700 directory after every write path, whatever the umask and
 * whatever the modes were before; plain http to a non-loopback name is refused before any
 * connection is made.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { execa } from 'execa';
import { describe as desc, makeSandbox, ROOT, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { expectOneLineFailure, filesUnder } from './util.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const tok = (name: string) => fixture.tokens!.find((t) => t.name === name)!.token!;
const GIT_TOKEN = 'BBDC-gitStoredTOKEN0123456789abcdefghijklmnopqrs';
const REFRESH = 'refresh-SECRET-0123456789';
const SECRETS = [...fixture.tokens!.map((t) => t.token!).filter(Boolean), GIT_TOKEN, REFRESH];

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

const host = () => new URL(emu.baseUrl).host;
const storeFile = () => path.join(sb.dataDir, 'credentials.json');
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** Runs the binary under `umask`, so that a permissive umask cannot widen what it creates. */
async function run(args: string[], input = '', umask = '022'): Promise<RunResult> {
  const r = await execa(
    'sh',
    [
      '-c',
      `umask ${umask}; exec "$0" "$@"`,
      process.execPath,
      path.join(ROOT, 'bin/git-credential-bitbucket.cjs'),
      ...args,
    ],
    {
      env: sb.env,
      extendEnv: false,
      input,
      reject: false,
      cwd: sb.dir,
      stripFinalNewline: false,
    },
  );
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function expectPrivate(what: string): void {
  expect(mode(sb.dataDir).toString(8), `${what}: data dir mode`).toBe('700');
  for (const f of filesUnder(sb.dataDir)) expect(mode(f).toString(8), `${what}: ${path.basename(f)} mode`).toBe('600');
}

describe('no token outside the get answer and the store file', () => {
  it('a whole session: every byte written to stdout/stderr and every other file is clean; modes stay private', async () => {
    // auto backend without a session bus: the file, plus settings.json recording why
    delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
    delete sb.env.DBUS_SESSION_BUS_ADDRESS;
    // every step traced into a file, which the scan of every file below covers
    const traceFile = path.join(sb.dir, 'trace.log');
    sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
    const said: string[] = [];
    const step = async (args: string[], input = '', umask = '000') => {
      const r = await run(args, input, umask);
      said.push(r.stderr);
      if (args[0] !== 'get') said.push(r.stdout);
      if (['store', 'erase', 'login', 'logout'].includes(args[0]!) && fs.existsSync(storeFile()))
        expectPrivate(args.join(' '));
      return r;
    };
    expect((await step(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`)).exitCode).toBe(0);
    expect((await step(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-read')}\n`)).exitCode).toBe(0);
    const gitStore = desc({
      protocol: 'https',
      host: 'git.example.com',
      username: 'gina',
      password: GIT_TOKEN,
      oauth_refresh_token: REFRESH,
      password_expiry_utc: 4102444800,
    });
    expect((await step(['store'], gitStore)).exitCode).toBe(0);
    expect((await step(['store'], gitStore)).exitCode).toBe(0); // unchanged: nothing written
    const get = await step(['get'], desc({ protocol: 'https', host: 'git.example.com' }));
    expect(get.stdout).toBe(
      `username=gina\npassword=${GIT_TOKEN}\npassword_expiry_utc=4102444800\noauth_refresh_token=${REFRESH}\n`,
    );
    await step(['status']);
    await step(['status', '--json']);
    await step(['list']);
    await step(['list', '--json']);
    // failure paths must not echo what they refuse
    await step(['store'], `protocol=https\nhost=git.example.com\nusername=gina\npassword=${GIT_TOKEN}\rX\n\n`);
    await step(['store'], `protocol=https\nhost=git.example.com\nusername=gina\npassword=${GIT_TOKEN}\0\n\n`);
    await step(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-revoked')}\n`);
    await step(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-expired')}\n`);
    await step(['login', 'http://bb.invalid', '--token-stdin'], `${GIT_TOKEN}\n`);
    await step(['erase'], desc({ protocol: 'https', host: 'git.example.com', username: 'gina', password: 'wrong' }));
    await step(['erase'], desc({ protocol: 'https', host: 'git.example.com', username: 'gina' }));
    await step(['logout', emu.baseUrl, '--username', 'alice']);

    // retired: salted digests of the tokens the second login and logout took out (scanned below too)
    expect(
      filesUnder(sb.dataDir)
        .map((f) => path.basename(f))
        .sort(),
    ).toEqual(['credentials.json', 'retired', 'settings.json']);
    for (const text of said)
      for (const s of SECRETS) expect(text.includes(s), `a secret was printed: ${text.slice(0, 300)}`).toBe(false);
    const traced = fs.readFileSync(traceFile, 'utf8');
    for (const step of ['command: login', 'store: request', 'get: request', 'erase: request', 'http: GET'])
      expect(traced, step).toContain(step);
    for (const f of filesUnder(sb.dir)) {
      if (path.resolve(f) === path.resolve(storeFile())) continue;
      const bytes = fs.readFileSync(f);
      for (const s of SECRETS) expect(bytes.includes(s), `${path.relative(sb.dir, f)} holds a secret`).toBe(false);
    }
    // the emulator saw the token only in Authorization headers; its log (which we can read) holds none
    expect(JSON.stringify(emu.log())).not.toContain(tok('alice-write'));
  });

  it('tightens a store that exists with loose modes, on every write path (store, erase, login)', async () => {
    const loosen = () => {
      fs.chmodSync(sb.dataDir, 0o755);
      fs.chmodSync(storeFile(), 0o644);
    };
    expect(
      (await run(['store'], desc({ protocol: 'https', host: 'a.example', username: 'u', password: 'p1' }), '000'))
        .exitCode,
    ).toBe(0);
    expectPrivate('first store');
    loosen();
    expect(
      (await run(['store'], desc({ protocol: 'https', host: 'a.example', username: 'u', password: 'p2' }), '000'))
        .exitCode,
    ).toBe(0);
    expectPrivate('store');
    loosen();
    expect((await run(['erase'], desc({ protocol: 'https', host: 'a.example', username: 'u' }), '000')).exitCode).toBe(
      0,
    );
    expectPrivate('erase');
    loosen();
    expect((await run(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`, '000')).exitCode).toBe(0);
    expectPrivate('login');
    expect(fs.readFileSync(storeFile(), 'utf8')).toContain(host());
  });

  it.runIf(process.env.GCB_TEST_PRIVATE_KEYRING === '1')(
    'keyring backend: the index file holds no secret, 0600 in 0700',
    async () => {
      sb.env.GIT_CREDENTIAL_BITBUCKET_STORE = 'keyring';
      expect(
        (
          await run(
            ['store'],
            desc({ protocol: 'https', host: 'kr.example', username: 'u', password: GIT_TOKEN }),
            '000',
          )
        ).exitCode,
      ).toBe(0);
      expect((await run(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`, '000')).exitCode).toBe(0);
      expectPrivate('keyring store');
      for (const f of filesUnder(sb.dir))
        for (const s of SECRETS) expect(fs.readFileSync(f).includes(s), path.basename(f)).toBe(false);
      expect((await run(['get'], desc({ protocol: 'https', host: 'kr.example' }))).stdout).toContain(
        `password=${GIT_TOKEN}`,
      );
      expect((await run(['erase'], desc({ protocol: 'https', host: 'kr.example' }))).exitCode).toBe(0);
      expect((await run(['erase'], desc({ protocol: 'http', host: host() }))).exitCode).toBe(0);
      expectPrivate('keyring erase');
    },
  );
});

describe('plain http to a non-loopback name', () => {
  let proxy: net.Server;
  let connections = 0;
  beforeAll(async () => {
    // Any request the client makes goes through this "proxy", so a connection attempt is seen.
    proxy = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));
  beforeEach(() => {
    sb.env.http_proxy = `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    connections = 0;
  });

  it('is refused without --allow-http, before any connection, for every spelling of a non-loopback name', async () => {
    const urls = [
      'http://bb.invalid',
      'HTTP://BB.INVALID:7990/bitbucket',
      'http://bb.invalid/scm/prj/app.git',
      'http://127.0.0.1@bb.invalid/',
      'http://bb.invalid#@127.0.0.1/',
      'http://localhost.bb.invalid/',
      'http://127.0.0.1.invalid/',
      'http://%6c%6fcalhost.invalid/',
    ];
    const results = await Promise.all(urls.map((url) => run(['login', url, '--token-stdin'], `${GIT_TOKEN}\n`)));
    for (const [i, r] of results.entries()) {
      expectOneLineFailure(r, /refusing to send a token over plain http:\/\/ to .*invalid.*--allow-http/i, urls[i]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).not.toContain(GIT_TOKEN);
    }
    expect(connections).toBe(0);
    expect(fs.existsSync(sb.dataDir) ? filesUnder(sb.dataDir) : []).toEqual([]);
  });

  it('with --allow-http the request is attempted (so the refusal above is what stopped it)', async () => {
    const r = await run(
      ['login', 'http://bb.invalid', '--token-stdin', '--allow-http', '--timeout', '2'],
      `${GIT_TOKEN}\n`,
    );
    expect(r.exitCode).not.toBe(0);
    expect(connections).toBeGreaterThan(0);
    expect(r.stderr).not.toContain(GIT_TOKEN);
    expect(
      fs.existsSync(sb.dataDir) ? filesUnder(sb.dataDir).filter((f) => f.endsWith('credentials.json')) : [],
    ).toEqual([]);
  });

  it('loopback http is allowed without the flag (the emulator)', async () => {
    delete sb.env.http_proxy;
    const r = await run(['login', emu.baseUrl, '--token-stdin'], `${tok('alice-write')}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
  });
});
