/**
 * The set-up most end-to-end test files share: one emulator for the file, a fresh sandbox
 * (temporary HOME, XDG dirs, GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: see sandbox.ts) for each
 * test, every output kept and scanned for the secrets when the file ends. Call
 * `useEmulatorSandbox` at the top of a test file; it registers the vitest hooks, and hooks the
 * file registers after it run with the sandbox and emulator in place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type Fixture,
  type FixtureToken,
  type FixtureUser,
} from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, runGit, type RunResult, type Sandbox } from './sandbox.js';
import { runOnPty, type PtyResult, type PtyStep } from './pty.js';
import type { Options } from 'execa';

/** The demo fixture (test/emulator/fixtures/demo.json): alice, bob, PRJ/app and their tokens. */
export const DEMO: Fixture = JSON.parse(
  fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8'),
) as Fixture;

/** The raw token named `name` in a fixture (the demo one by default). */
export function fixtureToken(name: string, data: Fixture = DEMO): string {
  const t = data.tokens?.find((x) => x.name === name)?.token;
  if (!t) throw new Error(`no token ${name} in the fixture`);
  return t;
}

/** alice as the push tests know her. */
export const ALICE: FixtureUser = {
  name: 'alice',
  displayName: 'Alice Example',
  email: 'alice@example.com',
  password: 'alice-pw',
};

/**
 * The fixture of the push tests: ALICE with PROJECT_WRITE on project PRJ, its seeded repository
 * PRJ/app, and `tokens`; `more` replaces any part (more users, say).
 */
export function pushFixture(tokens: FixtureToken[], more: Partial<Fixture> = {}): Fixture {
  return {
    users: [ALICE],
    projects: [{ key: 'PRJ', name: 'Project' }],
    repos: [{ project: 'PRJ', slug: 'app', seed: true }],
    permissions: [{ user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' }],
    tokens,
    ...more,
  };
}

export interface EmulatorSandbox {
  /** The file's emulator (started before the first test). */
  readonly emu: Emulator;
  /** The current test's sandbox (the file's, with `sandbox: 'file'`). */
  readonly sb: Sandbox;
  /** Everything the program and git printed, scanned for the secrets after the last test. */
  readonly outputs: string[];
  /** Runs the built program in the sandbox; its output is kept (never `get`'s stdout: a token belongs there). */
  bin(args: string[], input?: string, opts?: Options): Promise<RunResult>;
  /** Runs git in the sandbox; its output is kept. */
  git(args: string[], opts?: Options & { input?: string }): Promise<RunResult>;
  /** Runs the built program on a terminal in the sandbox, answering `steps` (see pty.ts); its output is kept. */
  pty(args: string[], steps: PtyStep[]): Promise<PtyResult>;
  /** `login <emulator> --token-stdin [extra]` with `token`; fails the test unless it succeeds. */
  login(token: string, ...extra: string[]): Promise<RunResult>;
}

export interface EmulatorSandboxOptions extends Partial<Omit<EmulatorOptions, 'data'>> {
  /** The fixture; the demo one by default. */
  data?: Fixture;
  /** What must never appear in any output; every token of the fixture by default. */
  secrets?: string[];
  /** A fresh sandbox for each test (default), or one for the whole file. */
  sandbox?: 'each' | 'file';
}

export function useEmulatorSandbox(opts: EmulatorSandboxOptions = {}): EmulatorSandbox {
  const { data = DEMO, secrets, sandbox = 'each', ...emulator } = opts;
  const outputs: string[] = [];
  let emu: Emulator | undefined;
  let sb: Sandbox | undefined;
  beforeAll(async () => {
    emu = await startEmulator({ data, ...emulator });
    if (sandbox === 'file') sb = makeSandbox();
  });
  afterAll(async () => {
    await emu?.stop();
    if (sandbox === 'file') sb?.cleanup();
    expectNoSecrets(outputs, secrets ?? fixtureSecrets(data));
  });
  if (sandbox === 'each') {
    beforeEach(() => {
      sb = makeSandbox();
    });
    afterEach(() => sb?.cleanup());
  }
  return emulatorSandbox(
    {
      get emu() {
        if (!emu) throw new Error('the emulator is not started yet (use it inside tests or hooks)');
        return emu;
      },
      get sb() {
        if (!sb) throw new Error('no sandbox yet (use it inside tests or hooks)');
        return sb;
      },
    },
    outputs,
  );
}

/** Every token of a fixture: what no output may contain unless a file says otherwise. */
export function fixtureSecrets(data: Fixture): string[] {
  return (data.tokens ?? []).flatMap((t) => (t.token ? [t.token] : []));
}

/**
 * The methods of an EmulatorSandbox over `at`'s emulator and sandbox (read at each call), every
 * output kept in `outputs`.
 */
export function emulatorSandbox(
  at: { readonly emu: Emulator; readonly sb: Sandbox },
  outputs: string[],
): EmulatorSandbox {
  const ctx: EmulatorSandbox = {
    get emu() {
      return at.emu;
    },
    get sb() {
      return at.sb;
    },
    outputs,
    async bin(args, input = '', runOpts = {}) {
      const r = await runBin(ctx.sb, args, input, runOpts);
      outputs.push(args[0] === 'get' ? '' : r.stdout, r.stderr);
      return r;
    },
    async git(args, { input = '', ...runOpts } = {}) {
      const r = await runGit(ctx.sb, args, input, runOpts);
      outputs.push(r.stdout, r.stderr);
      return r;
    },
    async pty(args, steps) {
      const r = await runOnPty(ctx.sb, args, steps);
      outputs.push(r.output);
      return r;
    },
    async login(token, ...extra) {
      const r = await ctx.bin(['login', ctx.emu.baseUrl, '--token-stdin', ...extra], `${token}\n`);
      expect(r.exitCode, r.stderr).toBe(0);
      return r;
    },
  };
  return ctx;
}

/** The status the server at `baseUrl` answers a REST call made with `token` as Bearer: 200 while it works. */
export async function bearerStatus(baseUrl: string, token: string): Promise<number> {
  const r = await fetch(`${baseUrl}/rest/api/1.0/users?limit=1`, { headers: { Authorization: `Bearer ${token}` } });
  return r.status;
}
