import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheFileName, factsCacheDir, dropCache, isFresh, readCache, writeCache } from '../../src/prepush/cache.js';
import { tokenFingerprint } from '../../src/bitbucket/token.js';
import type { ServerFacts } from '../../src/prepush/facts.js';

const TOKEN = 'BBDC-secret-token-value-for-the-cache-test-1234567';
const key = { fingerprint: tokenFingerprint(TOKEN), baseUrl: 'https://bb', repo: 'PRJ/app' };
const facts: ServerFacts = {
  kind: 'personal',
  user: { name: 'alice', slug: 'alice', email: 'a@x' },
  writable: true,
  fetchedAt: 1,
};
let dir: string;
afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
const fresh = () => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-cache-')), 'prepush'));

describe('prepush cache', () => {
  it('lives in the cache directory: XDG_CACHE_HOME, else the program directory', () => {
    expect(factsCacheDir({ XDG_CACHE_HOME: '/c', GIT_CREDENTIAL_BITBUCKET_DIR: '/d' })).toBe(
      '/c/git-credential-bitbucket/prepush',
    );
    expect(factsCacheDir({ GIT_CREDENTIAL_BITBUCKET_DIR: '/d' })).toBe('/d/cache/prepush');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-cache-')) + '/x';
  });

  it('returns facts within the TTL only, and only for the same key', () => {
    fresh();
    expect(writeCache(dir, key, facts, 1_000_000, 60)).toBe(true);
    expect(readCache(dir, key, 1_000_000 + 59_000, 60)).toEqual(facts);
    expect(readCache(dir, key, 1_000_000 + 60_000, 60)).toBeUndefined();
    expect(readCache(dir, key, 1_000_000, 0)).toBeUndefined();
    expect(readCache(dir, { ...key, repo: 'PRJ/other' }, 1_000_000, 60)).toBeUndefined();
    expect(readCache(dir, { ...key, fingerprint: tokenFingerprint('other') }, 1_000_000, 60)).toBeUndefined();
    dropCache(dir, key);
    expect(readCache(dir, key, 1_000_000, 60)).toBeUndefined();
  });

  it('keeps a fingerprint, never the token, in a 0600 file in a 0700 directory', () => {
    fresh();
    writeCache(dir, key, facts, 1000, 60);
    const file = path.join(dir, cacheFileName(key));
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain(TOKEN);
    expect(text).toContain(key.fingerprint);
    expect(key.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('does not keep a refusal to write, tolerates a corrupt file, and prunes stale entries', () => {
    fresh();
    expect(writeCache(dir, key, { ...facts, writable: false }, 1000, 60)).toBe(false);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, cacheFileName(key)), '{not json');
    expect(readCache(dir, key, 1000, 60)).toBeUndefined();
    const stale = path.join(dir, 'stale.json');
    fs.writeFileSync(stale, '{}');
    fs.utimesSync(stale, new Date(0), new Date(0));
    writeCache(dir, key, facts, Date.now(), 60);
    expect(fs.existsSync(stale)).toBe(false);
  });

  it('isFresh refuses entries from the future', () => {
    expect(isFresh(10_000_000, 0, 60)).toBe(false);
    expect(isFresh(0, 0, 60)).toBe(true);
  });
});
