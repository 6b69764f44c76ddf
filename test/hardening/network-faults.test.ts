/**
 * Network faults for `login` and `status` through the real binary, against the emulator: 5xx,
 * resets, hangs, invalid JSON, a 302 to the HTML login page, an HTML sign-in page served with
 * 200 (a single sign-on proxy in front of the server), and TLS
 * without the CA. Each: non-zero exit, one clear line (login), bounded time, nothing stored, no
 * stack trace, no token in any output. Tests run concurrently, each with its own emulator.
 * (429 without Retry-After is in bounded-waits.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fault, type Fixture } from '../emulator/index.js';
import { makeSandbox, ROOT, runBin, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { expectOneLineFailure, filesUnder, timed } from './util.js';
import { bound } from '../helpers/bounds.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const TOKEN = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;
const ALL_TOKENS = fixture.tokens!.map((t) => t.token).filter((t): t is string => Boolean(t));

async function withEmulator<T>(
  opts: { https?: boolean; faults?: Fault[] },
  fn: (emu: Emulator, sb: Sandbox) => Promise<T>,
): Promise<T> {
  const emu = await startEmulator({ data: fixture, context: '/bitbucket', ...opts });
  const sb = makeSandbox();
  try {
    return await fn(emu, sb);
  } finally {
    sb.cleanup();
    await emu.stop();
  }
}

function expectNothingStored(sb: Sandbox): void {
  const files = filesUnder(sb.dataDir);
  expect(files.filter((f) => /credentials\.json|keyring-index\.json/.test(f))).toEqual([]);
  for (const f of files) for (const t of ALL_TOKENS) expect(fs.readFileSync(f, 'utf8')).not.toContain(t);
}

function expectNoToken(r: RunResult): void {
  for (const t of ALL_TOKENS) {
    expect(r.stdout).not.toContain(t);
    expect(r.stderr).not.toContain(t);
  }
}

const login = (emu: Emulator, sb: Sandbox, ...extra: string[]) =>
  timed(() => runBin(sb, ['login', emu.baseUrl, '--token-stdin', '--timeout', '1', ...extra], `${TOKEN}\n`));

describe.concurrent('login under network faults', () => {
  it.each<[string, Fault[], RegExp]>([
    ['5xx everywhere', [{ kind: 'status', status: 503 }], /127\.0\.0\.1:\d+\/bitbucket: .*503/],
    ['connection resets', [{ kind: 'reset' }], /connection to 127\.0\.0\.1:\d+ was closed/],
    ['hangs (with --timeout 1)', [{ kind: 'hang' }], /127\.0\.0\.1:\d+ did not answer within 1 s/],
    ['invalid JSON', [{ kind: 'invalidJson' }], /does not answer as Bitbucket/],
    [
      '302 to the HTML login page',
      [{ kind: 'loginRedirect' }],
      /unexpected redirect \(HTTP 302\), possibly to a login page: it points to http:\/\/127\.0\.0\.1:\d+\/bitbucket\/login;/,
    ],
    [
      'hang after the server was recognised',
      [{ kind: 'hang', path: '/rest/api/1.0/users' }],
      // the budget may run out inside the request or, on a slow machine, before it is sent
      /(within 1 s \(--timeout\)|was spent) \(not checked: whose token it is/,
    ],
  ])('%s: one line, non-zero, bounded, nothing stored', async (_name, faults, pattern) => {
    await withEmulator({ faults }, async (emu, sb) => {
      const { ms, value: r } = await login(emu, sb);
      expectOneLineFailure(r, pattern);
      expect(r.stderr).toMatch(/nothing was stored/);
      expect(ms).toBeLessThan(bound(1000));
      expectNoToken(r);
      expectNothingStored(sb);
    });
  });

  it('a sign-on proxy answering an HTML page for the REST API: one line saying so, nothing stored', async () => {
    await withEmulator({ faults: [{ kind: 'signInPage', path: '/rest/api/1.0/users' }] }, async (emu, sb) => {
      // a time budget a loaded machine cannot run out of: what is checked is the message
      const r = await runBin(sb, ['login', emu.baseUrl, '--token-stdin', '--timeout', '60'], `${TOKEN}\n`);
      expectOneLineFailure(
        r,
        /answered with an HTML page, not Bitbucket's REST API \(HTTP 200\): a sign-in page of a proxy in front of the server\?.*nothing was stored/,
      );
      expect(r.stderr).not.toMatch(/rejected|refused/);
      expectNoToken(r);
      expectNothingStored(sb);
    });
  });

  it('TLS without the CA: one line naming the TLS failure, nothing stored; with the CA it works', async () => {
    await withEmulator({ https: true }, async (emu, sb) => {
      const { ms, value: r } = await login(emu, sb);
      expectOneLineFailure(
        r,
        /127\.0\.0\.1:\d+ presents a certificate signed by a CA this machine does not trust .* git config --global http\..*\.sslCAInfo <file>/,
      );
      expect(ms).toBeLessThan(bound(1000));
      expectNoToken(r);
      expectNothingStored(sb);
      sb.env.GIT_SSL_CAINFO = emu.caFile;
      const ok = await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${TOKEN}\n`);
      expect(ok.exitCode, ok.stderr).toBe(0);
    });
  });
});

// alone, so that its long wait does not weigh on the bounded tests that run at once
describe('login: the time limit a timeout names', () => {
  it('a slow first answer, then a hang: the message names the --timeout set, not what was left of it', async () => {
    const faults: Fault[] = [
      { kind: 'latency', ms: 1000, path: 'application-properties' },
      { kind: 'hang', path: '/rest/api/1.0/users' },
    ];
    // a budget a loaded machine does not spend on the first answer alone
    await withEmulator({ faults }, async (emu, sb) => {
      const { ms, value: r } = await timed(() =>
        runBin(sb, ['login', emu.baseUrl, '--token-stdin', '--timeout', '8'], `${TOKEN}\n`),
      );
      expectOneLineFailure(
        r,
        /: no complete response from 127\.0\.0\.1:\d+ within 8 s \(--timeout\) \(not checked: whose token it is.*; nothing was stored/,
      );
      expect(ms).toBeLessThan(bound(8000));
      expectNoToken(r);
      expectNothingStored(sb);
    });
  });
});

describe.concurrent('status under network faults', () => {
  it.each<[string, Fault[]]>([
    ['5xx', [{ kind: 'status', status: 500 }]],
    ['reset', [{ kind: 'reset' }]],
    ['hang', [{ kind: 'hang' }]],
    ['302 to login', [{ kind: 'loginRedirect' }]],
    ['an HTML sign-in page', [{ kind: 'signInPage', path: '/rest/api/1.0/users' }]],
  ])('%s: exit 1, bounded, token masked, the stored entry untouched, not called refused', async (_name, faults) => {
    await withEmulator({}, async (emu, sb) => {
      const ok = await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${TOKEN}\n`);
      expect(ok.exitCode, ok.stderr).toBe(0);
      const file = path.join(sb.dataDir, 'credentials.json');
      const before = fs.readFileSync(file);
      emu.setFaults(faults);
      const { ms, value: r } = await timed(() => runBin(sb, ['status', '--timeout', '1']));
      expect(r.exitCode).toBe(1);
      expect(r.stderr + r.stdout).not.toMatch(/\n\s+at |node:internal/);
      expect(r.stderr + r.stdout).not.toMatch(/rejected|refused/);
      expect(ms).toBeLessThan(bound(1000));
      expectNoToken(r);
      expect(fs.readFileSync(file)).toEqual(before);
    });
  });
});
