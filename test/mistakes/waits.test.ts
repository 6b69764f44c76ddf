/**
 * Waits: independent requests go out together (counted as sequential rounds in the emulator's
 * request log under a configured latency, never by wall clock), and on a terminal a wait over a
 * second shows one line on stderr saying what it waits for, erased afterwards; nothing without a terminal.
 * The tests mostly wait on that latency: they run at once, each with its own emulator and sandbox.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureToken, type EmulatorSandbox } from '../helpers/fixture.js';
import { ownEmulators } from '../helpers/own-emulator.js';
import { makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { DECLINE_SETUP } from '../helpers/pty.js';
import { PROGRESS_AFTER_MS } from '../../src/commands/shared/progress.js';

const token = fixtureToken('alice-write');
const bobToken = fixtureToken('bob-legacy');
const LATENCY_MS = 1000;
/** The tests share the machine while they wait: room for a loaded one. */
const TIMEOUT_MS = 120_000;

const own = ownEmulators({ context: '/bitbucket', secrets: [token, bobToken] });

/** Runs `test` with its own emulator, alice logged in, and every request answered after `latency` ms. */
function slow(test: (f: EmulatorSandbox) => Promise<void>, latency = LATENCY_MS): () => Promise<void> {
  return () =>
    own.with(async (f) => {
      await f.login(token);
      f.emu.clearLog();
      f.emu.setFaults([{ kind: 'latency', ms: latency }]);
      await test(f);
    });
}

/**
 * Sequential rounds of requests: a request arriving within half the latency of a round's first
 * one went out together with it; a later one had to wait for an answer.
 */
function rounds(f: EmulatorSandbox): number {
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
async function binIn(f: EmulatorSandbox, sb: Sandbox, args: string[], input = '') {
  const r = await runBin(sb, args, input);
  f.outputs.push(r.stdout, r.stderr);
  return r;
}

describe.concurrent('independent requests go out together (docs/classifier.md, "Rounds")', () => {
  it(
    'login of a known account: 2 rounds (server, then who/record/entry/write check at once)',
    slow(async (f) => {
      const r = await f.bin(['login', `${f.emu.baseUrl}/scm/prj/app.git`, '--token-stdin'], `${token}\n`);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('expiry:');
      expect(r.stderr).not.toContain('Not checked');
      expect(f.emu.log().length).toBeGreaterThanOrEqual(4);
      expect(rounds(f)).toBe(2);
    }),
    TIMEOUT_MS,
  );

  it(
    'first login with the name given: 2 rounds; with no name at all: 3 (the record waits for the name)',
    slow(async (f) => {
      const fresh = makeSandbox();
      try {
        const named = await binIn(
          f,
          fresh,
          ['login', f.emu.baseUrl, '--username', 'alice', '--token-stdin'],
          `${token}\n`,
        );
        expect(named.exitCode, named.stderr).toBe(0);
        expect(rounds(f)).toBe(2);
      } finally {
        fresh.cleanup();
      }
      // a login name and an e-mail address that name nobody on the server
      const first = makeSandbox({ USER: 'carol-elsewhere', LOGNAME: 'carol-elsewhere' });
      try {
        fs.writeFileSync(first.env.GIT_CONFIG_GLOBAL!, '[user]\n\temail = carol@elsewhere.example\n');
        f.emu.clearLog();
        const unnamed = await binIn(f, first, ['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
        expect(unnamed.exitCode, unnamed.stderr).toBe(0);
        expect(unnamed.stderr).toContain('alice-write');
        expect(rounds(f)).toBe(3);
        const asked = f.emu.log().map((e) => e.path);
        expect(asked).toContain('/bitbucket/rest/api/1.0/users/carol');
        expect(asked).toContain('/bitbucket/rest/api/1.0/users/carol-elsewhere');
      } finally {
        first.cleanup();
      }
    }),
    TIMEOUT_MS,
  );

  it(
    "first login with no name, but git's user.email or the login name is the account's: 2 rounds",
    slow(async (f) => {
      const cases: Array<[string, NodeJS.ProcessEnv, string]> = [
        ['the local part of user.email', { USER: 'carol-elsewhere', LOGNAME: 'carol-elsewhere' }, 'alice@example.com'],
        ['the login name', { USER: 'alice', LOGNAME: 'alice' }, 'a.example@elsewhere.example'],
      ];
      for (const [what, env, email] of cases) {
        const first = makeSandbox(env);
        try {
          fs.writeFileSync(first.env.GIT_CONFIG_GLOBAL!, `[user]\n\temail = ${email}\n`);
          f.emu.clearLog();
          const r = await binIn(f, first, ['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
          expect(r.exitCode, `${what}: ${r.stderr}`).toBe(0);
          expect(r.stderr).toContain('alice-write');
          expect(r.stderr).toContain('expiry:');
          expect(rounds(f), what).toBe(2);
        } finally {
          first.cleanup();
        }
      }
    }),
    TIMEOUT_MS,
  );

  it(
    'status: 1 round, accounts checked together',
    slow(async (f) => {
      const r = await f.bin(['status']);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('alice');
      expect(rounds(f)).toBe(1);
    }),
    TIMEOUT_MS,
  );

  it(
    'doctor: 2 rounds (server, then every account of the host at once)',
    slow(async (f) => {
      f.emu.setFaults([]);
      const bob = await f.bin(['login', f.emu.baseUrl, '--username', 'bob', '--token-stdin'], `${bobToken}\n`);
      expect(bob.exitCode, bob.stderr).toBe(0);
      await f.bin(['setup', f.emu.baseUrl]);
      f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
      f.emu.clearLog();
      const r = await f.bin(['doctor', f.emu.baseUrl]);
      expect(r.stdout).toContain('answers: Bitbucket');
      expect(r.stdout).toContain('alice: a personal token the server accepts');
      expect(r.stdout).toContain('bob: a personal token the server accepts');
      // one after another it would be 3
      expect(rounds(f)).toBe(2);
    }),
    TIMEOUT_MS,
  );
});

// each wait well past the second after which the line appears, so that it shows on a busy machine too
const PROGRESS_LATENCY_MS = 2.5 * PROGRESS_AFTER_MS;

describe.concurrent('the progress line', () => {
  it(
    'on a terminal: says what status waits for, then erases the line',
    slow(async (f) => {
      const r = await f.pty(['status'], []);
      expect(r.exitCode, r.output).toBe(0);
      const at = r.output.indexOf('… waiting for the server to check 1 token (1 s)');
      expect(at, r.output).toBeGreaterThan(-1);
      // erased (carriage return + erase line) before the report is printed
      const erased = r.output.indexOf('\r\x1b[K', at + 1);
      expect(erased).toBeGreaterThan(at);
      expect(erased).toBeLessThan(r.output.indexOf('alice'));
    }, PROGRESS_LATENCY_MS),
    TIMEOUT_MS,
  );

  it(
    'on a terminal: login shows what it waits for at each step',
    slow(async (f) => {
      const r = await f.pty(['login', f.emu.baseUrl], [{ wait: 'input is hidden', send: `${token}\r` }, DECLINE_SETUP]);
      expect(r.exitCode, r.output).toBe(0);
      expect(r.output).toContain(`… waiting for ${f.emu.baseUrl} to answer`);
      expect(r.output).toContain(`… waiting for ${f.emu.baseUrl} to check the token`);
    }, PROGRESS_LATENCY_MS),
    TIMEOUT_MS,
  );

  it(
    'without a terminal: nothing',
    slow(async (f) => {
      const r = await f.bin(['status']);
      expect(r.stderr).not.toContain('waiting for');
      expect(r.stderr).not.toContain('\x1b[K');
      const l = await f.bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
      expect(l.stderr).not.toContain('waiting for');
    }, PROGRESS_LATENCY_MS),
    TIMEOUT_MS,
  );
});
