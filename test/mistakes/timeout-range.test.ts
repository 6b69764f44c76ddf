/**
 * `--timeout` on every command that talks to the server: a value Node's timers cannot hold (or a
 * nonsense one) is a usage error in one line, exit 2, before any request; not a failure of every
 * request "within 2200000 s" with a TimeoutOverflowWarning per request.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBin, runGit } from '../helpers/sandbox.js';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ context: '/bitbucket', sandbox: 'file', secrets: [token] });
let repo: string;

beforeAll(async () => {
  await f.login(token);
  repo = path.join(f.sb.dir, 'repo');
  await runGit(f.sb, ['init', '-q', repo]);
  await runGit(f.sb, ['-C', repo, 'remote', 'add', 'origin', `${f.emu.baseUrl}/scm/prj/app.git`]);
});

const COMMANDS: Array<[string, () => string[]]> = [
  ['login', () => ['login', f.emu.baseUrl, '--token-stdin']],
  ['status', () => ['status', f.emu.baseUrl]],
  ['doctor', () => ['doctor', f.emu.baseUrl]],
  ['check', () => ['check']],
  ['logout', () => ['logout', f.emu.baseUrl, '--revoke', '--password-stdin']],
  ['rotate', () => ['rotate', f.emu.baseUrl, '--password-stdin']],
];
const BAD = ['2200000', '86401', '0', '0.01', '=-1', 'NaN', 'soon'];

describe.each(COMMANDS)('%s --timeout', (_name, args) => {
  it.each(BAD)('%s: one line, exit 2, nothing sent', async (value) => {
    f.emu.clearLog();
    const flag = value.startsWith('=') ? [`--timeout${value}`] : ['--timeout', value];
    const r = await runBin(f.sb, [...args(), ...flag], `${token}\n`, { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^git-credential-bitbucket: --timeout needs a number of seconds from 0\.1 to 86400/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('Warning');
    expect(f.emu.log()).toEqual([]);
  });
});

it('the largest --timeout works like any other', async () => {
  const r = await runBin(f.sb, ['status', f.emu.baseUrl, '--timeout', '86400']);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stderr).not.toContain('Warning');
});
