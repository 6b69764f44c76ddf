/**
 * Faults of the OS keyring backend: no session bus, a stale bus address, a locked keyring, an
 * index that cannot be written. The locked cases run in a D-Bus session and GNOME keyring of
 * their own (test/helpers/private-keyring.ts: dbus-run-session, throwaway HOME/XDG dirs), never
 * the user's, so that locking it disturbs no other test.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canRunKeyring, inPrivateKeyring } from '../helpers/private-keyring.js';
import { describe as desc, makeSandbox, ROOT, runBin, type Sandbox } from '../helpers/sandbox.js';
import { fixtureToken } from '../helpers/fixture.js';
import { bytesOf, expectOneLineFailure, timed } from './util.js';
import { bound, NO_WAIT_MS } from '../helpers/bounds.js';
import { KEYRING_ANSWER_MS } from '../../src/store/keyring.js';

const TOKEN = 'BBDC-keyringFAULTtoken0123456789abcdefghijklmnop';
if (process.env.CI && !canRunKeyring)
  throw new Error('CI must run the keyring fault tests: install dbus and gnome-keyring');

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_STORE: 'keyring' });
});
afterEach(() => sb.cleanup());

const indexFile = () => path.join(sb.dataDir, 'keyring-index.json');
const fileStore = () => path.join(sb.dataDir, 'credentials.json');
const ask = (host: string) => desc({ protocol: 'https', host });
const cred = (host: string, username = 'alice', password = TOKEN) =>
  desc({ protocol: 'https', host, username, password });

/**
 * The emulator (demo fixture) in a process of its own: the private keyring session runs its steps
 * while this process waits (spawnSync), so an emulator in this process could not answer.
 */
async function startEmulatorProcess(): Promise<{ baseUrl: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'dist/emulator.mjs'),
      '--data',
      path.join(ROOT, 'test/emulator/fixtures/demo.json'),
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out);
    });
    child.on('exit', () => reject(new Error(`the emulator ended: ${out}`)));
  });
  const { baseUrl } = JSON.parse(line.split('\n')[0]!) as { baseUrl: string };
  return { baseUrl, stop: () => child.kill() };
}

/** An index entry as the keyring backend writes it (no secret in the file). */
function writeIndex(host: string): void {
  fs.mkdirSync(sb.dataDir, { recursive: true, mode: 0o700 });
  const entry = { protocol: 'https', host, username: 'alice', hasPassword: true, hasCredential: false, storedAt: 1 };
  fs.writeFileSync(indexFile(), JSON.stringify({ version: 1, entries: [entry] }, null, '\t'), { mode: 0o600 });
}

describe('no keyring daemon reachable', () => {
  for (const [name, address] of [
    ['DBUS_SESSION_BUS_ADDRESS unset', undefined],
    ['a stale bus address (dead socket)', 'unix:path=/nonexistent/gcb-dead-bus-socket,guid=0'],
  ] as const) {
    describe(name, () => {
      beforeEach(() => {
        if (address === undefined) delete sb.env.DBUS_SESSION_BUS_ADDRESS;
        else sb.env.DBUS_SESSION_BUS_ADDRESS = address;
      });

      it('explicit keyring: store fails in one line, fast, and writes nothing', async () => {
        const { ms, value: r } = await timed(() => runBin(sb, ['store'], cred('bb.example.com')));
        expectOneLineFailure(r, /OS keyring is not usable .*D-Bus.*GIT_CREDENTIAL_BITBUCKET_STORE=file/);
        expect(ms).toBeLessThan(NO_WAIT_MS);
        expect(fs.existsSync(sb.dataDir) ? fs.readdirSync(sb.dataDir) : []).toEqual([]);
      });

      it('auto: falls back to the file, silently, and records why', async () => {
        delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
        const r = await runBin(sb, ['store'], cred('bb.example.com'));
        expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
        expect(fs.readFileSync(fileStore(), 'utf8')).toContain(TOKEN);
        const settings = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'settings.json'), 'utf8')) as {
          fileFallback: { reason: string };
        };
        expect(settings.fileFallback.reason).toMatch(
          address ? /socket .*does not exist \(stale DBUS_SESSION_BUS_ADDRESS\)/ : /not set/,
        );
        expect((await runBin(sb, ['get'], ask('bb.example.com'))).stdout).toContain(`password=${TOKEN}`);
      });

      it('get: an entry whose secret is out of reach answers nothing; file entries still answer', async () => {
        writeIndex('kr.example.com');
        sb.env.GIT_CREDENTIAL_BITBUCKET_STORE = 'file';
        expect((await runBin(sb, ['store'], cred('file.example.com'))).exitCode).toBe(0);
        const { ms, value: r } = await timed(() => runBin(sb, ['get'], ask('kr.example.com')));
        expect(r).toMatchObject({ exitCode: 0, stdout: '' });
        expect(ms).toBeLessThan(NO_WAIT_MS);
        expect((await runBin(sb, ['get'], ask('file.example.com'))).stdout).toContain(`password=${TOKEN}`);
      });

      it('erase: refused in one line and the index entry kept (else its token would be orphaned in the keyring)', async () => {
        writeIndex('kr.example.com');
        const before = bytesOf(indexFile());
        const r = await runBin(sb, ['erase'], ask('kr.example.com'));
        expectOneLineFailure(
          r,
          /cannot remove "https:\/\/alice@kr\.example\.com\/" from the OS keyring \(.*D-Bus.*\); the entry was kept/,
        );
        expect(bytesOf(indexFile())).toEqual(before);
      });
    });
  }
});

describe('a session bus that accepts connections and never answers (a frozen bus)', () => {
  let bus: net.Server;
  const held: net.Socket[] = [];
  beforeEach(async () => {
    const socket = path.join(sb.dir, 'bus');
    bus = net.createServer((c) => void held.push(c));
    await new Promise<void>((resolve) => bus.listen(socket, resolve));
    sb.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${socket},guid=0`;
  });
  afterEach(async () => {
    for (const c of held.splice(0)) c.destroy();
    await new Promise((resolve) => bus.close(resolve));
  });
  const silent = new RegExp(`the OS keyring did not answer within ${KEYRING_ANSWER_MS} ms`);
  // a ping that waits KEYRING_ANSWER_MS per process, and a few processes per test
  const testTimeout = 4 * bound(KEYRING_ANSWER_MS);
  const slowest = bound(KEYRING_ANSWER_MS);

  it(
    'get of a keyring entry ends in one line, so git goes on to its prompt; a file entry answers as ever',
    async () => {
      writeIndex('kr.example.com');
      sb.env.GIT_CREDENTIAL_BITBUCKET_STORE = 'file';
      expect((await runBin(sb, ['store'], cred('file.example.com'))).exitCode).toBe(0);
      const { ms, value: r } = await timed(() => runBin(sb, ['get'], ask('kr.example.com'), { timeout: slowest }));
      expectOneLineFailure(r, silent, 'get');
      expect(r.stdout).toBe('');
      expect(ms).toBeLessThan(slowest);
      const file = await runBin(sb, ['get'], ask('file.example.com'), { timeout: slowest });
      expect(file).toMatchObject({ exitCode: 0, stderr: '' });
      expect(file.stdout).toContain(`password=${TOKEN}`);
    },
    testTimeout,
  );

  it(
    'store: auto falls back to the file and records why; an explicit keyring fails in one line naming the fix',
    async () => {
      const explicit = await runBin(sb, ['store'], cred('bb.example.com'), { timeout: slowest });
      expectOneLineFailure(
        explicit,
        /OS keyring is not usable \(.*did not answer.*\); set GIT_CREDENTIAL_BITBUCKET_STORE=file/,
      );
      delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
      const auto = await runBin(sb, ['store'], cred('bb.example.com'), { timeout: slowest });
      expect(auto).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
      expect(fs.readFileSync(fileStore(), 'utf8')).toContain(TOKEN);
      const settings = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'settings.json'), 'utf8')) as {
        fileFallback: { reason: string };
      };
      expect(settings.fileFallback.reason).toMatch(silent);
    },
    testTimeout,
  );

  it(
    'doctor ends and says the keyring did not answer',
    async () => {
      delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
      const { ms, value: r } = await timed(() =>
        runBin(sb, ['doctor', 'https://127.0.0.1:9', '--timeout', '5'], '', { timeout: slowest }),
      );
      expect(ms).toBeLessThan(slowest);
      expect(r.stdout + r.stderr).toMatch(
        /new tokens go to the file .*\(auto\)\n\s+the keyring is not usable: the OS keyring did not answer/,
      );
    },
    testTimeout,
  );
});

describe.runIf(canRunKeyring)('a locked keyring (private session)', () => {
  it('get answers nothing, store and erase refuse in one line, nothing is lost, and all works again once unlocked', () => {
    const results = inPrivateKeyring(sb, [
      { args: ['store'], input: cred('bb.example.com') },
      { lock: true },
      { args: ['get'], input: ask('bb.example.com') },
      { args: ['store'], input: cred('new.example.com', 'bob') },
      { args: ['erase'], input: ask('bb.example.com') },
      { unlock: true },
      { args: ['get'], input: ask('bb.example.com') },
      { args: ['erase'], input: ask('bb.example.com') },
      { args: ['get'], input: ask('bb.example.com') },
    ]);
    const [stored, lock, get, store, erase, unlock, getAgain, eraseAgain, getGone] = results;
    const ctx = JSON.stringify(results, null, 1);
    expect(stored!.exitCode, ctx).toBe(0);
    expect(lock!.locked, ctx).toBe(true);
    // A locked Secret Service answers lookups with "no such item": git then asks the user.
    expect(get, ctx).toMatchObject({ exitCode: 0, stdout: '' });
    expect(get!.ms, ctx).toBeLessThan(NO_WAIT_MS);
    // an explicit keyring that cannot store: one line naming the fix
    expectOneLineFailure(
      store!,
      /OS keyring is not usable \(.*(locked|unlock|dismissed).*\); set GIT_CREDENTIAL_BITBUCKET_STORE=file or git config bitbucket\.store file/i,
      'store',
    );
    expectOneLineFailure(
      erase!,
      /cannot remove "https:\/\/alice@bb\.example\.com\/" from the OS keyring .*the entry was kept: unlock the keyring/,
      'erase',
    );
    for (const r of [store!, erase!]) expect(r.ms, ctx).toBeLessThan(NO_WAIT_MS);
    expect(unlock!.locked, ctx).toBe(false);
    expect(getAgain!.stdout, ctx).toBe(`username=alice\npassword=${TOKEN}\n`);
    expect(eraseAgain!.exitCode, ctx).toBe(0);
    expect(getGone!.stdout, ctx).toBe('');
    const index = JSON.parse(fs.readFileSync(indexFile(), 'utf8')) as { entries: unknown[] };
    expect(index.entries).toEqual([]);
    for (const r of [stored, get, store, erase, getAgain, eraseAgain]) expect(r!.stderr).not.toContain(TOKEN);
  });

  it('auto: store, login and doctor choose the file store, by a write, and say why (a locked keyring answers lookups)', async () => {
    delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
    const emulator = await startEmulatorProcess();
    try {
      const token = fixtureToken('alice-write');
      const [lock, store, login, doctor] = inPrivateKeyring(sb, [
        { lock: true },
        { args: ['store'], input: cred('bb.example.com') },
        { args: ['login', emulator.baseUrl, '--token-stdin'], input: `${token}\n` },
        { args: ['doctor', emulator.baseUrl] },
      ]);
      const ctx = JSON.stringify([lock, store, login, doctor], null, 1);
      expect(lock!.locked, ctx).toBe(true);
      // git's store of a typed token: kept in the file, silently (login and status say it)
      expect(store, ctx).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
      expect(fs.readFileSync(fileStore(), 'utf8')).toContain(TOKEN);
      const settings = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'settings.json'), 'utf8')) as {
        fileFallback: { reason: string };
      };
      expect(settings.fileFallback.reason).toMatch(/locked|unlock|dismissed/i);
      expect(login!.exitCode, ctx).toBe(0);
      expect(login!.stderr, ctx).toContain(`stored in: ${fileStore()}`);
      const notice = login!.stderr.split('\n').filter((l) => /OS keyring not usable/.test(l));
      expect(notice, ctx).toHaveLength(1);
      expect(notice[0]).toMatch(/\(.*(locked|unlock|dismissed).*\): tokens are in .*credentials\.json/i);
      expect(notice[0]).toMatch(/bitbucket\.store file\|keyring \(or GIT_CREDENTIAL_BITBUCKET_STORE=file\|keyring\)/);
      expect(fs.readFileSync(fileStore(), 'utf8')).toContain(token);
      expect(doctor!.stdout + doctor!.stderr, ctx).toMatch(
        /new tokens go to the file .*credentials\.json \(auto\)\n\s+the keyring is not usable: .*(locked|unlock|dismissed)/i,
      );
      for (const r of [store, login, doctor]) expect(r!.stdout + r!.stderr).not.toContain(token);
    } finally {
      emulator.stop();
    }
  });

  it('an index that cannot be written: store refused in one line, and no orphan secret stays in the keyring', () => {
    const chattr = spawnSync('sh', ['-c', 'command -v chattr'], { stdio: 'ignore' }).status === 0;
    const results = inPrivateKeyring(sb, [
      { args: ['store'], input: cred('bb.example.com') },
      ...(chattr ? [{ chattr: '+i' as const, path: indexFile() }] : []),
      { args: ['store'], input: cred('new.example.com', 'bob') },
      ...(chattr ? [{ chattr: '-i' as const, path: indexFile() }] : []),
      { keyringGet: 'https://bob@new.example.com/', service: 'git-credential-bitbucket' },
      { keyringGet: 'https://alice@bb.example.com/', service: 'git-credential-bitbucket' },
    ]);
    const immutable = chattr && results[1]!.status === 0;
    if (!immutable) return; // chattr +i not permitted here (not root, or the filesystem refuses): nothing to test
    const [, , store, , orphan, kept] = results;
    expectOneLineFailure(
      store!,
      /cannot write credential store .*keyring-index\.json \(EPERM\); it was left unchanged/,
      'store',
    );
    expect(orphan!.value).toBeNull();
    expect(kept!.value).toContain(TOKEN);
  });
});
