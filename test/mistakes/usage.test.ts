/**
 * A usage error is reported before anything happens: every command run with an unknown option
 * (or a missing value, or an extra argument) exits 2 with one line, and leaves git config, the
 * store, hook files and the server untouched.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { makeSandbox, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;

let emu: Emulator;
let sb: Sandbox;
let repo: string;

beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
  sb = makeSandbox();
  expect((await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${token}\n`)).exitCode).toBe(0);
  expect((await runBin(sb, ['setup', emu.baseUrl])).exitCode).toBe(0);
  repo = path.join(sb.dir, 'repo');
  await runGit(sb, ['init', '-q', repo]);
  await runGit(sb, ['-C', repo, 'remote', 'add', 'origin', `${emu.baseUrl}/scm/proj/repo.git`]);
  expect((await runBin(sb, ['setup', emu.baseUrl, '--local'], '', { cwd: repo })).exitCode).toBe(0);
});
afterAll(async () => {
  await emu.stop();
  sb.cleanup();
});

/** Every file under the sandbox that a command could change, with its content. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'objects' && e.name !== 'xdg-cache') walk(p);
      } else out[path.relative(sb.dir, p)] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(sb.dir);
  return out;
}

const URL_ = () => emu.baseUrl;
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
    emu.clearLog();
    // the erase request git would send: had it been read, the token would be gone
    const r = await runBin(sb, args(), `protocol=http\nhost=${new URL(emu.baseUrl).host}\n\n`, { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^git-credential-bitbucket: /);
    expect(r.stderr).not.toMatch(/\bat .*\.(c?m?js):\d+/);
    expect(r.stderr).not.toMatch(/URL|Paste the token/);
    expect(r.stdout).toBe('');
    expect(snapshot()).toEqual(before);
    expect(emu.log()).toEqual([]);
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
    const r = await runBin(sb, args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('an unknown operation from git (not close to a command) is still ignored silently', async () => {
    const r = await runBin(sb, ['capability'], 'protocol=https\nhost=127.0.0.1\n\n');
    expect(r).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
});
