/** URL matching and remote config, checked against the real `git config --get-urlmatch`. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSandbox, runGit } from '../helpers/sandbox.js';
import { configListing } from '../../src/git/repo.js';
import { authFromHeaders, isOurHelper, resolveRemoteConfig } from '../../src/prepush/remote-config.js';
import { CONFIG_PATTERN } from '../../src/settings.js';
import { lastValues, parseConfigListing, scopesUnder, valuesFor } from '../../src/prepush/urlmatch.js';

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

/**
 * credential.<url>.* as git applies it (credential.c credential_apply_config): every matching
 * section in file order, and a key git cannot normalise as a URL (`bb.example.com`,
 * `host:port`, `https://`) matched as a partial URL, field by field, exactly as written.
 * Each helper logs its name and the username git gives it; the order is compared with ours.
 */
describe('credential helpers and username agree with git credential fill', async () => {
  const sb = makeSandbox();
  const log = path.join(sb.dir, 'asked');
  const helper = (name: string) => `!f() { echo "${name}:$(sed -n 's/^username=//p')" >> '${log}'; }; f`;
  const CRED: Array<[string, string]> = [
    ['credential.helper', helper('global')],
    ['credential.bb.example.com.helper', helper('host')],
    ['credential.bb.example.com:7990.helper', helper('host-port')],
    ['credential.BB.example.com.helper', helper('host-case')],
    ['credential.https://.helper', helper('https-only')],
    ['credential.bb.example.com/scm/prj/app.git.helper', helper('host-path')],
    ['credential.bb.example.com/scm/prj.helper', helper('host-path-prefix')],
    ['credential.alice@bb.example.com.helper', helper('alice-before-username')],
    ['credential.bb.example.com.username', 'alice'],
    ['credential.alice@bb.example.com.helper', helper('alice-after-username')],
    ['credential.https://bb.example.com/scm.helper', helper('url-path')],
    ['credential.https://bb.example.com:07990.helper', helper('url-zero-port')],
    ['credential.https://bb.example.com:99999.helper', helper('url-bad-port')],
    ['credential.127.0.0.1:7990.helper', ''],
    ['credential.127.0.0.1:7990.helper', helper('loopback-after-reset')],
  ];
  const CRED_URLS = [
    'https://bb.example.com/scm/prj/app.git',
    'https://bb.example.com:7990/scm/prj/app.git',
    'https://bob@bb.example.com/scm/prj/app.git',
    'http://bb.example.com/scm/prj/app.git',
    'https://BB.example.com/x.git',
    'https://bb.example.com:443/scm/prj/app.git',
    'https://other.example.com/scm/prj/app.git',
    'http://127.0.0.1:7990/bitbucket/scm/prj/app.git',
  ];
  // one section per line, in this order (git config --add would join a section written before)
  const quote = (v: string) => `"${v.replace(/[\\"]/g, '\\$&')}"`;
  const text = CRED.map(([k, v]) => {
    const [sub, name] = [k.slice('credential.'.length, k.lastIndexOf('.')), k.slice(k.lastIndexOf('.') + 1)];
    return `[credential${sub ? ` ${quote(sub)}` : ''}]\n\t${name} = ${quote(v)}\n`;
  });
  fs.writeFileSync(sb.env.GIT_CONFIG_GLOBAL!, text.join(''));
  const entries = parseConfigListing(configListing('^credential\\.', { env: sb.env, cwd: sb.dir }));
  for (const url of CRED_URLS) {
    it(url, async () => {
      fs.rmSync(log, { force: true });
      await runGit(sb, ['credential', 'fill'], `url=${url}\n\n`);
      const asked = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
      const ours = resolveRemoteConfig(entries, url);
      const names = ours.helpers.map((h) => /echo "([^:]*):/.exec(h)![1]);
      expect(names).toEqual(asked.map((a) => a.split(':')[0]));
      const users = new Set(asked.map((a) => a.split(':')[1]));
      expect(users.size).toBeLessThanOrEqual(1);
      expect(new URL(url).username || ours.username || '').toBe([...users][0] ?? '');
    });
  }
  it('the cases are met: a host-only section, a path, a username set by an earlier section', async () => {
    const url = CRED_URLS[0]!;
    const names = resolveRemoteConfig(entries, url).helpers.map((h) => /echo "([^:]*):/.exec(h)![1]);
    expect(names).toEqual(['global', 'host', 'https-only', 'host-path', 'alice-after-username', 'url-path']);
    expect(resolveRemoteConfig(entries, CRED_URLS.at(-1)!).helpers).toEqual([helper('loopback-after-reset')]);
  });
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

  it('scopesUnder: the repository paths under a server that a credential section applies to, and not to the server itself', () => {
    const e = listing([
      ['credential.http://127.0.0.1:7990/bitbucket/scm/prj.helper', 'store'],
      ['credential.127.0.0.1:7990/bitbucket/scm/prj/app.git.helper', 'partial'],
      ['credential.127.0.0.1:7990/other/app.git.helper', 'partial-elsewhere'],
      ['credential.127.0.0.1:7990.helper', 'host-only'],
      ['credential.http://127.0.0.1:7990/other.helper', 'another-app'],
      ['credential.http://127.0.0.1:7990/bitbucket/.helper', 'the-server'],
      ['credential.https://127.0.0.1:7990/bitbucket/scm/x.helper', 'https'],
      ['credential.http://alice@127.0.0.1:7990/bitbucket/scm/y.helper', 'a-user'],
    ]);
    expect(scopesUnder(e, 'credential', 'http://127.0.0.1:7990/bitbucket')).toEqual([
      'http://127.0.0.1:7990/bitbucket/scm/prj',
      'http://127.0.0.1:7990/bitbucket/scm/prj/app.git',
    ]);
    const root = listing([['credential.https://*.example.com/scm/prj/.helper', 'store']]);
    expect(scopesUnder(root, 'credential', 'https://bb.example.com')).toEqual(['https://bb.example.com/scm/prj']);
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
