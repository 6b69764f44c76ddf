/**
 * Faults of the OS keyring backend: no session bus, a stale bus address, a locked keyring, an
 * index that cannot be written. The locked cases run in a D-Bus session and GNOME keyring of
 * their own (test/helpers/private-keyring.ts: dbus-run-session, throwaway HOME/XDG dirs), never
 * the user's, so that locking it disturbs no other test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canRunKeyring, inPrivateKeyring } from '../helpers/private-keyring.js';
import { describe as desc, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { bytesOf, expectOneLineFailure, timed } from './util.js';
import { NO_WAIT_MS } from '../helpers/bounds.js';

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
    expectOneLineFailure(store!, /cannot write to the OS keyring: .*(locked|unlock|dismissed)/i, 'store');
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
