/**
 * Waits in the token lifecycle: `logout --revoke`, `rotate` and `login --create` show, on a
 * terminal, one line saying what they wait for once a request takes over a second (rewritten in
 * place, erased when the answer comes), and nothing when stderr is not a terminal. The server's
 * slowness is an emulator latency fault; nothing here measures the wall clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { DECLINE_SETUP, runOnPty, type PtyStep } from '../helpers/pty.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, type Sandbox } from '../helpers/sandbox.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const PASSWORD = 'alice-password';
/** Longer than the second a wait stays silent, so the line shows on every slow request. */
const LATENCY_MS = 1500;
const PASSWORD_STEP: PtyStep = { wait: 'input is hidden', send: `${PASSWORD}\r` };
const outputs: string[] = [];

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bb' });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(outputs, [PASSWORD]);
});
beforeEach(async () => {
  sb = makeSandbox();
  emu.setFaults([]);
  const r = await runBin(
    sb,
    ['login', emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'],
    `${PASSWORD}\n`,
  );
  outputs.push(r.stdout, r.stderr);
  expect(r.exitCode, r.stderr).toBe(0);
  emu.clearLog();
});
afterEach(() => {
  emu.setFaults([]);
  sb.cleanup();
});

async function pty(args: string[], steps: PtyStep[]) {
  const r = await runOnPty(sb, args, steps);
  outputs.push(r.output);
  return r;
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

describe('the progress line on a terminal', () => {
  it('logout --revoke: while the server answers, checks the password and revokes the token', async () => {
    emu.setFaults([{ kind: 'latency', ms: LATENCY_MS }]);
    const r = await pty(['logout', emu.baseUrl, '--revoke'], [PASSWORD_STEP]);
    expect(r.exitCode, r.output).toBe(0);
    const base = emu.baseUrl;
    expectShownThenErased(r.output, `${base} to answer`, 'Password for alice');
    expectShownThenErased(r.output, `${base} to check the password`, 'Revoked');
    expectShownThenErased(r.output, `${base} to revoke the token`, 'Revoked');
    expect(r.output).toMatch(/Removed the token for alice/);
  });

  it('rotate: while the stored token is checked, the new one is created and checked, and the old one revoked', async () => {
    emu.setFaults([
      { kind: 'latency', ms: LATENCY_MS, method: 'GET', path: 'access-tokens' },
      { kind: 'latency', ms: LATENCY_MS, method: 'PUT', path: 'access-tokens' },
      { kind: 'latency', ms: LATENCY_MS, method: 'DELETE', path: 'access-tokens' },
    ]);
    const r = await pty(['rotate', emu.baseUrl], [{ wait: 'Username [alice]: ', send: '\r' }, PASSWORD_STEP]);
    expect(r.exitCode, r.output).toBe(0);
    const base = emu.baseUrl;
    expectShownThenErased(r.output, `${base} to check the stored token`, 'Password for alice');
    expectShownThenErased(r.output, `${base} to create the token`, 'Created token');
    expectShownThenErased(r.output, `${base} to check the new token`, 'Logged in');
    expectShownThenErased(r.output, `${base} to revoke the token`, 'Revoked the old token');
  });

  it('login --create: while the token is created', async () => {
    emu.setFaults([{ kind: 'latency', ms: LATENCY_MS, method: 'PUT', path: 'access-tokens' }]);
    const r = await pty(['login', emu.baseUrl, '--create', '--username', 'alice'], [PASSWORD_STEP, DECLINE_SETUP]);
    expect(r.exitCode, r.output).toBe(0);
    expectShownThenErased(r.output, `${emu.baseUrl} to create the token`, 'Created token');
  });
});

describe('without a terminal', () => {
  it('logout --revoke and rotate print no progress line', async () => {
    emu.setFaults([{ kind: 'latency', ms: LATENCY_MS, path: 'access-tokens' }]);
    const rotate = await runBin(sb, ['rotate', emu.baseUrl, '--password-stdin'], `${PASSWORD}\n`);
    outputs.push(rotate.stdout, rotate.stderr);
    expect(rotate.exitCode, rotate.stderr).toBe(0);
    const logout = await runBin(sb, ['logout', emu.baseUrl, '--revoke', '--password-stdin'], `${PASSWORD}\n`);
    outputs.push(logout.stdout, logout.stderr);
    expect(logout.exitCode, logout.stderr).toBe(0);
    for (const text of [rotate.stderr, logout.stderr]) {
      expect(text).not.toContain('waiting for');
      expect(text).not.toContain('\x1b[K');
    }
    // the latency did apply: the token requests were slowed
    expect(emu.log().filter((e) => e.fault === 'latency').length).toBeGreaterThanOrEqual(3);
  });
});
