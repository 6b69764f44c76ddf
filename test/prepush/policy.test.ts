import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parsePolicy } from '../../src/prepush/policy.js';
import { resolveRemoteConfig } from '../../src/prepush/remote-config.js';
import { parseConfigListing } from '../../src/prepush/urlmatch.js';

const listing = (pairs: Array<[string, string | null]>) =>
  pairs.map(([k, v]) => (v === null ? `${k}\0` : `${k}\n${v}\0`)).join('');

describe('parsePolicy', () => {
  it('has the documented defaults', () => {
    expect(parsePolicy(new Map())).toEqual({ policy: DEFAULT_POLICY, problems: [] });
    expect(DEFAULT_POLICY.levels).toEqual({
      projectToken: 'warn',
      identity: 'warn',
      tagger: 'warn',
      author: 'note',
      writePermission: 'block',
      expiry: 'block',
      unreachable: 'warn',
    });
  });

  it('reads every level, numbers and enabled; bad values fall back and are reported', () => {
    const { policy, problems } = parsePolicy(
      new Map<string, string | null>([
        ['bitbucket.projecttoken', 'BLOCK'],
        ['bitbucket.identity', 'off'],
        ['bitbucket.tagger', 'Note'],
        ['bitbucket.author', 'block'],
        ['bitbucket.writepermission', 'warn'],
        ['bitbucket.expiry', 'nope'],
        ['bitbucket.unreachable', 'block'],
        ['bitbucket.expirydays', '14'],
        ['bitbucket.timeout', '5'],
        ['bitbucket.cachettl', '0'],
        ['bitbucket.enabled', null],
      ]),
    );
    expect(policy.levels).toEqual({
      projectToken: 'block',
      identity: 'off',
      tagger: 'note',
      author: 'block',
      writePermission: 'warn',
      expiry: 'block',
      unreachable: 'block',
    });
    expect(policy).toMatchObject({ expiryDays: 14, timeoutMs: 3000, cacheTtlSec: 0, enabled: true });
    expect(problems).toEqual([
      "bitbucket.expiry is 'nope': expected off, note, warn or block; using block",
      "bitbucket.timeout is '5': expected a whole number from 100 to 120000; using 3000",
    ]);
  });

  it('takes per-URL overrides from git config (the most specific URL wins)', () => {
    const entries = parseConfigListing(
      listing([
        ['bitbucket.identity', 'warn'],
        ['bitbucket.https://bb.example.com.identity', 'block'],
        ['bitbucket.https://bb.example.com/scm/prj.identity', 'off'],
        ['bitbucket.https://other.example.com.identity', 'off'],
        ['bitbucket.https://*.example.com.enabled', 'false'],
        ['bitbucket.timeout', '1500'],
      ]),
    );
    const at = (url: string) => parsePolicy(resolveRemoteConfig(entries, url).bitbucket).policy;
    expect(at('https://bb.example.com/scm/app/x.git').levels.identity).toBe('block');
    expect(at('https://bb.example.com/scm/prj/x.git').levels.identity).toBe('off');
    expect(at('https://bb.example.com/scm/prjx/x.git').levels.identity).toBe('block');
    expect(at('https://elsewhere.org/scm/p/x.git').levels.identity).toBe('warn');
    expect(at('https://bb.example.com/x').enabled).toBe(false);
    expect(at('https://bb.example.com/x').timeoutMs).toBe(1500);
  });
});
