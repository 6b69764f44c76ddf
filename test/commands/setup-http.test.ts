/**
 * setup for a plain http:// server on another machine: refused unless a token may go there (as
 * get decides: bitbucket.allowHttp, or a token logged in with --allow-http), and the refusal
 * names what works. Nothing connects: setup only writes git config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStore } from '../../src/store/file.js';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const URL_ = 'http://bb.example.invalid:7990/bitbucket';
let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

const helpers = async () =>
  (await runGit(sb, ['config', '--global', '--get-all', `credential.${URL_}.helper`])).stdout.trim();

describe('setup for plain http:// to another machine', () => {
  it('is refused in one line naming login --allow-http and bitbucket.allowHttp; nothing is written', async () => {
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(
      /^git-credential-bitbucket: refusing to set up plain http:\/\/ to bb\.example\.invalid:7990/,
    );
    expect(r.stderr).toContain(`login ${URL_} --allow-http`);
    expect(r.stderr).toContain('git config --global bitbucket.allowHttp true');
    expect(r.stderr).not.toContain('--allow-http if you must');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await helpers()).toBe('');
  });

  it('is set up where bitbucket.allowHttp allows it (for that server or everywhere)', async () => {
    await runGit(sb, ['config', '--global', `bitbucket.${URL_}.allowHttp`, 'true']);
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await helpers()).toContain('git-credential-bitbucket.sh');
  });

  it('is set up, also without a URL, for a token logged in with --allow-http', async () => {
    await new FileStore(path.join(sb.dataDir, 'credentials.json')).put(
      {
        protocol: 'http',
        host: 'bb.example.invalid:7990',
        username: 'u',
        hasPassword: true,
        hasCredential: false,
        storedAt: 1,
        meta: { allowHttp: true, baseUrl: URL_ },
      },
      { password: 'clear-secret' },
    );
    const r = await runBin(sb, ['setup']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toContain('clear-secret');
    expect(await helpers()).toContain('git-credential-bitbucket.sh');
    expect(fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8')).not.toContain('clear-secret');
  });
});
