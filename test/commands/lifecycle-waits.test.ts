/**
 * Waits in the token lifecycle: `logout --revoke`, `rotate` and `login --create` show, on a
 * terminal, one line saying what they wait for once a request takes over a second (rewritten in
 * place, erased when the answer comes), and nothing when stderr is not a terminal. The server's
 * slowness is an emulator latency fault; nothing here measures the wall clock. The tests mostly
 * wait on that latency: they run at once, each with its own emulator and sandbox.
 */
import { describe, expect, it } from 'vitest';
import type { EmulatorSandbox } from '../helpers/fixture.js';
import { ownEmulators } from '../helpers/own-emulator.js';
import { DECLINE_SETUP, type PtyStep } from '../helpers/pty.js';

const PASSWORD = 'alice-password';
/** Longer than the second a wait stays silent, so the line shows on every slow request. */
const LATENCY_MS = 1500;
/** The tests share the machine while they wait: room for a loaded one. */
const TIMEOUT_MS = 120_000;
const PASSWORD_STEP: PtyStep = { wait: 'input is hidden', send: `${PASSWORD}\r` };

const own = ownEmulators({ context: '/bb', secrets: [PASSWORD] });

/** Runs `test` with its own emulator and a sandbox where alice is logged in with a token `login --create` made. */
function withAlice(test: (f: EmulatorSandbox) => Promise<void>): () => Promise<void> {
  return () =>
    own.with(async (f) => {
      const r = await f.bin(
        ['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'],
        `${PASSWORD}\n`,
      );
      expect(r.exitCode, r.stderr).toBe(0);
      f.emu.clearLog();
      await test(f);
    });
}

/**
 * `… waiting for <what> (N s)` is on the terminal, and the line is erased (carriage return, erase
 * to the end of the line) before `next` is printed. N is not checked: a loaded machine may fire
 * the first update late.
 */
function expectShownThenErased(output: string, what: string, next: string): void {
  const at = output.search(new RegExp(`… waiting for ${what.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(\\d+ s\\)`));
  expect(at, `"${what}" in:\n${output}`).toBeGreaterThan(-1);
  const erased = output.indexOf('\r\x1b[K', at + 1);
  expect(erased, output).toBeGreaterThan(at);
  const after = output.indexOf(next, at);
  expect(after, `"${next}" after "${what}" in:\n${output}`).toBeGreaterThan(-1);
  expect(erased).toBeLessThan(after);
}

describe.concurrent('the progress line on a terminal', () => {
  it(
    'logout --revoke: while the server answers, checks the password and revokes the token',
    withAlice(async (f) => {
      f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
      const r = await f.pty(['logout', f.emu.baseUrl, '--revoke'], [PASSWORD_STEP]);
      expect(r.exitCode, r.output).toBe(0);
      const base = f.emu.baseUrl;
      expectShownThenErased(r.output, `${base} to answer`, 'Password for alice');
      expectShownThenErased(r.output, `${base} to check the password`, 'Revoked');
      expectShownThenErased(r.output, `${base} to revoke the token`, 'Revoked');
      expect(r.output).toMatch(/Removed the token for alice/);
    }),
    TIMEOUT_MS,
  );

  it(
    'rotate: while the stored token is checked, the new one is created and checked, and the old one revoked',
    withAlice(async (f) => {
      f.emu.setFaults([
        { kind: 'latency', ms: LATENCY_MS, method: 'GET', path: 'access-tokens' },
        { kind: 'latency', ms: LATENCY_MS, method: 'PUT', path: 'access-tokens' },
        { kind: 'latency', ms: LATENCY_MS, method: 'DELETE', path: 'access-tokens' },
      ]);
      const r = await f.pty(['rotate', f.emu.baseUrl], [{ wait: 'Username [alice]: ', send: '\r' }, PASSWORD_STEP]);
      expect(r.exitCode, r.output).toBe(0);
      const base = f.emu.baseUrl;
      expectShownThenErased(r.output, `${base} to check the stored token`, 'Password for alice');
      expectShownThenErased(r.output, `${base} to create the token`, 'Created token');
      expectShownThenErased(r.output, `${base} to check the new token`, 'Logged in');
      expectShownThenErased(r.output, `${base} to revoke the token`, 'Revoked the old token');
    }),
    TIMEOUT_MS,
  );

  it(
    'login --create: while the token is created',
    withAlice(async (f) => {
      f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS, method: 'PUT', path: 'access-tokens' }]);
      const r = await f.pty(
        ['login', f.emu.baseUrl, '--create', '--username', 'alice'],
        [PASSWORD_STEP, DECLINE_SETUP],
      );
      expect(r.exitCode, r.output).toBe(0);
      expectShownThenErased(r.output, `${f.emu.baseUrl} to create the token`, 'Created token');
    }),
    TIMEOUT_MS,
  );
});

describe.concurrent('without a terminal', () => {
  it(
    'logout --revoke and rotate print no progress line',
    withAlice(async (f) => {
      f.emu.setFaults([{ kind: 'latency', ms: LATENCY_MS, path: 'access-tokens' }]);
      const rotate = await f.bin(['rotate', f.emu.baseUrl, '--password-stdin'], `${PASSWORD}\n`);
      expect(rotate.exitCode, rotate.stderr).toBe(0);
      const logout = await f.bin(['logout', f.emu.baseUrl, '--revoke', '--password-stdin'], `${PASSWORD}\n`);
      expect(logout.exitCode, logout.stderr).toBe(0);
      for (const text of [rotate.stderr, logout.stderr]) {
        expect(text).not.toContain('waiting for');
        expect(text).not.toContain('\x1b[K');
      }
      // the latency did apply: the token requests were slowed
      expect(f.emu.log().filter((e) => e.fault === 'latency').length).toBeGreaterThanOrEqual(3);
    }),
    TIMEOUT_MS,
  );
});
