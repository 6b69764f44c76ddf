/**
 * `logout [URL] [--username U] [--revoke]`: removes one stored token, and only that one, unless
 * the same token is stored under other entries too (the server under another name, say): a token
 * revoked is then removed from them as well and they are named, since each would keep sending a
 * dead token (as Basic, every refusal counts towards the CAPTCHA lock, docs/bitbucket-server.md
 * section 2); without --revoke they are named instead of advice to revoke a token they still use.
 */
import type { CommandModule } from 'yargs';
import { keyLabel, sameKey, type TokenStore } from '../store/types.js';
import { redactUrl } from '../git/config.js';
import { hostKey, listAccounts, storesFor, type Account } from './shared/accounts.js';
import { removeToken } from './shared/cache.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { parseServer } from './shared/server.js';
import { timeoutOption } from './shared/timeout.js';
import { revokeOnServer, stillWorksNotice } from './lifecycle/revoke.js';

export interface LogoutOptions {
  url?: string;
  username?: string;
  /** Also delete the token on the server (asks for the account password once). */
  revoke?: boolean;
  passwordStdin?: boolean;
  /** Seconds per request to the server. */
  timeout?: number;
}

export async function logoutRun(opts: LogoutOptions, io: CommandIO): Promise<number> {
  if (opts.passwordStdin && !opts.revoke)
    throw new CommandError('--password-stdin only makes sense with --revoke', EXIT.usage);
  const { stores } = storesFor(io);
  const accounts = await listAccounts(stores);
  const target = pickAccount(accounts, opts);
  const sharing = await holdingSameToken(accounts, target);
  const ended =
    opts.revoke === true &&
    (await revokeOnServer(target, { passwordStdin: opts.passwordStdin ?? false, timeout: opts.timeout ?? 10 }, io));
  const gone = ended ? [target, ...sharing] : [target];
  const from = await removeAccount(io, accounts, target, gone);
  io.stderr(
    `Removed the token for ${target.username ?? '(no username)'} on ${target.meta?.baseUrl ?? hostKey(target)} from ${places(from)}\n`,
  );
  if (ended) {
    for (const a of sharing)
      io.stderr(
        `Also removed ${keyLabel(a)} from ${places(await removeAccount(io, accounts, a, gone))}: it held the same token, which no longer works\n`,
      );
  } else if (sharing.length > 0) {
    io.stderr(
      `The same token is still stored for ${sharing.map(keyLabel).join(', ')} and works there, so it was left on the server${opts.revoke ? '; revoking it ends it there too' : ''}\n`,
    );
  } else if (!opts.revoke) io.stderr(`${stillWorksNotice(target)}\n`);
  return EXIT.ok;
}

/**
 * The other entries (other keys, every store) holding `target`'s token: compared in memory, never
 * printed. One entry of each key.
 */
async function holdingSameToken(accounts: readonly Account[], target: Account): Promise<Account[]> {
  const mine = secretsOf(await target.store.read(target).catch(() => undefined));
  if (mine.length === 0) return [];
  const out: Account[] = [];
  for (const a of accounts) {
    if (sameKey(a, target) || out.some((o) => sameKey(o, a))) continue;
    const theirs = secretsOf(await a.store.read(a).catch(() => undefined));
    if (theirs.some((s) => mine.includes(s))) out.push(a);
  }
  return out;
}

function secretsOf(s: { password?: string; credential?: string } | undefined): string[] {
  return [s?.password, s?.credential].filter((v): v is string => v !== undefined && v !== '');
}

/**
 * Removes every copy of `a`'s key; when it was its host's default, the newest account of the host
 * that stays (none of `gone`) becomes the default. Returns the stores it was removed from.
 */
async function removeAccount(
  io: CommandIO,
  accounts: readonly Account[],
  a: Account,
  gone: readonly Account[],
): Promise<TokenStore[]> {
  const from = await removeToken(io, accounts, a);
  const rest = accounts.filter((o) => hostKey(o) === hostKey(a) && !gone.some((g) => sameKey(o, g)));
  if (a.isDefault && rest.length > 0 && !rest.some((o) => o.isDefault)) {
    const next = [...rest].sort((x, y) => y.storedAt - x.storedAt)[0]!;
    await next.store.updateEntries((es) => es.map((e) => (sameKey(e, next) ? { ...e, isDefault: true } : e)));
  }
  return from.length > 0 ? from : [a.store];
}

function places(stores: readonly TokenStore[]): string {
  return stores.map((s) => (s.kind === 'keyring' ? 'the OS keyring' : s.location)).join(' and ');
}

/** The one stored account that the URL and username name; usage error when several match. */
export function pickAccount(accounts: Account[], opts: { url?: string; username?: string }): Account {
  let candidates = accounts;
  if (opts.url !== undefined) {
    const server = parseServer(opts.url, { allowHttp: true });
    candidates = candidates.filter(
      (a) => a.protocol === server.protocol && a.host.toLowerCase() === server.host.toLowerCase(),
    );
    if (candidates.length === 0) throw new CommandError(`no token is stored for ${server.baseUrl}`);
  }
  if (opts.username !== undefined) {
    candidates = candidates.filter((a) => a.username === opts.username);
    if (candidates.length === 0)
      throw new CommandError(
        `no token is stored for user '${opts.username}'${opts.url ? ` on ${redactUrl(opts.url)}` : ''}`,
      );
  }
  if (candidates.length === 0) throw new CommandError('no token is stored');
  // one key in both stores is one account: logout removes every copy
  if (candidates.some((a) => !sameKey(a, candidates[0]!))) {
    const list = candidates.map((a) => `${hostKey(a)} ${a.username ?? '(no username)'}`).join(', ');
    throw new CommandError(`several tokens match (${list}); name one with a URL and --username`, EXIT.usage);
  }
  return candidates[0]!;
}

export const logoutCommand = (ctx: CommandContext): CommandModule<object, LogoutOptions> => ({
  command: 'logout [url]',
  describe: 'remove a stored token (only that one); --revoke also deletes it on the server',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'the server (needed when tokens for several hosts are stored)' })
      .option('username', { type: 'string', describe: 'the account (needed when a host has several)' })
      .option('revoke', {
        type: 'boolean',
        default: false,
        describe: 'also revoke the token on the server (asks for the account password once)',
      })
      .option('password-stdin', {
        type: 'boolean',
        default: false,
        describe: 'with --revoke: read the account password from standard input (for scripts)',
      })
      .option('timeout', timeoutOption('seconds to wait for each request to the server', 10))
      .example('$0 logout https://bitbucket.example.com --username alice', '')
      .example('$0 logout https://bitbucket.example.com --revoke', 'also deletes the token on the server') as never,
  handler: async (argv) => {
    ctx.exitCode = await logoutRun(argv, ctx.io);
  },
});
