// src/git/config.ts against the real git binary, with HOME and git config isolated in a temp dir.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitNotFoundError } from '../../src/git/async.js';
import {
  gitConfigGetUrlmatch,
  httpSettingsFor,
  parseNullConfig,
  resolveHttpSettings,
  withoutPassword,
} from '../../src/git/config.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gcb-config-'));
  const global = join(dir, 'gitconfig');
  await writeFile(
    global,
    [
      '[http]',
      '\tproxy = http://global-proxy:3128',
      '\tsslVerify = true',
      '[http "https://bb.example.com"]',
      '\tproxy = http://host-proxy:3128',
      '\tsslCAInfo = ~/corp-ca.pem',
      '[http "https://bb.example.com/bitbucket/scm/secret"]',
      '\tsslVerify = false',
      '[http "https://direct.example.com"]',
      '\tproxy =',
      '',
    ].join('\n'),
  );
  env = { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: global };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('gitConfigGetUrlmatch', () => {
  it('lets the most specific http.<url>.* win exactly as git decides', async () => {
    expect(await gitConfigGetUrlmatch('http.proxy', 'https://bb.example.com/bitbucket/scm/p/r.git', dir, env)).toBe(
      'http://host-proxy:3128',
    );
    expect(await gitConfigGetUrlmatch('http.proxy', 'https://other.example.com/', dir, env)).toBe(
      'http://global-proxy:3128',
    );
    expect(
      await gitConfigGetUrlmatch('http.sslVerify', 'https://bb.example.com/bitbucket/scm/secret/r.git', dir, env),
    ).toBe('false');
    expect(
      await gitConfigGetUrlmatch('http.sslVerify', 'https://bb.example.com/bitbucket/scm/public/r.git', dir, env),
    ).toBe('true');
  });
  it('matches a URL carrying credentials the same way', async () => {
    expect(await gitConfigGetUrlmatch('http.proxy', 'https://alice:SECRET@bb.example.com/x', dir, env)).toBe(
      'http://host-proxy:3128',
    );
  });
  it('returns undefined for an unset key', async () => {
    expect(await gitConfigGetUrlmatch('http.sslCAInfo', 'https://other.example.com/', dir, env)).toBeUndefined();
  });
  it('throws a clear error when git is missing', async () => {
    await expect(
      gitConfigGetUrlmatch('http.proxy', 'https://x/', dir, { ...env, PATH: join(dir, 'empty-bin') }),
    ).rejects.toBeInstanceOf(GitNotFoundError);
    await expect(httpSettingsFor('https://x/', dir, { ...env, PATH: '' })).rejects.toThrow(/git was not found on PATH/);
  });
});

describe('httpSettingsFor', () => {
  it('reads url-matched proxy, CA file (with ~ expanded) and sslVerify', async () => {
    expect(await httpSettingsFor('https://bb.example.com/bitbucket/scm/secret/r.git', dir, env)).toEqual({
      proxy: 'http://host-proxy:3128',
      caFile: join(dir, 'corp-ca.pem'),
      sslVerify: false,
    });
    expect(await httpSettingsFor('https://other.example.com/', dir, env)).toEqual({
      proxy: 'http://global-proxy:3128',
      sslVerify: true,
    });
  });
  it('treats an empty http.proxy as "no proxy", even with proxy env vars', async () => {
    expect(await httpSettingsFor('https://direct.example.com/', dir, { ...env, https_proxy: 'http://env:1' })).toEqual({
      sslVerify: true,
    });
  });
  it('lets GIT_SSL_NO_VERIFY, GIT_SSL_CAINFO and NO_PROXY apply on top of config', async () => {
    const s = await httpSettingsFor('https://bb.example.com/', dir, {
      ...env,
      GIT_SSL_NO_VERIFY: '',
      GIT_SSL_CAINFO: '/etc/ca.pem',
      NO_PROXY: 'example.com',
    });
    expect(s).toEqual({
      proxy: 'http://host-proxy:3128',
      caFile: '/etc/ca.pem',
      sslVerify: false,
      noProxy: 'example.com',
    });
  });
  it('falls back to proxy environment variables only without any config', async () => {
    const bare = { PATH: process.env.PATH, HOME: dir, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: join(dir, 'none') };
    expect(
      await httpSettingsFor('https://h/', dir, {
        ...bare,
        HTTPS_PROXY: 'http://upper:1',
        https_proxy: 'http://lower:1',
      }),
    ).toMatchObject({ proxy: 'http://lower:1' });
    expect(await httpSettingsFor('https://h/', dir, { ...bare, HTTPS_PROXY: 'http://upper:1' })).toMatchObject({
      proxy: 'http://upper:1',
    });
    expect(await httpSettingsFor('https://h/', dir, { ...bare, ALL_PROXY: 'http://all:1' })).toMatchObject({
      proxy: 'http://all:1',
    });
    expect(await httpSettingsFor('http://h/', dir, { ...bare, http_proxy: 'http://plain:1' })).toMatchObject({
      proxy: 'http://plain:1',
    });
    // Like git (and curl), upper-case HTTP_PROXY is ignored for http:// targets (httpoxy).
    expect(await httpSettingsFor('http://h/', dir, { ...bare, HTTP_PROXY: 'http://upper:1' })).toEqual({
      sslVerify: true,
    });
    expect(await httpSettingsFor('https://h/', dir, bare)).toEqual({ sslVerify: true });
  });
});

describe('pure config helpers', () => {
  it('parses git config --null output', () => {
    expect(parseNullConfig('http.novalue\0http.proxy\nhttp://p:1\0http.sslverify\nfalse\0')).toEqual(
      new Map<string, string | null>([
        ['http.novalue', null],
        ['http.proxy', 'http://p:1'],
        ['http.sslverify', 'false'],
      ]),
    );
  });
  it('keeps passwords out of git argv but keeps the user name for matching', () => {
    expect(withoutPassword('https://alice:SECRET@h/scm/p/r.git')).toBe('https://alice@h/scm/p/r.git');
    expect(withoutPassword('https://alice@h/')).toBe('https://alice@h/');
    expect(withoutPassword('https://h/a@b')).toBe('https://h/a@b');
    expect(withoutPassword('https://:SECRET@h/')).toBe('https://@h/');
    // a port and an @ in the path: the host and port stay (git reads no user info there)
    expect(withoutPassword('https://bb:7990/scm/~carol@x/r.git')).toBe('https://bb:7990/scm/~carol@x/r.git');
    expect(withoutPassword('https://alice@bb:7990/scm/~carol@x/r.git')).toBe(
      'https://alice@bb:7990/scm/~carol@x/r.git',
    );
    // with a password as well, the password may be `SECRET@bb:7990/scm/~carol`: nothing of it stays
    expect(withoutPassword('https://alice:SECRET@bb:7990/scm/~carol@x/r.git')).toBe('https://alice@x/r.git');
    expect(withoutPassword('https://alice:p@ss@[::1]:7990/r')).toBe('https://alice@[::1]:7990/r');
    // a password holding / ? # (git cannot use the URL): nothing of it stays
    expect(withoutPassword('https://alice:SE/C?R#ET@h/r')).toBe('https://alice@h/r');
  });
  it('ignores an invalid sslVerify value rather than disabling verification', () => {
    expect(resolveHttpSettings(new Map([['http.sslverify', 'maybe']]), 'https://h/', {}).sslVerify).toBe(true);
  });
});
