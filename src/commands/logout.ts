/** `logout [URL] [--username U] [--revoke]`: removes one stored token, and only that one. */
import type { CommandModule } from 'yargs';
import { sameKey } from '../store/types.js';
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
  if (opts.revoke)
    await revokeOnServer(target, { passwordStdin: opts.passwordStdin ?? false, timeout: opts.timeout ?? 10 }, io);
  const from = await removeToken(io, accounts, target);
  // If the default account went, the newest remaining one for the host becomes the default.
  const rest = accounts.filter((a) => hostKey(a) === hostKey(target) && !sameKey(a, target));
  if (target.isDefault && rest.length > 0 && !rest.some((a) => a.isDefault)) {
    const next = [...rest].sort((a, b) => b.storedAt - a.storedAt)[0]!;
    await next.store.updateEntries((es) => es.map((e) => (sameKey(e, next) ? { ...e, isDefault: true } : e)));
  }
  io.stderr(
    `Removed the token for ${target.username ?? '(no username)'} on ${target.meta?.baseUrl ?? hostKey(target)} from ${(from.length > 0 ? from : [target.store]).map((s) => (s.kind === 'keyring' ? 'the OS keyring' : s.location)).join(' and ')}\n`,
  );
  if (!opts.revoke) io.stderr(`${stillWorksNotice(target)}\n`);
  return EXIT.ok;
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
