/**
 * Shared checks for the hardening suite: what a well-behaved run of the binary looks like, and
 * small helpers to snapshot the store and to bound how many processes run at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunResult, Sandbox } from '../helpers/sandbox.js';

/** The only lines `get` may print (git-credential(1) "INPUT/OUTPUT FORMAT"; never `url=`). */
export const ANSWER_LINE =
  /^(username|password|password_expiry_utc|oauth_refresh_token|capability\[\]|authtype|credential)=[^\r\0]*$/;

/** Stack frames or a raw Node error dump, which must never reach the user. */
const STACK = /\n\s+at |^\s+at |node:internal|Error: .*\n.*\n|\{\s*\n\s+code:/m;

/**
 * A run ended cleanly: exit 0, or non-zero with exactly one `git-credential-bitbucket: ...` line
 * on stderr; never a stack trace; every stdout line a valid answer line.
 */
export function expectWellBehaved(r: RunResult, what = ''): void {
  const ctx = `${what}\nexit ${r.exitCode}\nstderr: ${JSON.stringify(r.stderr.slice(0, 400))}\nstdout: ${JSON.stringify(r.stdout.slice(0, 200))}`;
  expect(r.stderr, ctx).not.toMatch(STACK);
  if (r.exitCode !== 0) {
    expect(r.exitCode, ctx).toBeGreaterThan(0);
    expect(r.stderr, ctx).toMatch(/^git-credential-bitbucket: [^\n]+\n?$/);
  }
  expectAnswerLines(r.stdout, ctx);
}

/** Every stdout line is an answer line; the output ends with LF when not empty. */
export function expectAnswerLines(stdout: string, ctx = ''): void {
  if (stdout === '') return;
  expect(stdout.endsWith('\n'), ctx).toBe(true);
  for (const line of stdout.slice(0, -1).split('\n')) expect(line, ctx).toMatch(ANSWER_LINE);
}

/** A failure with one clear line on stderr, non-zero exit, no stack trace. */
export function expectOneLineFailure(r: RunResult, pattern: RegExp, what = ''): void {
  const ctx = `${what}\nexit ${r.exitCode}\nstderr: ${JSON.stringify(r.stderr)}\nstdout: ${JSON.stringify(r.stdout)}`;
  expect(r.exitCode, ctx).not.toBe(0);
  expect(r.stderr, ctx).toMatch(/^git-credential-bitbucket: [^\n]+\n?$/);
  expect(r.stderr, ctx).toMatch(pattern);
  expect(r.stderr, ctx).not.toMatch(STACK);
}

/** The bytes of a file, or null when it does not exist. */
export function bytesOf(file: string): Buffer | null {
  return fs.existsSync(file) ? fs.readFileSync(file) : null;
}

export const credentialsFile = (sb: Sandbox): string => path.join(sb.dataDir, 'credentials.json');

/** Every regular file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...filesUnder(p));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

/** Runs `jobs` with at most `limit` at a time, keeping their order in the result. */
export async function bounded<T>(limit: number, jobs: Array<() => Promise<T>>): Promise<T[]> {
  const out = new Array<T>(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/**
 * True when running as root, where file modes do not deny access. CI runs the tests that need
 * another user as one, with GCB_EXPECT_NON_ROOT=1 (.ci/run): there, root is an error, not a skip.
 */
export const isRoot = (): boolean => {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && process.env.GCB_EXPECT_NON_ROOT === '1') throw new Error('GCB_EXPECT_NON_ROOT=1, but running as root');
  return root;
};

/** Milliseconds an async call took, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
