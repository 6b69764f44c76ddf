/**
 * Renewal notices on the fast path: when `get` answers with a token that expires within
 * `bitbucket.expiryDays` days (git config, per URL like `http.<url>.*`; default 7), one stderr line
 * says when, and how to renew (git shows a helper's stderr). Only where a person may be watching
 * (stderr is a terminal and git may prompt: not with GIT_TERMINAL_PROMPT=0), and at most once a day
 * per account: a small file in the state directory (`notices.json`, no secrets) records the day each account was last
 * looked at, so git config is read at most once a day per account too. Bitbucket cannot extend a
 * token (docs/bitbucket-server.md section 5): renewing means `rotate`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configGetSync } from '../git/repo.js';
import { ensurePrivateDir } from '../private-dir.js';
import { NUMBERS, parseGitInt, stateDir } from '../settings.js';
import { keyLabel, type StoredEntry } from '../store/types.js';

const DAY_MS = 86_400_000;

/** `bitbucket.expiryDays` for a URL (whole days within its range), else its default (7). */
export function expiryDaysFor(url: string, env: NodeJS.ProcessEnv): number {
  const { key, min, max } = NUMBERS.expiryDays;
  const v = configGetSync(key, { url }, { env });
  const n = v === undefined ? undefined : parseGitInt(v);
  return n !== undefined && n >= min && n <= max ? n : NUMBERS.expiryDays.default;
}

/** The line to print, or undefined when the token is not close to its expiry. Pure. */
export function renewalLine(
  entry: StoredEntry,
  expiresAt: number,
  now: number,
  withinDays: number,
): string | undefined {
  const days = Math.floor((expiresAt - now) / DAY_MS);
  if (days >= withinDays) return undefined;
  const base = entry.meta?.baseUrl ?? `${entry.protocol}://${entry.host}`;
  const date = new Date(expiresAt).toISOString().slice(0, 10);
  const when =
    expiresAt <= now
      ? `expired on ${date}`
      : `expires on ${date} (${days < 1 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`})`;
  return `git-credential-bitbucket: the token for ${entry.username ?? '(no username)'} on ${base} ${when}; renew it with: git credential-bitbucket rotate ${base}\n`;
}

export interface NoticeContext {
  env: NodeJS.ProcessEnv;
  now: number;
  /** Whether stderr is a terminal; a function is asked only when a notice could be due. */
  stderrIsTTY: boolean | (() => boolean);
}

/** The notice for the entry `get` answered with, at most once a day; undefined when none is due. */
export function dueNotice(entry: StoredEntry, ctx: NoticeContext): string | undefined {
  const expiresAt = entry.meta?.expiresAt ?? (entry.passwordExpiryUtc ? entry.passwordExpiryUtc * 1000 : undefined);
  if (expiresAt === undefined || ctx.env.GIT_TERMINAL_PROMPT === '0') return undefined;
  const file = path.join(stateDir(ctx.env), 'notices.json');
  const state = readState(file);
  const key = keyLabel(entry);
  const today = new Date(ctx.now).toISOString().slice(0, 10);
  if (state[key] === today) return undefined;
  // Last: on the fast path telling a terminal can load modules of its own (see src/fdwrite.ts).
  if (!(typeof ctx.stderrIsTTY === 'function' ? ctx.stderrIsTTY() : ctx.stderrIsTTY)) return undefined;
  const base = entry.meta?.baseUrl ?? `${entry.protocol}://${entry.host}`;
  const line = renewalLine(entry, expiresAt, ctx.now, expiryDaysFor(`${base}/`, ctx.env));
  state[key] = today;
  writeState(file, state);
  return line;
}

function readState(file: string): Record<string, string> {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/** Atomic replace (write a temporary file, rename), mode 0600; a failure only costs a repeated notice. */
function writeState(file: string, state: Record<string, string>): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    ensurePrivateDir(path.dirname(file));
    fs.writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true });
  }
}
