// Shared pieces of the emulator's own tests: a fixture, auth headers, an isolated git runner.
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeToken } from './token-format.js';
import type { Fixture } from './types.js';

/** Raw tokens of `testFixture()`, generated per test run. */
export const T = {
  aliceWrite: makeToken('100000000001'),
  aliceRead: makeToken('100000000002'),
  aliceExpired: makeToken('100000000003'),
  aliceRevoked: makeToken('100000000004'),
  bobLegacy: makeToken('100000000005', 'legacy'),
  prjWrite: makeToken('200000000001'),
  appRead: makeToken('200000000002'),
  pubRead: makeToken('200000000003'),
};

/** A fixture covering the model: grants, personal/public repos, every kind of token. */
export function testFixture(): Fixture {
  return {
    users: [
      { name: 'alice', displayName: 'Alice Example', email: 'alice@example.com', password: 'alice-pw' },
      { name: 'bob', displayName: 'Bob Example', email: 'bob@example.com', password: 'bob-pw' },
      { name: 'carol@example.com', displayName: 'Carol', email: 'carol@example.com', password: 'carol-pw' },
      { name: 'root', displayName: 'Root', email: 'root@example.com', password: 'root-pw', admin: true },
      { name: 'ci-service', displayName: 'CI', type: 'SERVICE' },
    ],
    projects: [
      { key: 'PRJ', name: 'Project' },
      { key: 'PUB', name: 'Public', public: true },
    ],
    repos: [
      { project: 'PRJ', slug: 'app', seed: true },
      { project: 'PRJ', slug: 'lib', name: 'Lib' },
      { project: 'PRJ', slug: 'library', name: 'Library' },
      { project: 'PUB', slug: 'docs', seed: true },
      { project: '~alice', slug: 'scratch', seed: true },
    ],
    permissions: [
      { user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' },
      { user: 'bob', project: 'PRJ', permission: 'PROJECT_READ' },
      { user: 'bob', project: 'PRJ', repo: 'lib', permission: 'REPO_WRITE' },
    ],
    tokens: [
      {
        owner: { user: 'alice' },
        name: 'alice-write',
        token: T.aliceWrite,
        permissions: ['PROJECT_READ', 'REPO_WRITE'],
      },
      { owner: { user: 'alice' }, name: 'alice-read', token: T.aliceRead, permissions: ['REPO_READ'] },
      {
        owner: { user: 'alice' },
        name: 'alice-expired',
        token: T.aliceExpired,
        permissions: ['REPO_WRITE'],
        createdAt: '2024-01-01T00:00:00Z',
        expiresAt: '2024-01-31T00:00:00Z',
      },
      {
        owner: { user: 'alice' },
        name: 'alice-revoked',
        token: T.aliceRevoked,
        permissions: ['REPO_WRITE'],
        revoked: true,
      },
      { owner: { user: 'bob' }, name: 'bob-legacy', token: T.bobLegacy, permissions: ['REPO_ADMIN'] },
      { owner: { project: 'PRJ' }, name: 'prj-ci', token: T.prjWrite, permissions: ['PROJECT_WRITE', 'REPO_WRITE'] },
      { owner: { project: 'PRJ', repo: 'app' }, name: 'app-read', token: T.appRead, permissions: ['REPO_READ'] },
      { owner: { project: 'PUB' }, name: 'pub-read', token: T.pubRead, permissions: ['PROJECT_READ'] },
    ],
  };
}

/** `Authorization: Basic ...` header value. */
export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/** `Authorization: Bearer ...` header value. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** GET (or other) with an optional Authorization header; returns status, headers and parsed body. */
export async function call(
  url: string,
  auth?: string,
  init: RequestInit = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON shapes
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers = new Headers(init.headers);
  if (auth) headers.set('Authorization', auth);
  const res = await fetch(url, { redirect: 'manual', ...init, headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A temp dir with an isolated git setup; `git()` runs the real git binary inside it. */
export async function gitSandbox(): Promise<{
  dir: string;
  git: (
    args: string[],
    opts?: { cwd?: string; timeout?: number },
  ) => Promise<{ exitCode: number; stdout: string; stderr: string }>;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'bb-emu-test-'));
  const globalConfig = join(dir, 'gitconfig');
  await writeFile(globalConfig, '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'xdg'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: globalConfig,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LANG: 'C',
  };
  return {
    dir,
    git: async (args, opts = {}) => {
      const r = await execa('git', args, {
        cwd: opts.cwd ?? dir,
        env,
        extendEnv: false,
        reject: false,
        timeout: opts.timeout ?? 20_000,
      });
      return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Inserts `user:secret@` into a base URL. */
export function withCreds(baseUrl: string, user: string, secret: string): string {
  const u = new URL(baseUrl);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(secret);
  return u.href.replace(/\/$/, '');
}
