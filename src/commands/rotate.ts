/**
 * `rotate [URL]`: replaces the stored personal token with a new one of the same permissions and
 * expiry length, then revokes the old one. Bitbucket has no renew call and a token cannot create
 * tokens (docs/bitbucket-server.md section 5), so this takes the account password, once.
 *
 * The expiry length is the old token's, lowered to the server's enforced maximum when that is
 * shorter (section 5), and the default when the old one's is not known; the output says which.
 *
 * Order, so that no failed step leaves the user without a working stored token: create the new
 * token, prove it works (REST, and write access to the repository when the URL names one), replace
 * the stored token, and only then revoke the old one. If the new token fails its proof it is revoked
 * and the old one stays; if the old one cannot be revoked, the output names it exactly.
 *
 * The new token replaces the stored one only while that entry still holds the token read at the
 * start (src/commands/shared/cache.ts compares them under a lock): when another rotate or login
 * replaced it meanwhile, the new token is revoked and the one stored now is kept, so that no
 * token is left working on the server that nothing here names. A signal between the creation
 * and the write revokes the new token too (src/commands/lifecycle/interrupt.ts).
 */
import type { CommandModule } from 'yargs';
import { classifyToken, type ValidTokenReport } from '../bitbucket/classifier.js';
import { tokenPageUrl } from '../bitbucket/links.js';
import { decodeTokenId } from '../bitbucket/token.js';
import type { BitbucketClient } from '../bitbucket/client.js';
import type { BitbucketLocation } from '../bitbucket/url.js';
import { loginRun } from './login.js';
import { pickAccount } from './logout.js';
import { listAccounts, storesFor, type Account } from './shared/accounts.js';
import { retireTokens } from './shared/cache.js';
import { CommandError, EXIT, Superseded } from './shared/errors.js';
import { paint, type CommandContext, type CommandIO } from './shared/io.js';
import { waitingFor } from './shared/progress.js';
import { clientFor, entryBaseUrl, parseServer } from './shared/server.js';
import { namedTimeout, timeoutOption } from './shared/timeout.js';
import {
  createToken,
  defaultTokenName,
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_PERMISSIONS,
  revokeCreated,
  tokenLine,
  type Created,
} from './lifecycle/create.js';
import { guidedCreate } from './lifecycle/guided.js';
import { keyLabel, sameKey, type StoredEntry, type TokenMeta } from '../store/types.js';
import { PasswordUnusable, signIn, type PasswordSession } from './lifecycle/password.js';
import { watchCreated, type CreatedWatch } from './lifecycle/interrupt.js';

export interface RotateOptions {
  url?: string;
  username?: string;
  passwordStdin: boolean;
  /** Seconds per request to the server. */
  timeout: number;
}

const DAY_MS = 86_400_000;

/** What is known about the token being replaced. */
interface OldToken {
  id?: string;
  name?: string;
  createdDate?: number;
  lastAuthenticated?: number;
  permissions: string[];
  /** The old token's expiry length, or the default when `expiryKnown` is false. */
  expiryDays: number;
  expiryKnown: boolean;
  expiresAt?: number;
}

export async function rotateRun(opts: RotateOptions, io: CommandIO): Promise<number> {
  const p = paint(io.stderrIsTTY, io.env);
  const { stores } = storesFor(io);
  const account = pickAccount(await listAccounts(stores), opts);
  if (account.meta?.kind === 'project') {
    throw new CommandError(
      'the stored token is a project or repository token; rotate those in the project or repository settings',
      EXIT.usage,
    );
  }
  const baseUrl = entryBaseUrl(account);
  const server = parseServer(opts.url ?? baseUrl, { allowHttp: true });
  const client = await clientFor(baseUrl, io, opts.timeout * 1000, { timeoutNamed: namedTimeout(opts.timeout) });
  const oldRaw = (await account.store.read(account))?.password;
  const old = await waitingFor(io, `${baseUrl} to check the stored token`, describeOld(client, account, oldRaw));

  if (!old.expiryKnown) {
    io.stderr(
      `No expiry is known for the old token (it may never expire): the new one will expire in ${old.expiryDays} days, the default.\n`,
    );
  }
  let session: PasswordSession;
  try {
    session = await signIn({
      client,
      io,
      ...((opts.username ?? account.username) ? { username: opts.username ?? account.username } : {}),
      usernameGiven: opts.username !== undefined,
      passwordStdin: opts.passwordStdin,
    });
  } catch (err) {
    if (err instanceof PasswordUnusable) return guidedRotate(err.reason, account, old, server, opts, io);
    throw err;
  }
  const created = await createToken({
    session,
    io,
    baseUrl,
    name: defaultTokenName(),
    permissions: old.permissions,
    expiryDays: old.expiryDays,
    lowerToMaximum: true,
    interactive: io.stdinIsTTY && !opts.passwordStdin,
    ...(old.id !== undefined ? { keep: [old.id] } : {}),
  });
  const watch = await watchCreated(session, created, baseUrl, io);
  io.stderr(`Created token ${tokenLine(created.info)} [${created.info.permissions.join(', ')}].\n`);
  const page = tokenPageUrl(baseUrl, session.slug);

  const problem = await waitingFor(
    io,
    `${baseUrl} to check the new token`,
    prove(client, created.raw, session.username, server),
  );
  if (problem) await undo(session, created, baseUrl, `the new token does not work: ${problem}`, watch, io);
  try {
    await store(account, created.raw, oldRaw, server, { ...opts, watch }, io);
  } catch (err) {
    if (err instanceof Superseded) await undo(session, created, baseUrl, superseded(err), watch, io, 'lost');
    await undo(session, created, baseUrl, `the new token could not be stored: ${(err as Error).message}`, watch, io);
  }
  watch.release(`the new token is stored, but the old token ${oldLine(old)} was not revoked: revoke it at ${page}`);
  if (old.id === undefined) {
    io.stderr(
      `${p.yellow('!')} The old token's id is unknown, so it was not revoked: revoke ${oldLine(old)} at ${page}\n`,
    );
    return EXIT.error;
  }
  const revoked = await session.revoke(old.id);
  if (revoked.status === 'ok' || revoked.status === 'not-found') {
    io.stderr(`${p.green('✓')} Revoked the old token ${oldLine(old)}.\n`);
    return EXIT.ok;
  }
  io.stderr(
    `${p.yellow('!')} The new token is stored, but the old token could not be revoked (${revoked.message}). It still works${old.expiresAt ? ` until ${day(old.expiresAt)}` : ''}: revoke ${oldLine(old)} at ${page}\n`,
  );
  return EXIT.error;
}

/** The old token's id, name, permissions and expiry length: from the server, else from the store. */
async function describeOld(client: BitbucketClient, account: Account, raw: string | undefined): Promise<OldToken> {
  const meta = account.meta ?? {};
  let report: ValidTokenReport | undefined;
  if (raw) {
    const r = await classifyToken({
      client,
      credential: { scheme: 'bearer', secret: raw },
      allowBasic: true,
      ...(account.username ? { username: account.username } : {}),
    });
    if (r.status === 'valid') report = r;
  }
  const expiresAt = report?.expiresAt ?? meta.expiresAt;
  const createdDate = report?.createdAt;
  const days =
    expiresAt !== undefined && createdDate !== undefined ? Math.round((expiresAt - createdDate) / DAY_MS) : undefined;
  const id = report?.tokenId ?? meta.tokenId ?? (raw ? (decodeTokenId(raw) ?? undefined) : undefined);
  const name = report?.tokenName ?? meta.tokenName;
  const permissions = report?.permissions ?? meta.permissions;
  return {
    ...(id !== undefined ? { id } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(createdDate !== undefined ? { createdDate } : {}),
    ...(report?.lastAuthenticatedAt !== undefined ? { lastAuthenticated: report.lastAuthenticatedAt } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    permissions: permissions?.length ? permissions : DEFAULT_PERMISSIONS,
    ...(days !== undefined && days >= 1
      ? { expiryDays: days, expiryKnown: true }
      : { expiryDays: DEFAULT_EXPIRY_DAYS, expiryKnown: false }),
  };
}

/** Why the new token cannot replace the old one, or undefined when it works. */
async function prove(
  client: BitbucketClient,
  raw: string,
  username: string,
  server: BitbucketLocation,
): Promise<string | undefined> {
  const repository =
    server.projectKey && server.repoSlug
      ? { repository: { projectKey: server.projectKey, repoSlug: server.repoSlug } }
      : {};
  const report = await classifyToken({
    client,
    credential: { scheme: 'bearer', secret: raw },
    allowBasic: true,
    username,
    ...repository,
  });
  if (report.status !== 'valid') return report.message;
  if (report.kind !== 'personal') return 'the server does not treat it as a personal token';
  if (report.usernameMismatch) return `it acts as ${report.usernameMismatch.actual}, not ${username}`;
  // a repository that does not exist says nothing against the new token: login, which stores
  // it next with the same URL, names the URL's mistake
  if (report.repository && report.repository.missing === undefined) {
    const where = `${report.repository.projectKey}/${report.repository.repoSlug}`;
    if (report.repository.writable === undefined)
      return `could not check write access to ${where}: ${report.unchecked.join('; ')}`;
    if (!report.repository.writable) return `it cannot push to ${where}`;
  }
  return undefined;
}

/**
 * Stores the new token in the old one's place (one write replaces the entry), like `login` does,
 * but only while that entry still holds `oldRaw` (else Superseded: another rotate or login won).
 */
async function store(
  account: Account,
  raw: string,
  oldRaw: string | undefined,
  server: BitbucketLocation,
  opts: RotateOptions & { watch?: CreatedWatch },
  io: CommandIO,
): Promise<void> {
  const code = await loginRun(
    {
      url: server.repoSlug ? (opts.url ?? server.baseUrl) : server.baseUrl,
      ...(account.username !== undefined ? { username: account.username } : {}),
      token: raw,
      tokenStdin: false,
      allowProjectToken: false,
      allowHttp: account.meta?.allowHttp === true || server.protocol === 'http',
      timeout: opts.timeout,
      replaces: { key: account, secret: oldRaw },
      ...(opts.watch ? { watch: opts.watch } : {}),
    },
    io,
  );
  if (code !== EXIT.ok) throw new Error(`login exited with ${code}`);
  if (oldRaw === undefined) return;
  const accounts = await listAccounts(storesFor(io).stores);
  const fresh = accounts.find((a) => sameKey(a, account));
  for (const a of accounts) {
    const secrets = await a.store.read(a);
    if (secrets?.password !== oldRaw) continue;
    if (a.protocol === account.protocol && a.host === account.host) {
      // an entry git stored under another key (a path, say): it goes
      await a.store.erase(a);
    } else {
      // the same server under another name (localhost and 127.0.0.1, say): the old token stops
      // working there too, and the user never saw the new one to log it in, so it is put there
      // (the old one retired first, as login did for this name)
      await retireTokens(io, a, [oldRaw]);
      await a.store.put(renewed(a, fresh, io.now()), { ...secrets, password: raw });
      io.stderr(`Also stored the new token for ${keyLabel(a)}, which held the old one.\n`);
    }
  }
}

/** `entry` with the new token's facts from `fresh` (the entry login just wrote), its own name kept. */
function renewed(entry: Account, fresh: Account | undefined, now: number): StoredEntry {
  const { store: _store, passwordExpiryUtc: _expiry, ...rest } = entry;
  const meta: TokenMeta = { ...entry.meta };
  for (const k of ['tokenId', 'tokenName', 'permissions', 'expiresAt', 'verifiedAt'] as const) {
    const v = fresh?.meta?.[k];
    if (v === undefined) delete meta[k];
    else (meta as Record<string, unknown>)[k] = v;
  }
  return {
    ...rest,
    ...(fresh?.passwordExpiryUtc !== undefined ? { passwordExpiryUtc: fresh.passwordExpiryUtc } : {}),
    storedAt: now,
    meta,
  };
}

/**
 * The new token is not usable, or (`lost`) another rotate or login replaced the stored token
 * first: revoke the new token, leave the stored one as it is, and stop.
 */
async function undo(
  session: PasswordSession,
  created: Created,
  baseUrl: string,
  why: string,
  watch: CreatedWatch,
  io: CommandIO,
  lost?: 'lost',
): Promise<never> {
  if (!watch.take()) return watch.parked();
  const left = await revokeCreated(session, created, baseUrl);
  if (left) io.stderr(`${left}.\n`);
  const kept = lost
    ? `${left ? '' : 'the new token was revoked, and '}the token stored now was kept`
    : 'the old token is still stored and was not revoked';
  const err = new CommandError(`${why}; ${kept}`);
  watch.release(left ? `${left}; ${kept}` : err.message);
  throw err;
}

function superseded(err: Superseded): string {
  return err.message.replace(/; nothing was stored$/, '');
}

async function guidedRotate(
  reason: string,
  account: Account,
  old: OldToken,
  server: BitbucketLocation,
  opts: RotateOptions,
  io: CommandIO,
): Promise<number> {
  const baseUrl = entryBaseUrl(account);
  const slug = account.meta?.userSlug ?? account.username;
  const raw = await guidedCreate(
    {
      baseUrl,
      ...(slug !== undefined ? { userSlug: slug } : {}),
      reason,
      name: defaultTokenName(),
      permissions: old.permissions,
      expiryDays: old.expiryDays,
      scriptHint: `git credential-bitbucket login ${baseUrl} --token-stdin`,
    },
    io,
  );
  await store(account, raw, (await account.store.read(account))?.password, server, opts, io);
  io.stderr(`Now revoke the old token ${oldLine(old)} on the same page:\n  ${tokenPageUrl(baseUrl, slug)}\n`);
  return EXIT.ok;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function oldLine(old: OldToken): string {
  return tokenLine({ id: old.id ?? 'unknown', name: old.name ?? '(name unknown)', ...pick(old) });
}

function pick(old: OldToken): { createdDate?: number; lastAuthenticated?: number } {
  return {
    ...(old.createdDate !== undefined ? { createdDate: old.createdDate } : {}),
    ...(old.lastAuthenticated !== undefined ? { lastAuthenticated: old.lastAuthenticated } : {}),
  };
}

export const rotateCommand = (ctx: CommandContext): CommandModule<object, RotateOptions> => ({
  command: 'rotate [url]',
  describe:
    "replace the stored token with a new one (same permissions and expiry length: 90 days when the old one's is not known, the server's maximum when that is shorter), then revoke the old one; asks for the account password once",
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'the server, or a repository URL to prove write access on' })
      .option('username', { type: 'string', describe: 'the account (needed when a host has several)' })
      .option('password-stdin', {
        type: 'boolean',
        default: false,
        describe: 'read the account password from standard input (for scripts)',
      })
      .option('timeout', timeoutOption('seconds to wait for each request to the server', 10))
      .example('$0 rotate https://bitbucket.example.com', '') as never,
  handler: async (argv) => {
    ctx.exitCode = await rotateRun(argv, ctx.io);
  },
});
