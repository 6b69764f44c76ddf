/**
 * Creating a personal token with the password session: least privilege by default, the server's
 * enforced maximum expiry when it refuses a longer one, and the "maximum number of tokens" case
 * turned into a list of the user's tokens and an offer to revoke one
 * (docs/bitbucket-server.md section 5).
 */
import os from 'node:os';
import { utcMinute } from '../../bitbucket/client.js';
import type { AccessTokenInfo } from '../../bitbucket/model.js';
import { tokenPageUrl } from '../../bitbucket/links.js';
import { CommandError, EXIT } from '../shared/errors.js';
import type { CommandIO } from '../shared/io.js';
import { promptLine } from '../shared/prompt.js';
import type { PasswordSession } from './password.js';

/** Least privilege for pushing: read the project, write its repositories. */
export const DEFAULT_PERMISSIONS = ['PROJECT_READ', 'REPO_WRITE'];
export const DEFAULT_EXPIRY_DAYS = 90;
/**
 * The longest expiry asked for: the most days `serverDays` (src/bitbucket/server-values.ts) reads
 * back from the server, so that a token created with it does not show as "expiry: none known".
 */
export const MAX_EXPIRY_DAYS = 100_000;

/** The name of tokens this program creates: where the token lives. */
export function defaultTokenName(): string {
  return `git-credential-bitbucket on ${os.hostname()}`;
}

export interface CreateOptions {
  session: PasswordSession;
  io: CommandIO;
  baseUrl: string;
  name: string;
  permissions: string[];
  /** Undefined: the default, lowered to the server's maximum when it refuses more. */
  expiryDays?: number;
  /**
   * `expiryDays` is a length to keep (rotate: the old token's) rather than one the user asked
   * for: lowered to the server's maximum like the default, and said so.
   */
  lowerToMaximum?: boolean;
  /** Whether the user can be asked which token to revoke. */
  interactive: boolean;
  /** Ids of tokens in use here (the stored ones), never revoked as a lost creation's. */
  keep?: readonly string[];
}

/** A created token: its entry and raw value. */
export interface Created {
  info: AccessTokenInfo;
  raw: string;
}

export async function createToken(opts: CreateOptions): Promise<Created> {
  const { session, io } = opts;
  let expiryDays = opts.expiryDays ?? DEFAULT_EXPIRY_DAYS;
  let roomMade = false;
  for (;;) {
    const started = Date.now();
    const r = await session.create({ name: opts.name, permissions: opts.permissions, expiryDays });
    if (r.status === 'ok') return { info: r.token, raw: r.raw };
    if (answerLost(r)) throw await afterLostAnswer(opts, r.message, started);
    if (r.status === 'field-error') {
      const max = r.maxExpiryDays;
      const lowers = opts.expiryDays === undefined || opts.lowerToMaximum === true;
      if (r.context === 'expiryDays' && lowers && max !== undefined && max < expiryDays) {
        io.stderr(
          `The server allows tokens of at most ${max} days, not ${expiryDays}; creating one that expires in ${max} days.\n`,
        );
        expiryDays = max;
        continue;
      }
      if (r.maxTokens && !roomMade) {
        await makeRoom(opts);
        roomMade = true;
        continue;
      }
      throw new CommandError(`${opts.baseUrl} refused to create the token: ${clause(r.message)}; nothing was changed`);
    }
    throw new CommandError(
      `${opts.baseUrl} refused to create the token: ${clause(r.message)}; nothing was changed`,
      r.status === 'unauthorized' ? EXIT.auth : EXIT.error,
    );
  }
}

/** How far the server's clock may lag ours when its tokens' creation times are compared with our start. */
const CLOCK_SKEW_MS = 120_000;

/**
 * The request may have been carried out although no usable answer came back: the connection
 * failed or timed out after sending, or a 5xx or some other unexpected answer (a proxy's error
 * page) took the place of the server's. A refusal (4xx) says that nothing was created.
 */
function answerLost(r: { status: string; message: string }): boolean {
  // "not sent": the time budget was spent before the request left (client.ts), so nothing happened
  return (r.status === 'network' && !/^not sent\b/.test(r.message)) || r.status === 'error';
}

/**
 * The answer to the create request was lost: the server may have created the token, and nobody
 * could use it, since its value was in that answer. Lists the user's tokens and revokes any by this
 * name created since the request started (with the password already accepted, once each);
 * what cannot be revoked, or found, is named with the token page.
 */
async function afterLostAnswer(opts: CreateOptions, why: string, started: number): Promise<CommandError> {
  const { session } = opts;
  const page = tokenPageUrl(opts.baseUrl, session.slug);
  const lost = `${opts.baseUrl}: the answer to the request to create the token was lost (${clause(why)})`;
  const listed = await session.list();
  if (listed.status !== 'ok') {
    return new CommandError(
      `${lost}, and the tokens could not be listed (${clause(listed.message)}): the server may have created "${opts.name}" all the same; look for it at ${page} (created at ${utcMinute(started)} or later) and revoke it`,
    );
  }
  const made = listed.tokens.filter(
    (t) =>
      t.name === opts.name &&
      t.createdDate !== undefined &&
      t.createdDate >= started - CLOCK_SKEW_MS &&
      !(opts.keep ?? []).includes(t.id),
  );
  if (made.length === 0)
    return new CommandError(`${lost}; no new token by that name is listed, so nothing was changed`);
  const left: string[] = [];
  for (const t of made) {
    const r = await session.revoke(t.id);
    if (r.status !== 'ok' && r.status !== 'not-found') left.push(`${tokenLine(t)} (${clause(r.message)})`);
  }
  if (left.length === 0) {
    const names = made.map((t) => tokenLine(t)).join(', ');
    return new CommandError(`${lost}; the server had created ${names} all the same: revoked, so nothing was changed`);
  }
  return new CommandError(
    `${lost}; the server created ${left.join(', ')} all the same, and it could not be revoked: it works until revoked at ${page}`,
  );
}

/** A server's sentence as a clause of ours: without its final stop, so that `…: clause; more` reads right. */
export function clause(message: string): string {
  return message.trim().replace(/[\s.;:]+$/, '');
}

/**
 * Revokes a token this command created and cannot keep (it failed its check, or could not be
 * stored): one request with the password already accepted, never retried. Undefined once the token
 * is gone; else a sentence (no final stop) naming it, its id and where to revoke it by hand, since
 * nobody else knows it exists.
 */
export async function revokeCreated(
  session: PasswordSession,
  created: Created,
  baseUrl: string,
): Promise<string | undefined> {
  let why: string;
  try {
    const r = await session.revoke(created.info.id);
    if (r.status === 'ok' || r.status === 'not-found') return undefined;
    why = r.message;
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  return `The new token ${tokenLine(created.info)} could not be revoked (${why}) and still works on the server: revoke it at ${tokenPageUrl(baseUrl, session.slug)}`;
}

/** One line naming a token: `"name" (id 1234, created 2026-01-02, last used 2026-03-04)`. */
export function tokenLine(t: Pick<AccessTokenInfo, 'id' | 'name' | 'createdDate' | 'lastAuthenticated'>): string {
  const day = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10));
  const created = day(t.createdDate);
  return `"${t.name}" (id ${t.id}${created ? `, created ${created}` : ''}, last used ${day(t.lastAuthenticated) ?? 'never'})`;
}

/** The user has the maximum number of tokens: list them, and revoke one if the user picks it. */
async function makeRoom(opts: CreateOptions): Promise<void> {
  const { session, io } = opts;
  const page = tokenPageUrl(opts.baseUrl, session.slug);
  const listed = await session.list();
  if (listed.status !== 'ok') {
    throw new CommandError(
      `${opts.baseUrl} refused to create the token: the maximum number of tokens is reached; revoke one at ${page}`,
    );
  }
  // Least recently used first: the best candidates for revocation.
  const tokens = [...listed.tokens].sort(
    (a, b) => (a.lastAuthenticated ?? a.createdDate ?? 0) - (b.lastAuthenticated ?? b.createdDate ?? 0),
  );
  io.stderr(`${session.username} already has the maximum number of tokens on ${opts.baseUrl}:\n`);
  tokens.forEach((t, i) => io.stderr(`  ${i + 1}. ${tokenLine(t)}\n`));
  const first = tokens[0];
  if (!opts.interactive || first === undefined) {
    throw new CommandError(
      `the maximum number of tokens is reached; revoke one at ${page}${first ? ` (the least recently used is ${tokenLine(first)})` : ''}, then try again; nothing was changed`,
    );
  }
  const answer = await promptLine(io, `Revoke which one to make room? (1-${tokens.length}, Enter to cancel): `);
  const chosen = /^\d+$/.test(answer) ? tokens[Number(answer) - 1] : undefined;
  if (!chosen) throw new CommandError('cancelled; nothing was changed', EXIT.usage);
  const revoked = await session.revoke(chosen.id);
  if (revoked.status !== 'ok')
    throw new CommandError(`could not revoke ${tokenLine(chosen)}: ${clause(revoked.message)}`);
  io.stderr(`Revoked ${tokenLine(chosen)}.\n`);
}
