// In-process API of the Bitbucket Server / Data Center emulator. See README.md in this folder.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptchaTracker } from './auth.js';
import { buildModel } from './build-model.js';
import { FaultBook } from './faults.js';
import { validateFixtureToken } from './fixture.js';
import type { State } from './http-util.js';
import { bareRepoRelPath, createBareRepo, isolatedGitEnv } from './repos.js';
import { makeHandler } from './server.js';
import { validateSwitches } from './switches.js';
import { makeTls } from './tls.js';
import { makeToken } from './token-format.js';
import { addFixtureToken } from './tokens.js';
import {
  DEFAULT_SWITCHES,
  type Fault,
  type Fixture,
  type FixtureToken,
  type LogEntry,
  type Switches,
} from './types.js';

export { makeToken };
export { decodeTokenId } from './token-format.js';
export { FixtureError } from './fixture.js';
export { DEFAULT_SWITCHES } from './types.js';
export type { Fixture, Fault, Switches, LogEntry };
export type {
  FixtureToken,
  FixtureUser,
  FixtureProject,
  FixtureRepo,
  FixturePermission,
  Permission,
  TokenOwner,
} from './types.js';

/** Options of `startEmulator`. */
export interface EmulatorOptions {
  data: Fixture;
  /** Context path such as `/bitbucket`; none by default. */
  context?: string;
  /** Serve HTTPS with a freshly generated CA (see `Emulator.caFile`). */
  https?: boolean;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Where the bare repositories live; a temp dir (removed on stop) by default. */
  reposDir?: string;
  switches?: Partial<Switches>;
  faults?: Fault[];
}

/** A running emulator. */
export interface Emulator {
  /** Scheme, 127.0.0.1, port and context path; no trailing slash. */
  baseUrl: string;
  port: number;
  /** PEM file of the generated CA (HTTPS mode only). */
  caFile?: string;
  /** A copy of the request log. */
  log(): LogEntry[];
  clearLog(): void;
  /** Replaces all faults. */
  setFaults(f: Fault[]): void;
  /** Changes some switches. */
  setSwitches(s: Partial<Switches>): void;
  /** Lifts the CAPTCHA lock (and failure count) of a username. */
  clearCaptcha(username: string): void;
  /** Absolute path of a repository's bare directory. */
  bareRepoPath(projectKey: string, slug: string): string;
  /** Adds a token as a fixture would; returns its id and raw value. */
  addToken(t: FixtureToken): { id: string; token: string };
  /** Closes the server, kills git backends and removes temp dirs. */
  stop(): Promise<void>;
}

/** Normalises a context path: '' or '/name' without a trailing slash. */
export function normaliseContext(context: string | undefined): string {
  const trimmed = (context ?? '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Starts an emulator on 127.0.0.1. Throws FixtureError for a bad fixture. */
export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const model = buildModel(opts.data, Date.now());
  const switches: Switches = { ...DEFAULT_SWITCHES, ...validateSwitches(opts.switches ?? {}) };
  const faults = new FaultBook();
  faults.set(opts.faults ?? []);
  const context = normaliseContext(opts.context);
  const tmp = await mkdtemp(join(tmpdir(), 'bb-emulator-'));
  try {
    const reposDir = opts.reposDir ?? join(tmp, 'repos');
    const gitEnv = isolatedGitEnv(tmp);
    await Promise.all(model.repos.map((r) => createBareRepo(reposDir, r.project.key, r.slug, r.seed, gitEnv)));
    const tls = opts.https ? await makeTls(tmp) : undefined;
    const state: State = {
      model,
      switches,
      captcha: new CaptchaTracker(() => switches.captchaThreshold),
      faults,
      log: [],
      reposDir,
      children: new Set(),
      gitEnv,
      now: () => Date.now(),
    };
    let baseUrl = '';
    const handler = makeHandler(state, context, () => baseUrl);
    const server: Server = tls
      ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
      : createHttpServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    baseUrl = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${context}`;
    return {
      baseUrl,
      port,
      caFile: tls?.caFile,
      log: () => state.log.map((e) => ({ ...e })),
      clearLog: () => {
        state.log.length = 0;
      },
      setFaults: (f) => faults.set(f),
      setSwitches: (s) => {
        Object.assign(switches, validateSwitches(s));
      },
      clearCaptcha: (u) => state.captcha.clear(u),
      bareRepoPath: (key, slug) => join(reposDir, bareRepoRelPath(key, slug)),
      addToken: (t) => {
        validateFixtureToken(t);
        const token = addFixtureToken(model, t, Date.now());
        return { id: token.id, token: token.raw };
      },
      stop: async () => {
        for (const child of state.children) child.kill('SIGKILL');
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
