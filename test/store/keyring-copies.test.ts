/**
 * One key, one store: a `store` while the OS keyring is out of reach must not leave the key in
 * the file store as well (the keyring copy cannot be removed then), and a key found in both
 * stores anyway (written by an earlier version) is removed from both by one `logout`. The real
 * GNOME keyring, in a private D-Bus session (test/helpers/private-keyring.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { describe as desc, makeSandbox, type Sandbox } from '../helpers/sandbox.js';
import { canRunKeyring, inPrivateKeyring } from '../helpers/private-keyring.js';

const OLD = 'BBDC-copiesOLDtoken0123456789abcdefghijklmnopqrs';
const NEW = 'BBDC-copiesNEWtoken0123456789abcdefghijklmnopqrs';
const HOST = 'bb.example.com';
const ITEM = `https://alice@${HOST}/`;
if (process.env.CI && !canRunKeyring) throw new Error('CI must run the keyring tests: install dbus and gnome-keyring');

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
  delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE; // auto: the keyring when it answers, else the file
});
afterEach(() => sb.cleanup());

const cred = (password: string, username = 'alice') => desc({ protocol: 'https', host: HOST, username, password });
const noBus = { DBUS_SESSION_BUS_ADDRESS: null };
const fileEntries = (): Array<{ username?: string }> => {
  const file = path.join(sb.dataDir, 'credentials.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: [] }).entries : [];
};

describe.runIf(canRunKeyring)('a key the OS keyring holds', () => {
  it('a store from a session without D-Bus is refused in one line and changes nothing; other keys still go to the file', () => {
    const [first, away, other, get, kept] = inPrivateKeyring(sb, [
      { args: ['store'], input: cred(OLD) },
      { args: ['store'], input: cred(NEW), envOverride: noBus },
      { args: ['store'], input: cred(NEW, 'bob'), envOverride: noBus },
      { args: ['get'], input: desc({ protocol: 'https', host: HOST, username: 'alice' }) },
      { keyringGet: ITEM, service: 'git-credential-bitbucket' },
    ]);
    expect(first!.exitCode, first!.stderr).toBe(0);
    expect(fileEntries().map((e) => e.username)).toEqual(['bob']);
    expect(away!.exitCode).toBe(1);
    expect(away!.stderr).toMatch(
      /^git-credential-bitbucket: store: "https:\/\/alice@bb\.example\.com\/" is held in the OS keyring, which cannot be reached to replace it \(.*D-Bus.*\); nothing changed[^\n]*\n$/,
    );
    expect(other!.exitCode, other!.stderr).toBe(0);
    expect(get!.stdout).toBe(`username=alice\npassword=${OLD}\n`);
    expect(kept!.value).toContain(OLD);
    for (const r of [first, away, other]) expect(r!.stderr).not.toMatch(/BBDC-/);
  });

  it('in both stores: one logout removes both copies', async () => {
    const both = inPrivateKeyring(sb, [{ args: ['store'], input: cred(OLD) }]);
    expect(both[0]!.exitCode, both[0]!.stderr).toBe(0);
    // as a store through the file while the keyring was away left it before
    const entry = { protocol: 'https', host: HOST, username: 'alice', hasPassword: true, hasCredential: false };
    await new FileStore(path.join(sb.dataDir, 'credentials.json')).put({ ...entry, storedAt: 1 }, { password: NEW });
    const [logout, get, gone] = inPrivateKeyring(sb, [
      { args: ['logout', `https://${HOST}`, '--username', 'alice'] },
      { args: ['get'], input: desc({ protocol: 'https', host: HOST }) },
      { keyringGet: ITEM, service: 'git-credential-bitbucket' },
    ]);
    expect(logout!.exitCode, logout!.stderr).toBe(0);
    expect(logout!.stderr).toMatch(
      /^Removed the token for alice on https:\/\/bb\.example\.com from the OS keyring and /,
    );
    expect(get!.stdout).toBe('');
    expect(gone!.value).toBeNull();
    expect(fileEntries()).toEqual([]);
  });
});
