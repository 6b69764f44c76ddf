// src/settings.ts: git's value syntax, the directory rules (and the launcher's copy of one),
// docs/configuration.md against the tables, and nothing read that the tables do not list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCredential } from '../src/credential/protocol.js';
import { resolveRemoteConfig } from '../src/prepush/remote-config.js';
import { DOC_BEGIN, DOC_END, renderSettingsTables } from '../src/settings-doc.js';
import {
  cacheDir,
  CONFIG,
  dataDir,
  ENV,
  envFlag,
  FOREIGN_ENV,
  parseGitBool,
  parseGitInt,
  stateDir,
} from '../src/settings.js';
import { BIN, describe as credential, makeSandbox, runBin } from './helpers/sandbox.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe("git's value syntax", () => {
  it('reads booleans as git does: any non-zero integer is true, the empty value false', () => {
    for (const t of [null, 'true', 'YES', 'On', ' on ', '1', '2', '-1', '42', '1k', '0x1'.slice(2)])
      expect(parseGitBool(t), String(t)).toBe(true);
    for (const f of ['false', 'no', 'OFF', '0', '00', '', '0k']) expect(parseGitBool(f), f).toBe(false);
    for (const bad of ['maybe', 'truthy', '1.5', '0x1', 'k']) expect(parseGitBool(bad), bad).toBeUndefined();
  });
  it('reads integers with unit suffixes', () => {
    expect(parseGitInt('12')).toBe(12);
    expect(parseGitInt('-3')).toBe(-3);
    expect(parseGitInt('2k')).toBe(2048);
    expect(parseGitInt('1M')).toBe(1024 ** 2);
    expect(parseGitInt('1g')).toBe(1024 ** 3);
    expect(parseGitInt('1.0')).toBeUndefined();
  });
  it('is the rule of every reader: credential protocol, credential.useHttpPath, environment flags', () => {
    const req = parseCredential('protocol=https\nhost=h\nephemeral=2\ncontinue=yes\n\n');
    expect(req.ok && req.request.ephemeral).toBe(true);
    expect(req.ok && req.request.continue).toBe(true);
    const useHttpPath = (v: string | null) =>
      resolveRemoteConfig([{ section: 'credential', name: 'usehttppath', value: v }], 'https://h/r.git').useHttpPath;
    expect(useHttpPath('2')).toBe(true);
    expect(useHttpPath(null)).toBe(true);
    expect(useHttpPath('')).toBe(false);
    expect(envFlag({ [ENV.allowHttp.name]: 'yes' }, ENV.allowHttp)).toBe(true);
    expect(envFlag({ [ENV.allowHttp.name]: '0' }, ENV.allowHttp)).toBe(false);
    expect(envFlag({}, ENV.allowHttp)).toBe(false);
  });
});

describe('directories', () => {
  const home = '/home/u';
  it('follows XDG, ignoring relative paths', () => {
    expect(dataDir({ HOME: home, XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/git-credential-bitbucket');
    expect(dataDir({ HOME: home, XDG_DATA_HOME: 'rel/data' }, 'linux')).toBe(
      '/home/u/.local/share/git-credential-bitbucket',
    );
    expect(cacheDir({ HOME: home, XDG_CACHE_HOME: 'rel' })).toBe('/home/u/.cache/git-credential-bitbucket');
    expect(cacheDir({ HOME: home, XDG_CACHE_HOME: '/c' })).toBe('/c/git-credential-bitbucket');
    expect(stateDir({ HOME: home, XDG_STATE_HOME: '/s' }, 'linux')).toBe('/s/git-credential-bitbucket');
    expect(stateDir({ HOME: home, XDG_STATE_HOME: 's' }, 'linux')).toBe(
      '/home/u/.local/state/git-credential-bitbucket',
    );
  });
  it('puts everything under GIT_CREDENTIAL_BITBUCKET_DIR, except what XDG variables place', () => {
    const env = { HOME: home, GIT_CREDENTIAL_BITBUCKET_DIR: '/d' };
    expect(dataDir({ ...env, XDG_DATA_HOME: '/x' }, 'linux')).toBe('/d');
    expect(cacheDir(env)).toBe('/d/cache');
    expect(stateDir(env, 'linux')).toBe('/d/state');
    expect(dataDir(env, 'darwin')).toBe('/d');
  });
  it('uses the platform places on macOS and Windows', () => {
    expect(dataDir({ HOME: home }, 'darwin')).toBe('/home/u/Library/Application Support/git-credential-bitbucket');
    expect(dataDir({ HOME: home, APPDATA: '/appdata' }, 'win32')).toBe(
      path.join('/appdata', 'git-credential-bitbucket'),
    );
    expect(stateDir({ HOME: home }, 'darwin')).toBe(
      '/home/u/Library/Application Support/git-credential-bitbucket/state',
    );
  });
  it("the launcher's copy of the cache rule gives the same directory", () => {
    const source = fs.readFileSync(BIN, 'utf8');
    const fn = /\nfunction cacheDir\(env\) \{\n[\s\S]*?\n\}\n/.exec(source)?.[0];
    expect(fn, 'bin/ defines cacheDir(env)').toBeDefined();
    const builtin = (id: string) => (id === 'node:os' ? os : undefined);
    const launcherCacheDir = new Function('path', 'builtin', `${fn}\nreturn cacheDir;`)(path, builtin) as (
      env: NodeJS.ProcessEnv,
    ) => string;
    const envs: NodeJS.ProcessEnv[] = [
      { HOME: home },
      { HOME: home, XDG_CACHE_HOME: '/c' },
      { HOME: home, XDG_CACHE_HOME: 'relative' },
      { HOME: home, XDG_CACHE_HOME: '' },
      { HOME: home, GIT_CREDENTIAL_BITBUCKET_DIR: '/d' },
      { HOME: home, GIT_CREDENTIAL_BITBUCKET_DIR: 'rel/d' },
      { HOME: home, GIT_CREDENTIAL_BITBUCKET_DIR: '/d', XDG_CACHE_HOME: '/c' },
      { HOME: 'relative-home' },
      { HOME: '' },
      {},
    ];
    for (const env of envs) expect(launcherCacheDir(env), JSON.stringify(env)).toBe(cacheDir(env));
  });
  it("an empty or relative HOME is ignored: the account's own home directory is the base, never the working directory", () => {
    const account = os.userInfo().homedir;
    expect(path.isAbsolute(account)).toBe(true);
    for (const HOME of ['', 'relative-home', '.']) {
      // computed only: nothing is created there
      expect(dataDir({ HOME }, 'linux')).toBe(path.join(account, '.local', 'share', 'git-credential-bitbucket'));
      expect(cacheDir({ HOME })).toBe(path.join(account, '.cache', 'git-credential-bitbucket'));
      expect(stateDir({ HOME }, 'linux')).toBe(path.join(account, '.local', 'state', 'git-credential-bitbucket'));
    }
  });
  it('a relative XDG_DATA_HOME puts nothing into the working tree (store, then get)', async () => {
    const sb = makeSandbox();
    try {
      const work = path.join(sb.dir, 'work');
      fs.mkdirSync(work);
      const env: NodeJS.ProcessEnv = { ...sb.env, XDG_DATA_HOME: 'relative-data', XDG_CACHE_HOME: 'relative-cache' };
      delete env.GIT_CREDENTIAL_BITBUCKET_DIR;
      const cred = credential({ protocol: 'https', host: '127.0.0.1:7990', username: 'alice', password: 'tok-1' });
      const stored = await runBin(sb, ['store'], cred, { env, cwd: work });
      expect(stored.exitCode, stored.stderr).toBe(0);
      const got = await runBin(sb, ['get'], credential({ protocol: 'https', host: '127.0.0.1:7990' }), {
        env,
        cwd: work,
      });
      expect(got.stdout).toContain('password=tok-1');
      expect(fs.readdirSync(work)).toEqual([]);
      expect(fs.existsSync(path.join(sb.home, '.local', 'share', 'git-credential-bitbucket', 'credentials.json'))).toBe(
        true,
      );
    } finally {
      sb.cleanup();
    }
  });
});

describe('docs/configuration.md', () => {
  it('holds the tables generated from src/settings.ts', () => {
    const file = path.join(ROOT, 'docs', 'configuration.md');
    const text = fs.readFileSync(file, 'utf8');
    const begin = text.indexOf(DOC_BEGIN);
    const end = text.indexOf(DOC_END);
    expect(begin, 'begin marker').toBeGreaterThanOrEqual(0);
    expect(end, 'end marker').toBeGreaterThan(begin);
    const current = text.slice(begin, end + DOC_END.length);
    if (process.env.UPDATE_DOCS === '1' && current !== renderSettingsTables())
      fs.writeFileSync(file, text.slice(0, begin) + renderSettingsTables() + text.slice(end + DOC_END.length));
    else expect(current, 'run: UPDATE_DOCS=1 npx vitest run test/settings.test.ts').toBe(renderSettingsTables());
  });
  it('is where the README sends readers for configuration', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('\n## Configuration') + 1),
    );
    expect(section).toContain('docs/configuration.md');
  });
});

describe('every setting the code reads is in the tables', () => {
  const sources = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
      const p = path.join(dir, d.name);
      return d.isDirectory() ? sources(p) : p.endsWith('.ts') || p.endsWith('.js') ? [p] : [];
    });
  const files = [...sources(path.join(ROOT, 'src')), BIN].map((f) => ({ f, text: fs.readFileSync(f, 'utf8') }));
  const documented = fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');

  it('environment variables', () => {
    const listed = new Set([...Object.values(ENV), ...FOREIGN_ENV].map((e) => e.name));
    const missing: string[] = [];
    for (const { f, text } of files)
      for (const m of text.matchAll(
        /\benv\.([A-Za-z_][A-Za-z0-9_]*)|\benv\[['"]([A-Za-z_][A-Za-z0-9_]*)['"]\]|\b(GIT_CREDENTIAL_BITBUCKET_[A-Z_]+)/g,
      )) {
        const name = m[1] ?? m[2] ?? m[3]!;
        if (!listed.has(name) && !documented.includes(`\`${name}\``))
          missing.push(`${path.relative(ROOT, f)}: ${name}`);
      }
    expect(missing).toEqual([]);
  });
  it('bitbucket.* git config keys', () => {
    const keys = new Set(CONFIG.map((c) => c.key.toLowerCase().slice('bitbucket.'.length)));
    const missing: string[] = [];
    for (const { f, text } of files)
      for (const m of text.matchAll(/(?<![\w-])bitbucket\.([a-zA-Z]+)\b(?![-./:])/g))
        if (!keys.has(m[1]!.toLowerCase()) && !/^https?$/.test(m[1]!))
          missing.push(`${path.relative(ROOT, f)}: ${m[0]}`);
    expect(missing).toEqual([]);
  });
});
