/**
 * Waits: independent requests go out together (counted as sequential rounds in the emulator's
 * request log under a configured latency, never by wall clock), and on a terminal a wait over a
 * second shows one line on stderr saying what it waits for, erased afterwards; nothing without a terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, type Sandbox } from '../helpers/sandbox.js';
import { DECLINE_SETUP, runOnPty } from '../helpers/pty.js';
import { PROGRESS_AFTER_MS } from '../../src/commands/shared/progress.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;
const bobToken = fixture.tokens!.find((t) => t.name === 'bob-legacy')!.token!;
const LATENCY_MS = 1000;
const outputs: string[] = [];

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(outputs, [token, bobToken]);
});
beforeEach(async () => {
  sb = makeSandbox();
  emu.setFaults([]);
  const r = await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
  outputs.push(r.stdout, r.stderr);
  expect(r.exitCode, r.stderr).toBe(0);
  emu.clearLog();
  emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
});
afterEach(() => sb.cleanup());

/**
 * Sequential rounds of requests: a request arriving within half the latency of a round's first
 * one went out together with it; a later one had to wait for an answer.
 */
function rounds(): number {
  const times = emu
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

async function bin(args: string[], input = '') {
  const r = await runBin(sb, args, input);
  outputs.push(r.stdout, r.stderr);
  return r;
}

describe('independent requests go out together (docs/classifier.md, "Rounds")', () => {
  it('login of a known account: 2 rounds (server, then who/record/entry/write check at once)', async () => {
    const r = await bin(['login', `${emu.baseUrl}/scm/prj/app.git`, '--token-stdin'], `${token}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('expiry:');
    expect(r.stderr).not.toContain('Not checked');
    expect(emu.log().length).toBeGreaterThanOrEqual(4);
    expect(rounds()).toBe(2);
  });

  it('first login with the name given: 2 rounds; with no name at all: 3 (the record waits for the name)', async () => {
    const fresh = makeSandbox();
    try {
      const named = await runBin(fresh, ['login', emu.baseUrl, '--username', 'alice', '--token-stdin'], `${token}\n`);
      outputs.push(named.stdout, named.stderr);
      expect(named.exitCode, named.stderr).toBe(0);
      expect(rounds()).toBe(2);
    } finally {
      fresh.cleanup();
    }
    // a login name and an e-mail address that name nobody on the server
    const first = makeSandbox({ USER: 'carol-elsewhere', LOGNAME: 'carol-elsewhere' });
    try {
      fs.writeFileSync(first.env.GIT_CONFIG_GLOBAL!, '[user]\n\temail = carol@elsewhere.example\n');
      emu.clearLog();
      const unnamed = await runBin(first, ['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
      outputs.push(unnamed.stdout, unnamed.stderr);
      expect(unnamed.exitCode, unnamed.stderr).toBe(0);
      expect(unnamed.stderr).toContain('alice-write');
      expect(rounds()).toBe(3);
      const asked = emu.log().map((e) => e.path);
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
        emu.clearLog();
        const r = await runBin(first, ['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
        outputs.push(r.stdout, r.stderr);
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
    emu.setFaults([]);
    const bob = await bin(['login', emu.baseUrl, '--username', 'bob', '--token-stdin'], `${bobToken}\n`);
    expect(bob.exitCode, bob.stderr).toBe(0);
    await bin(['setup', emu.baseUrl]);
    emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
    emu.clearLog();
    const r = await bin(['doctor', emu.baseUrl]);
    expect(r.stdout).toContain('answers: Bitbucket');
    expect(r.stdout).toContain('alice: a personal token the server accepts');
    expect(r.stdout).toContain('bob: a personal token the server accepts');
    // one after another it would be 3
    expect(rounds()).toBe(2);
  });
});

describe('the progress line', () => {
  // each wait well past the second after which the line appears, so that it shows on a busy machine too
  beforeEach(() => emu.setFaults([{ kind: 'latency', ms: 2.5 * PROGRESS_AFTER_MS }]));

  it('on a terminal: says what status waits for, then erases the line', async () => {
    const r = await runOnPty(sb, ['status'], []);
    outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    const at = r.output.indexOf('… waiting for the server to check 1 token (1 s)');
    expect(at, r.output).toBeGreaterThan(-1);
    // erased (carriage return + erase line) before the report is printed
    const erased = r.output.indexOf('\r\x1b[K', at + 1);
    expect(erased).toBeGreaterThan(at);
    expect(erased).toBeLessThan(r.output.indexOf('alice'));
  });

  it('on a terminal: login shows what it waits for at each step', async () => {
    const r = await runOnPty(
      sb,
      ['login', emu.baseUrl],
      [{ wait: 'input is hidden', send: `${token}\r` }, DECLINE_SETUP],
    );
    outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain(`… waiting for ${emu.baseUrl} to answer`);
    expect(r.output).toContain(`… waiting for ${emu.baseUrl} to check the token`);
  });

  it('without a terminal: nothing', async () => {
    const r = await bin(['status']);
    expect(r.stderr).not.toContain('waiting for');
    expect(r.stderr).not.toContain('\x1b[K');
    const l = await bin(['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(l.stderr).not.toContain('waiting for');
  });
});
