/**
 * `get` looks in both stores: a corrupt credentials.json is named in one line and skipped, and a
 * token in the OS keyring is still handed out (the real GNOME keyring, in a private D-Bus session).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describe as desc, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { canRunKeyring, inPrivateKeyring } from '../helpers/private-keyring.js';

const TOKEN = 'BBDC-corruptSTOREtoken0123456789abcdefghijklmnop';
const HOST = 'bb.example.com';
const ask = desc({ protocol: 'https', host: HOST });
const SKIPPED =
  /^git-credential-bitbucket: get: skipped the file store: credential store .*credentials\.json is corrupt \([^\n]*\n?$/;

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

function corrupt(): void {
  fs.mkdirSync(sb.dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(sb.dataDir, 'credentials.json'), '{"version":1,"entries":[', { mode: 0o600 });
}

describe('a corrupt credentials.json', () => {
  it('with nothing in the keyring either: get fails in that one line, as before', async () => {
    corrupt();
    const r = await runBin(sb, ['get'], ask);
    expect(r).toMatchObject({ exitCode: 1, stdout: '' });
    expect(r.stderr).toMatch(SKIPPED);
  });

  it.runIf(canRunKeyring)('get still hands out the token the OS keyring holds', () => {
    sb.env.GIT_CREDENTIAL_BITBUCKET_STORE = 'keyring';
    const [stored, get] = inPrivateKeyring(sb, [
      { args: ['store'], input: desc({ protocol: 'https', host: HOST, username: 'alice', password: TOKEN }) },
      { args: ['get'], input: ask },
    ]);
    expect(stored!.exitCode, stored!.stderr).toBe(0);
    corrupt();
    const [again] = inPrivateKeyring(sb, [{ args: ['get'], input: ask }]);
    expect(get!.stdout).toBe(`username=alice\npassword=${TOKEN}\n`);
    expect(again).toMatchObject({ exitCode: 0, stdout: `username=alice\npassword=${TOKEN}\n` });
    expect(again!.stderr).toMatch(SKIPPED);
  });
});
