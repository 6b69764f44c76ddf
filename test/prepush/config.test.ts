/** URL matching and remote config, checked against the real `git config --get-urlmatch`. */
import { describe, expect, it } from 'vitest';
import { makeSandbox, runGit } from '../helpers/sandbox.js';
import { configListing } from '../../src/git/repo.js';
import { authFromHeaders, isOurHelper, resolveRemoteConfig } from '../../src/prepush/remote-config.js';
import { CONFIG_PATTERN } from '../../src/settings.js';
import { lastValues, parseConfigListing, valuesFor } from '../../src/prepush/urlmatch.js';

const CONFIG: Array<[string, string]> = [
  ['http.proxy', 'http://global'],
  ['http.https://bb.example.com.proxy', 'http://host'],
  ['http.https://*.example.com.proxy', 'http://wild'],
  ['http.https://bb.example.com/scm/prj.proxy', 'http://path'],
  ['http.https://alice@bb.example.com.proxy', 'http://user'],
  ['http.https://bb.example.com:8443.proxy', 'http://port'],
  ['http.http://bb.example.com.proxy', 'http://plain'],
  ['bitbucket.https://bb.example.com/.identity', 'block'],
  ['bitbucket.identity', 'off'],
];
const URLS = [
  'https://bb.example.com/scm/prj/app.git',
  'https://bb.example.com/scm/prjx/app.git',
  'https://alice@bb.example.com/scm/x.git',
  'https://bob@bb.example.com/scm/prj/a.git',
  'https://git.example.com/x',
  'https://bb.example.com:8443/x',
  'https://bb.example.com:443/x',
  'http://bb.example.com/x',
  'https://other.org/x',
  'https://BB.Example.COM/scm/prj/app.git',
];

describe('urlmatch agrees with git config --get-urlmatch', async () => {
  const sb = makeSandbox();
  for (const [k, v] of CONFIG) await runGit(sb, ['config', '--global', '--add', k, v]);
  const entries = parseConfigListing(configListing(CONFIG_PATTERN, { env: sb.env, cwd: sb.dir }));
  for (const url of URLS) {
    it(url, async () => {
      for (const section of ['http', 'bitbucket']) {
        const r = await runGit(sb, ['config', '-z', '--get-urlmatch', section, url]);
        const git = new Map(parseConfigListing(r.stdout).map((e) => [`${e.section}.${e.name}`, e.value]));
        expect(lastValues(valuesFor(entries, section, url, 'best'))).toEqual(git);
      }
    });
  }
});

describe('resolveRemoteConfig', () => {
  const listing = (pairs: Array<[string, string]>) =>
    parseConfigListing(pairs.map(([k, v]) => `${k}\n${v}\0`).join(''));

  it('builds the helper list as git does: every match in order, empty resets', () => {
    const e = listing([
      ['credential.helper', 'store'],
      ['credential.https://bb.example.com.helper', ''],
      ['credential.https://bb.example.com.helper', 'bitbucket'],
      ['credential.https://other.org.helper', 'other'],
      ['credential.helper', 'cache'],
      ['credential.https://bb.example.com.username', 'alice'],
      ['credential.usehttppath', 'true'],
    ]);
    expect(resolveRemoteConfig(e, 'https://bb.example.com/scm/p/r.git')).toMatchObject({
      helpers: ['bitbucket', 'cache'],
      username: 'alice',
      useHttpPath: true,
    });
    expect(resolveRemoteConfig(e, 'https://other.org/x').helpers).toEqual(['store', 'other', 'cache']);
  });

  it('finds a Bearer or Basic Authorization header, the last one winning', () => {
    expect(authFromHeaders(['X-A: 1', 'Authorization: Bearer tok1', 'authorization:   bearer tok2'])).toEqual({
      scheme: 'bearer',
      secret: 'tok2',
    });
    expect(authFromHeaders([`Authorization: Basic ${Buffer.from('alice:pat').toString('base64')}`])).toEqual({
      scheme: 'basic',
      username: 'alice',
      secret: 'pat',
    });
    expect(authFromHeaders(['X-Authorization: Bearer nope'])).toBeUndefined();
    const e = listing([
      ['http.extraheader', 'Authorization: Bearer old'],
      ['http.https://bb.example.com.extraheader', ''],
      ['http.https://bb.example.com.extraheader', 'Authorization: Bearer new'],
    ]);
    expect(resolveRemoteConfig(e, 'https://bb.example.com/x').headerAuth).toEqual({ scheme: 'bearer', secret: 'new' });
  });

  it.each([
    ['bitbucket', true],
    ['bitbucket --flag', true],
    ['/opt/bin/git-credential-bitbucket', true],
    ['C:\\tools\\git-credential-bitbucket.cmd', true],
    ['/x/bin/git-credential-bitbucket.cjs', true],
    ['/x/bin/git-credential-bitbucket.js', true],
    ['!node /x/git-credential-bitbucket.js', true],
    ["!sh '/x/bin/git-credential-bitbucket.sh' '/usr/bin/node' linux", true],
    ["!sh '/x/bin/other.sh' '/usr/bin/node' linux", false],
    [`!f() { . "$1"; }; f '/x/bin/git-credential-bitbucket.sh' '/usr/bin/node' linux`, true],
    [`!f() { . "$1"; }; f '/x y/bin/git-credential-bitbucket.sh' '/x y/node' darwin`, true],
    [`!f() { . "$1"; }; f '/x/bin/other.sh' '/usr/bin/node' linux`, false],
    [`!f() { . "$1"; }; f`, false],
    ['!git credential-bitbucket', true],
    ['store', false],
    ['manager', false],
    ['!bitbucket', false],
    ['/x/git-credential-bitbucket-other', false],
    ['', false],
  ])('isOurHelper(%j) = %s', (value, yes) => {
    expect(isOurHelper(value)).toBe(yes);
  });
});
