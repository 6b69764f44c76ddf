/** Plain http:// to another machine: no token handed out or kept unless the user allowed it. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import type { TokenMeta } from '../../src/store/types.js';
import { isLoopbackHost } from '../../src/credential/transport.js';
import { describe as desc, makeSandbox, parsePairs, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

const HOST = 'bb.example.invalid';
const get = (extra: NodeJS.ProcessEnv = {}) =>
  runBin(sb, ['get'], desc({ protocol: 'http', host: HOST }), { env: { ...sb.env, ...extra } });
const seed = () =>
  runBin(sb, ['store'], desc({ protocol: 'http', host: HOST, username: 'u', password: 'clear-secret' }), {
    env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1' },
  });

/** A token as login stores it, with what login learnt (`meta`). */
const putLoggedIn = (meta: TokenMeta) =>
  new FileStore(path.join(sb.dataDir, 'credentials.json')).put(
    { protocol: 'http', host: HOST, username: 'u', hasPassword: true, hasCredential: false, storedAt: 1, meta },
    { password: 'clear-secret' },
  );

describe('plain http to a non-loopback host', () => {
  it('is not stored', async () => {
    const r = await runBin(
      sb,
      ['store'],
      desc({ protocol: 'http', host: HOST, username: 'u', password: 'clear-secret' }),
    );
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    expect(fs.existsSync(path.join(sb.dataDir, 'credentials.json'))).toBe(false);
  });

  it('is not answered, with one line saying why and how to allow it', async () => {
    await seed();
    const r = await get();
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `git-credential-bitbucket: not sending a token over plain http:// to ${HOST}; use https://, or allow it: git config --global bitbucket.allowHttp true`,
    );
  });

  it('is answered when allowed by the environment, git config, or per URL', async () => {
    await seed();
    expect(parsePairs((await get({ GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1' })).stdout)).toContainEqual([
      'password',
      'clear-secret',
    ]);
    await runGit(sb, ['config', '--global', `bitbucket.http://${HOST}.allowHttp`, 'true']);
    expect(parsePairs((await get()).stdout)).toContainEqual(['password', 'clear-secret']);
    await runGit(sb, ['config', '--global', '--remove-section', `bitbucket.http://${HOST}`]);
    await runGit(sb, ['config', '--global', 'bitbucket.allowHttp', 'true']);
    expect(parsePairs((await get()).stdout)).toContainEqual(['password', 'clear-secret']);
  });

  it('is answered for a token logged in with --allow-http', async () => {
    await putLoggedIn({ allowHttp: true });
    expect(parsePairs((await get()).stdout)).toContainEqual(['password', 'clear-secret']);
  });

  it("a setting for the server's URL with its context path (the URL setup takes) is honoured by get, which git sends no path", async () => {
    const base = `http://${HOST}/bitbucket`;
    await runGit(sb, ['config', '--global', `bitbucket.${base}.allowHttp`, 'true']);
    expect((await runBin(sb, ['setup', base])).exitCode).toBe(0);
    await seed();
    expect(parsePairs((await get()).stdout)).toContainEqual(['password', 'clear-secret']);
    // the refusal names that key once it is not set
    await runGit(sb, ['config', '--global', '--unset', `bitbucket.${base}.allowHttp`]);
    expect((await get()).stderr).toContain(`allow it: git config --global bitbucket.${base}.allowHttp true`);
  });

  it("a setting for the server's URL is honoured for a token whose login names that server", async () => {
    const base = `http://${HOST}/bitbucket`;
    await putLoggedIn({ baseUrl: base });
    expect((await get()).stdout).toBe('');
    await runGit(sb, ['config', '--global', `bitbucket.${base}.allowHttp`, 'true']);
    expect(parsePairs((await get()).stdout)).toContainEqual(['password', 'clear-secret']);
    await runGit(sb, ['config', '--global', `bitbucket.${base}.allowHttp`, 'false']);
    await runGit(sb, ['config', '--global', `bitbucket.http://${HOST}.allowHttp`, 'true']);
    expect((await get()).stdout).toBe('');
  });

  it('loopback addresses are not cleartext to the network', () => {
    for (const h of ['127.0.0.1', '127.0.0.1:7990', 'localhost:80', '[::1]:7990', '::1', '127.200.3.4'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['128.0.0.1', 'bb.example.invalid', '[2001:db8::1]:80', '127.0.0.1.example.invalid'])
      expect(isLoopbackHost(h)).toBe(false);
  });
});
