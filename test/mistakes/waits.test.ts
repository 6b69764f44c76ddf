/**
 * Waits: independent requests go out together (counted as sequential rounds in the emulator's
 * request log under a configured latency, never by wall clock), and on a terminal a wait over a
 * second shows one line on stderr saying what it waits for, erased afterwards; nothing without a terminal.
 */
import fs from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { DECLINE_SETUP } from '../helpers/pty.js';
import { PROGRESS_AFTER_MS } from '../../src/commands/shared/progress.js';

const token = fixtureToken('alice-write');
const bobToken = fixtureToken('bob-legacy');
const LATENCY_MS = 1000;

const f = useEmulatorSandbox({ context: '/bitbucket', secrets: [token, bobToken] });
const { bin, pty } = f;
beforeEach(async () => {
  f.emu.setFaults([]);
  await f.login(token);
  f.emu.clearLog();
  f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
});

/**
 * Sequential rounds of requests: a request arriving within half the latency of a round's first
 * one went out together with it; a later one had to wait for an answer.
 */
function rounds(): number {
  const times = f.emu
    .log()
    .map((e) => e.time)
    .sort((a, b) => a - b);
  let count = 0;
  let start = -Infinity;
  for (const t of times) {
    if (t - start >= LATENCY_MS / 2) {
      count++;
      start = t;
    }
  }
  return count;
}

/** Runs the built program in another sandbox than the test's; its output is kept for the scan. */
async function binIn(sb: Sandbox, args: string[], input = '') {
  const r = await runBin(sb, args, input);
  f.outputs.push(r.stdout, r.stderr);
  return r;
}

describe('independent requests go out together (docs/classifier.md, "Rounds")', () => {
  it('login of a known account: 2 rounds (server, then who/record/entry/write check at once)', async () => {
    const r = await bin(['login', `${f.emu.baseUrl}/scm/prj/app.git`, '--token-stdin'], `${token}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('expiry:');
    expect(r.stderr).not.toContain('Not checked');
    expect(f.emu.log().length).toBeGreaterThanOrEqual(4);
    expect(rounds()).toBe(2);
  });

  it('first login with the name given: 2 rounds; with no name at all: 3 (the record waits for the name)', async () => {
    const fresh = makeSandbox();
    try {
      const named = await binIn(fresh, ['login', f.emu.baseUrl, '--username', 'alice', '--token-stdin'], `${token}\n`);
      expect(named.exitCode, named.stderr).toBe(0);
      expect(rounds()).toBe(2);
    } finally {
      fresh.cleanup();
    }
    // a login name and an e-mail address that name nobody on the server
    const first = makeSandbox({ USER: 'carol-elsewhere', LOGNAME: 'carol-elsewhere' });
    try {
      fs.writeFileSync(first.env.GIT_CONFIG_GLOBAL!, '[user]\n\temail = carol@elsewhere.example\n');
      f.emu.clearLog();
      const unnamed = await binIn(first, ['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
      expect(unnamed.exitCode, unnamed.stderr).toBe(0);
      expect(unnamed.stderr).toContain('alice-write');
      expect(rounds()).toBe(3);
      const asked = f.emu.log().map((e) => e.path);
      expect(asked).toContain('/bitbucket/rest/api/1.0/users/carol');
      expect(asked).toContain('/bitbucket/rest/api/1.0/users/carol-elsewhere');
    } finally {
      first.cleanup();
    }
  });

  it("first login with no name, but git's user.email or the login name is the account's: 2 rounds", async () => {
    const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
      ['the local part of user.email', { USER: 'carol-elsewhere', LOGNAME: 'carol-elsewhere' }, 'alice@example.com'],
      ['the login name', { USER: 'alice', LOGNAME: 'alice' }, 'a.example@elsewhere.example'],
    ];
    for (const [what, env, email] of cases) {
      const first = makeSandbox(env);
      try {
        fs.writeFileSync(first.env.GIT_CONFIG_GLOBAL!, `[user]\n\temail = ${email}\n`);
        f.emu.clearLog();
        const r = await binIn(first, ['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
        expect(r.exitCode, `${what}: ${r.stderr}`).toBe(0);
        expect(r.stderr).toContain('alice-write');
        expect(r.stderr).toContain('expiry:');
        expect(rounds(), what).toBe(2);
      } finally {
        first.cleanup();
      }
    }
  });

  it('status: 1 round, accounts checked together', async () => {
    const r = await bin(['status']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('alice');
    expect(rounds()).toBe(1);
  });

  it('doctor: 2 rounds (server, then every account of the host at once)', async () => {
    f.emu.setFaults([]);
    const bob = await bin(['login', f.emu.baseUrl, '--username', 'bob', '--token-stdin'], `${bobToken}\n`);
    expect(bob.exitCode, bob.stderr).toBe(0);
    await bin(['setup', f.emu.baseUrl]);
    f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
    f.emu.clearLog();
    const r = await bin(['doctor', f.emu.baseUrl]);
    expect(r.stdout).toContain('answers: Bitbucket');
    expect(r.stdout).toContain('alice: a personal token the server accepts');
    expect(r.stdout).toContain('bob: a personal token the server accepts');
    // one after another it would be 3
    expect(rounds()).toBe(2);
  });
});

describe('the progress line', () => {
  // each wait well past the second after which the line appears, so that it shows on a busy machine too
  beforeEach(() => f.emu.setFaults([{ kind: 'latency', ms: 2.5 * PROGRESS_AFTER_MS }]));

  it('on a terminal: says what status waits for, then erases the line', async () => {
    const r = await pty(['status'], []);
    expect(r.exitCode, r.output).toBe(0);
    const at = r.output.indexOf('… waiting for the server to check 1 token (1 s)');
    expect(at, r.output).toBeGreaterThan(-1);
    // erased (carriage return + erase line) before the report is printed
    const erased = r.output.indexOf('\r\x1b[K', at + 1);
    expect(erased).toBeGreaterThan(at);
    expect(erased).toBeLessThan(r.output.indexOf('alice'));
  });

  it('on a terminal: login shows what it waits for at each step', async () => {
    const r = await pty(['login', f.emu.baseUrl], [{ wait: 'input is hidden', send: `${token}\r` }, DECLINE_SETUP]);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain(`… waiting for ${f.emu.baseUrl} to answer`);
    expect(r.output).toContain(`… waiting for ${f.emu.baseUrl} to check the token`);
  });

  it('without a terminal: nothing', async () => {
    const r = await bin(['status']);
    expect(r.stderr).not.toContain('waiting for');
    expect(r.stderr).not.toContain('\x1b[K');
    const l = await bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(l.stderr).not.toContain('waiting for');
  });
});
