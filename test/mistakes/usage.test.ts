/**
 * A usage error is reported before anything happens: every command run with an unknown option
 * (or a missing value, or an extra argument) exits 2 with one line, and leaves git config, the
 * store, hook files and the server untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBin, runGit } from '../helpers/sandbox.js';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ context: '/bitbucket', sandbox: 'file', secrets: [token] });
let repo: string;

beforeAll(async () => {
  await f.login(token);
  expect((await runBin(f.sb, ['setup', f.emu.baseUrl])).exitCode).toBe(0);
  repo = path.join(f.sb.dir, 'repo');
  await runGit(f.sb, ['init', '-q', repo]);
  await runGit(f.sb, ['-C', repo, 'remote', 'add', 'origin', `${f.emu.baseUrl}/scm/proj/repo.git`]);
  expect((await runBin(f.sb, ['setup', f.emu.baseUrl, '--local'], '', { cwd: repo })).exitCode).toBe(0);
});

/** Every file under the sandbox that a command could change, with its content. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'objects' && e.name !== 'xdg-cache') walk(p);
      } else out[path.relative(f.sb.dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(f.sb.dir);
  return out;
}

const URL_ = () => f.emu.baseUrl;
const CASES: Array<[string, () => string[]]> = [
  ['login', () => ['login', URL_(), '--token-stdin', '--bogus']],
  ['login (prompting)', () => ['login', '--bogus']],
  ['logout', () => ['logout', URL_(), '--usrname', 'alice']],
  ['status', () => ['status', '--bogus']],
  ['list', () => ['list', '--bogus']],
  ['setup', () => ['setup', URL_(), '--bogus']],
  ['unsetup', () => ['unsetup', URL_(), '--lcoal']],
  ['doctor', () => ['doctor', URL_(), '--bogus']],
  ['check', () => ['check', '--bogus']],
  ['hook install', () => ['hook', 'install', '--bogus']],
  ['hook uninstall', () => ['hook', 'uninstall', '--bogus']],
  ['hook pre-push', () => ['hook', 'pre-push', 'origin', URL_(), '--bogus']],
  ['completion', () => ['completion', '--bogus']],
  ['get', () => ['get', '--bogus']],
  ['store', () => ['store', '--bogus']],
  ['erase', () => ['erase', '--bogus']],
  ['an extra argument', () => ['logout', URL_(), 'alice']],
  ['a missing value', () => ['logout', URL_(), '--username']],
  ['a number that is none', () => ['status', '--timeout', 'soon']],
];

describe('usage errors come before any side effect', () => {
  it.each(CASES)('%s', async (_name, args) => {
    const before = snapshot();
    f.emu.clearLog();
    // the erase request git would send: had it been read, the token would be gone
    const r = await runBin(f.sb, args(), `protocol=http\nhost=${new URL(f.emu.baseUrl).host}\n\n`, { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^git-credential-bitbucket: /);
    expect(r.stderr).not.toMatch(/\bat .*\.(c?m?js):\d+/);
    expect(r.stderr).not.toMatch(/URL|Paste the token/);
    expect(r.stdout).toBe('');
    expect(snapshot()).toEqual(before);
    expect(f.emu.log()).toEqual([]);
  });
});

describe('did you mean', () => {
  it.each([
    [['logout', 'x', '--usrname', 'nobody'], /unknown argument: --usrname \(did you mean --username\?\)/],
    [['unsetup', 'x', '--lcoal'], /unknown argument: --lcoal \(did you mean --local\?\)/],
    [['login', '--tokn-stdin'], /unknown argument: --tokn-stdin \(did you mean --token-stdin\?\)$/m],
    [['hook', 'instal'], /unknown argument: instal \(did you mean install\?\)/],
    [['statsu'], /unknown command 'statsu' \(did you mean status\?\)/],
    [['status', '--frobnicate'], /unknown argument: --frobnicate$/m],
  ])('%j', async (args, message) => {
    const r = await runBin(f.sb, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an unknown operation from git (not close to a command) is still ignored silently', async () => {
    const r = await runBin(f.sb, ['capability'], 'protocol=https\nhost=127.0.0.1\n\n');
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
});
