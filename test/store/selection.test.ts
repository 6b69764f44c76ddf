/** Which backend `store` writes to: environment, git config, auto with a recorded fall-back. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describe as desc, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const privateKeyring = process.env.GCB_TEST_PRIVATE_KEYRING === '1';
let sb: Sandbox;
afterEach(() => sb?.cleanup());

const cred = desc({ protocol: 'https', host: 'sel.tld', username: 'u', password: 'sel-secret' });
const files = () => (fs.existsSync(sb.dataDir) ? fs.readdirSync(sb.dataDir).sort() : []);

describe('backend selection', () => {
  it('auto without a session bus falls back to the file and records why, silently', async () => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_STORE: undefined, DBUS_SESSION_BUS_ADDRESS: undefined });
    delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
    delete sb.env.DBUS_SESSION_BUS_ADDRESS;
    const r = await runBin(sb, ['store'], cred);
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(files()).toEqual(['credentials.json', 'settings.json']);
    const settings = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'settings.json'), 'utf8'));
    expect(settings.fileFallback.reason).toMatch(/D-Bus/);
    const get = await runBin(sb, ['get'], desc({ protocol: 'https', host: 'sel.tld' }));
    expect(get).toMatchObject({ exitCode: 0, stderr: '' });
    expect(get.stdout).toContain('password=sel-secret');
  });

  it('honours git config bitbucket.store', async () => {
    sb = makeSandbox();
    delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
    await runGit(sb, ['config', '--global', 'bitbucket.store', 'file']);
    expect((await runBin(sb, ['store'], cred)).exitCode).toBe(0);
    expect(files()).toEqual(['credentials.json']);
  });

  it('refuses an unknown backend name with a one-line error', async () => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_STORE: 'floppy' });
    const r = await runBin(sb, ['store'], cred);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^git-credential-bitbucket: store: .*GIT_CREDENTIAL_BITBUCKET_STORE is 'floppy': expected keyring, file or auto$/,
    );
  });

  it('an explicit keyring that cannot be reached is an error, not a silent fall-back', async () => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_STORE: 'keyring' });
    delete sb.env.DBUS_SESSION_BUS_ADDRESS;
    const r = await runBin(sb, ['store'], cred);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/OS keyring is not usable/);
    expect(files()).toEqual([]);
  });

  it.runIf(privateKeyring)('auto uses the keyring when it answers: the secret is not in any file', async () => {
    sb = makeSandbox();
    delete sb.env.GIT_CREDENTIAL_BITBUCKET_STORE;
    expect((await runBin(sb, ['store'], cred)).exitCode).toBe(0);
    expect(files()).toEqual(['keyring-index.json']);
    expect(fs.readFileSync(path.join(sb.dataDir, 'keyring-index.json'), 'utf8')).not.toContain('sel-secret');
    const get = await runBin(sb, ['get'], desc({ protocol: 'https', host: 'sel.tld' }));
    expect(get.stdout).toContain('password=sel-secret');
    await runBin(sb, ['erase'], desc({ protocol: 'https', host: 'sel.tld' }));
    expect((await runBin(sb, ['get'], desc({ protocol: 'https', host: 'sel.tld' }))).stdout).toBe('');
  });
});
