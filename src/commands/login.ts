/**
 * `login [URL]`: read a token (hidden prompt or --token-stdin), learn from the server whose it is
 * and what it may do, and store it so that git's host-level request for that server gets it.
 */
import type { CommandModule } from 'yargs';
import { classifyToken, type ValidTokenReport } from '../bitbucket/classifier.js';
import { maskToken } from '../bitbucket/token.js';
import { tokenPageUrl } from '../bitbucket/links.js';
import type { BitbucketLocation } from '../bitbucket/url.js';
import { configuredBackend, selectBackend } from '../store/select.js';
import { clearRefusal, recordFileFallback } from '../store/settings.js';
import type { Secrets, StoredEntry, TokenMeta } from '../store/types.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { replaceToken, type Expected } from './shared/cache.js';
import { bearerAdvice, gitWithoutBearer } from './shared/bearer.js';
import { CommandError, EXIT } from './shared/errors.js';
import { describeExpiry, describeToken, fallbackNotice, PROJECT_TOKEN_EXPLANATION } from './shared/describe.js';
import { WRITE_PERMISSIONS } from '../bitbucket/model.js';
import { paint, type CommandContext, type CommandIO } from './shared/io.js';
import { cleanToken, promptHidden, promptLine, readAllStdin } from './shared/prompt.js';
import { clientFor, gitUsesUs, parseServer } from './shared/server.js';
import { recogniseServer, type RecognisedServer } from './shared/recognise.js';
import { waitingFor } from './shared/progress.js';
import { timeoutOption } from './shared/timeout.js';
import { checkCreateFlags, createForLogin } from './lifecycle/login-create.js';
import { revokeCreated, type Created } from './lifecycle/create.js';
import type { PasswordSession } from './lifecycle/password.js';
import type { CreatedWatch } from './lifecycle/interrupt.js';
import { visible } from '../visible.js';
import { configGetSync } from '../git/repo.js';

export interface LoginOptions {
  url?: string;
  username?: string;
  tokenStdin: boolean;
  /** Create the token with the account password (`--create`). */
  create?: boolean;
  permissions?: string;
  expiryDays?: number;
  passwordStdin?: boolean;
  /** A token obtained already (rotate): stored and described like any other. */
  token?: string;
  /** rotate: store only while this entry holds the token rotate read (else Superseded). */
  replaces?: Expected;
  /** rotate: the signals' watch over its new token, taken over right before the write. */
  watch?: CreatedWatch;
  allowProjectToken: boolean;
  allowHttp: boolean;
  /** Seconds for the whole command's requests to the server (time at a prompt not counted). */
  timeout: number;
}

export async function loginRun(opts: LoginOptions, io: CommandIO): Promise<number> {
  checkCreateFlags(opts);
  const named = parseServer(
    opts.url ?? (await promptLine(io, 'Bitbucket Server URL (e.g. https://bitbucket.example.com): ')),
    { allowHttp: opts.allowHttp },
  );
  // A token given on stdin is checked first (a usage error sends nothing); server first for the
  // rest: a wrong URL, CA or scheme is reported before anyone types a token.
  const piped =
    opts.tokenStdin && opts.token === undefined && !opts.create ? cleanToken(await readAllStdin(io)) : undefined;
  const budgetMs = opts.timeout * 1000;
  const probeStarted = Date.now();
  const found = await waitingFor(
    io,
    `${named.baseUrl} to answer`,
    recogniseServer(named, io, budgetMs, opts.allowHttp),
  );
  const server = found.redirectedFrom ? movedTo(named, found.baseUrl, io) : named;
  // the whole command's time budget: the probe's share is spent, a prompt's wait is not counted
  const left = Math.max(0, budgetMs - (Date.now() - probeStarted));
  const given = opts.token ?? piped;
  if (given !== undefined || !opts.create) {
    const token = cleanToken(given ?? (await readToken(server, found, opts, io)));
    return keep({ server, found, token, budgetMs, left }, opts, io);
  }
  const got = await createForLogin(server, { ...opts, passwordStdin: opts.passwordStdin ?? false }, io);
  const made = got.made;
  if (!made) return keep({ server, found, token: cleanToken(got.raw), budgetMs, left }, opts, io);
  try {
    return await keep({ server, found, token: cleanToken(got.raw), budgetMs, left, watch: made.watch }, opts, io);
  } catch (err) {
    if (!made.watch.take()) return made.watch.parked();
    // nobody but this process knows the new token: revoke it rather than leave it working unseen
    const e = await withdrawn(err, made.session, made.created, server.baseUrl);
    made.watch.release(e.message);
    throw e;
  }
}

/**
 * The server at the base URL a redirect on the host given led to (recognise.ts), with the
 * repository and user the URL named; said, since the token goes there.
 */
function movedTo(named: BitbucketLocation, baseUrl: string, io: CommandIO): BitbucketLocation {
  const p = paint(io.stderrIsTTY, io.env);
  io.stderr(`${p.yellow('!')} ${named.baseUrl} redirects to ${baseUrl}, the same host: using ${baseUrl}\n`);
  const at = parseServer(baseUrl, { allowHttp: true });
  return { ...named, protocol: at.protocol, host: at.host, contextPath: at.contextPath, baseUrl: at.baseUrl };
}

/**
 * The failure after `--create` made a token, once the token is revoked; or, where revoking fails
 * too, naming it (id, name, token page) instead of saying that nothing is left behind.
 */
async function withdrawn(
  err: unknown,
  session: PasswordSession,
  created: Created,
  baseUrl: string,
): Promise<CommandError> {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  const why = message.replace(/; nothing was stored$/, '');
  const code = err instanceof CommandError ? err.exitCode : EXIT.error;
  const left = await revokeCreated(session, created, baseUrl);
  return new CommandError(
    left ? `${why}; nothing was stored. ${left}` : `${why}; nothing was stored, and the new token was revoked`,
    code,
  );
}

/** What login learnt before it had the token, and the token. */
interface Obtained {
  server: BitbucketLocation;
  found: RecognisedServer;
  token: string;
  /** The whole command's time budget, and what is left of it. */
  budgetMs: number;
  left: number;
  /** login --create: the signals' watch over the new token, released once it is stored. */
  watch?: CreatedWatch;
}

/** Checks the token with the server and stores it; throws CommandError when it cannot be kept. */
async function keep(got: Obtained, opts: LoginOptions, io: CommandIO): Promise<number> {
  const { server, found, token, budgetMs, left } = got;
  const p = paint(io.stderrIsTTY, io.env);
  const client = await clientFor(server.baseUrl, io, budgetMs, { allowHttp: opts.allowHttp });
  const username = opts.username ?? server.username;
  // One round identifies the token and checks it on the repository (docs/classifier.md): the names
  // stored for this host are asked for in that round too, so a known account needs no second one.
  const stored = (await listAccounts(storesFor(io).stores).catch(() => []))
    .filter((a) => a.protocol === server.protocol && a.host.toLowerCase() === server.host.toLowerCase())
    .flatMap((a) => (a.username ? [a.username] : []));
  // a first login with no name: the user's own names are likely ones, asked for in the same round
  const hints = username
    ? stored
    : [...stored, ...identityHints(configGetSync('user.email', {}, { env: io.env }), io.env)];
  const report = await waitingFor(
    io,
    `${server.baseUrl} to check the token`,
    classifyToken({
      client,
      credential: { scheme: 'bearer', secret: token },
      budgetMs: left,
      allowBasic: true,
      server: { version: found.version },
      nameHints: hints,
      ...(username ? { username } : {}),
      ...repository(server),
    }),
  );
  if (report.status !== 'valid') {
    const code = report.status === 'invalid' || report.status === 'captcha' ? EXIT.auth : EXIT.error;
    const unchecked = report.unchecked.length ? ` (not checked: ${report.unchecked.join('; ')})` : '';
    throw new CommandError(`${server.baseUrl}: ${report.message}${unchecked}; nothing was stored`, code);
  }
  if (report.usernameMismatch) {
    throw new CommandError(
      `the token belongs to '${report.usernameMismatch.actual}', not '${report.usernameMismatch.expected}'; nothing was stored`,
      EXIT.auth,
    );
  }
  if (report.kind === 'unknown' && !opts.allowProjectToken) {
    throw new CommandError(
      `Bitbucket accepts this token but will not say whose it is, so it may be a project or repository access token. ${PROJECT_TOKEN_EXPLANATION} Pass --allow-project-token to store it anyway (sent as Bearer); nothing was stored`,
      EXIT.auth,
    );
  }
  if (report.kind === 'project' && !opts.allowProjectToken) {
    throw new CommandError(
      `this is a project or repository access token (acting as '${report.user.name}'), not a personal one. ${PROJECT_TOKEN_EXPLANATION} Create a personal token at ${tokenPageUrl(server.baseUrl)}, or pass --allow-project-token to store it anyway; nothing was stored`,
      EXIT.auth,
    );
  }
  const writable = canPush(report);

  const { dir, stores } = storesFor(io);
  const selection = await selectBackend(stores, await configuredBackend(io.env));
  if (selection.configured.choice === 'auto') await recordFileFallback(dir, selection.fallbackReason, io.now());
  const { entry, secrets } = toEntry(server, report, token, io.now());
  if (opts.allowHttp && server.protocol === 'http') entry.meta = { ...entry.meta, allowHttp: true };
  const watch = got.watch ?? opts.watch;
  if (watch && !watch.take()) return watch.parked();
  await replaceToken(io, stores, selection.store, entry, secrets, opts.replaces);
  await clearRefusal(dir, entry);
  await makeDefault(stores, entry);
  got.watch?.release('the new token is stored');

  io.stderr(
    `${p.green('✓')} Logged in to ${server.baseUrl} as ${p.bold(visible(report.user.name))}${report.user.displayName ? ` (${visible(report.user.displayName)})` : ''}\n`,
  );
  io.stderr(
    `  token: ${visible(describeToken(maskToken(token), report.kind, report.tokenName, report.permissions))}\n`,
  );
  io.stderr(`  expiry: ${describeExpiry(report.expiresAt, io.now())}\n`);
  io.stderr(`  stored in: ${selection.store.location}\n`);
  if (selection.fallbackReason)
    io.stderr(`${p.yellow('!')} ${fallbackNotice(selection.fallbackReason, selection.store.location)}\n`);
  if (report.kind !== 'personal') {
    const old = gitWithoutBearer({ env: io.env });
    io.stderr(
      old
        ? `${p.red('✗')} Stored as a Bearer credential, but ${bearerAdvice(old, server.baseUrl)}. ${PROJECT_TOKEN_EXPLANATION}\n`
        : `${p.yellow('!')} Stored as a Bearer credential: project and repository tokens do not work with a username; this git sends it through this helper. ${PROJECT_TOKEN_EXPLANATION}\n`,
    );
  }
  for (const what of report.unchecked) io.stderr(`${p.yellow('!')} Not checked: ${what}\n`);
  // a 404 says nothing about the token (docs/bitbucket-server.md section 7): the URL is wrong
  if (report.repository?.missing)
    io.stderr(
      `${p.yellow('!')} ${report.repository.missing} (check the remote URL); write permission was not checked\n`,
    );
  if (writable === false) {
    io.stderr(
      `${p.yellow('!')} This token cannot push: it lacks repository write permission (REPO_WRITE)${server.repoSlug && !report.repository?.missing ? ` on ${server.projectKey}/${server.repoSlug}` : ''}. Pushes will be refused; create a token with write permission at ${tokenPageUrl(server.baseUrl, report.user.slug)}\n`,
    );
  }
  await offerSetup(server.baseUrl, opts, io);
  return EXIT.ok;
}

/**
 * A token git never asks for is no use: when git is not set up for the server, offer to run
 * `setup` on a terminal, else print the command.
 */
async function offerSetup(baseUrl: string, opts: LoginOptions, io: CommandIO): Promise<void> {
  if (gitUsesUs(baseUrl, io.env)) return;
  const p = paint(io.stderrIsTTY, io.env);
  const command = `git credential-bitbucket setup ${baseUrl}`;
  if (opts.tokenStdin || opts.token !== undefined || !io.stdinIsTTY) {
    io.stderr(`${p.yellow('!')} git is not set up to use this token for ${baseUrl} yet; run: ${command}\n`);
    return;
  }
  const answer = await promptLine(
    io,
    `git is not set up to use this token for ${baseUrl}. Run '${command}' now? [Y/n] `,
  );
  if (/^(|y|yes)$/i.test(answer)) {
    const { setupRun } = await import('./setup.js');
    await setupRun({ url: baseUrl }, io);
  } else io.stderr(`Not set up; git will prompt until you run: ${command}\n`);
}

async function readToken(
  server: BitbucketLocation,
  found: RecognisedServer,
  opts: LoginOptions,
  io: CommandIO,
): Promise<string> {
  if (opts.tokenStdin) return readAllStdin(io);
  io.stderr(
    `Bitbucket ${visible(found.version)} at ${found.baseUrl}.\nCreate a personal access token with repository write permission at:\n  ${tokenPageUrl(server.baseUrl, opts.username ?? server.username)}\n`,
  );
  return promptHidden(io, 'Paste the token (input is hidden): ');
}

/**
 * Names a token may belong to when nothing names its user yet, so that the first round asks for
 * that user's record and the token's entry (docs/classifier.md, "Rounds"): the local part of git's
 * `user.email`, the login name of the person at the machine, then the whole address. Bitbucket
 * names from a company directory are often one of them. Only guesses, asked for with the token as
 * Bearer: the server decides whose token it is.
 */
export function identityHints(email: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const address = email?.trim();
  const local = address?.includes('@') ? address.slice(0, address.lastIndexOf('@')) : undefined;
  const login = env.USER ?? env.LOGNAME ?? env.USERNAME;
  const names = [local, login === 'root' ? undefined : login, address];
  return names.filter(
    (n): n is string => n !== undefined && /^[^\s\0-\x1f\x7f/\\]{1,128}$/.test(n) && !/^\.+$/.test(n),
  );
}

function repository(server: BitbucketLocation): { repository?: { projectKey: string; repoSlug?: string } } {
  if (!server.projectKey) return {};
  return { repository: { projectKey: server.projectKey, ...(server.repoSlug ? { repoSlug: server.repoSlug } : {}) } };
}

/**
 * Write permission: on the repository when the URL names one that exists, else from the token's
 * own permissions.
 */
function canPush(report: ValidTokenReport): boolean | undefined {
  if (report.repository && report.repository.missing === undefined) return report.repository.writable;
  if (report.permissions) return report.permissions.some((perm) => WRITE_PERMISSIONS.includes(perm));
  return undefined;
}

function toEntry(
  server: BitbucketLocation,
  r: ValidTokenReport,
  token: string,
  now: number,
): { entry: StoredEntry; secrets: Secrets } {
  const meta: TokenMeta = {
    baseUrl: server.baseUrl,
    userSlug: r.user.slug,
    ...(r.kind !== 'unknown' ? { kind: r.kind } : {}),
    authScheme: r.authScheme,
    verifiedAt: now,
  };
  if (r.user.displayName) meta.displayName = r.user.displayName;
  if (r.user.email) meta.email = r.user.email;
  if (r.tokenId) meta.tokenId = r.tokenId;
  if (r.tokenName) meta.tokenName = r.tokenName;
  if (r.permissions) meta.permissions = r.permissions;
  if (r.expiresAt !== undefined) meta.expiresAt = r.expiresAt;
  // Personal tokens go out as Basic username + token; project tokens only work as Bearer, which
  // git sends from `authtype`/`credential` (git 2.46+, capability authtype).
  const personal = r.kind === 'personal';
  const entry: StoredEntry = {
    protocol: server.protocol,
    host: server.host,
    username: r.user.name,
    hasPassword: personal,
    hasCredential: !personal,
    storedAt: now,
    isDefault: true,
    meta,
    ...(personal ? {} : { authtype: 'Bearer' }),
  };
  return { entry, secrets: personal ? { password: token } : { credential: token } };
}

/** The newest login is the host's default account (the one git gets when it names no user). */
async function makeDefault(stores: ReturnType<typeof storesFor>['stores'], entry: StoredEntry): Promise<void> {
  for (const store of [stores.keyring, stores.file]) {
    const entries = await store.list();
    if (
      !entries.some(
        (e) => e.protocol === entry.protocol && e.host === entry.host && e.username !== entry.username && e.isDefault,
      )
    )
      continue;
    await store.updateEntries((es) =>
      es.map((e) =>
        e.protocol === entry.protocol && e.host === entry.host && e.username !== entry.username
          ? { ...e, isDefault: false }
          : e,
      ),
    );
  }
}

export const loginCommand = (ctx: CommandContext): CommandModule<object, LoginOptions> => ({
  command: 'login [url]',
  describe: 'store a personal access token for a Bitbucket server, after checking it with the server',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'server, clone or browse URL (asked for when missing)' })
      .option('username', { type: 'string', describe: 'the account the token belongs to (checked against the server)' })
      .option('token-stdin', {
        type: 'boolean',
        default: false,
        describe: 'read the token from standard input (for scripts)',
      })
      .option('allow-project-token', {
        type: 'boolean',
        default: false,
        describe: 'store a project/repository token even though it acts as a bot identity',
      })
      .option('create', {
        type: 'boolean',
        default: false,
        describe: 'create a new token on the server with your account password (asked once, never stored)',
      })
      .option('permissions', {
        type: 'string',
        describe: 'with --create: the token permissions (default PROJECT_READ,REPO_WRITE)',
      })
      .option('expiry-days', {
        type: 'number',
        describe: "with --create: days until the token expires (default 90, or the server's maximum)",
      })
      .option('password-stdin', {
        type: 'boolean',
        default: false,
        describe: 'with --create: read the account password from standard input (for scripts)',
      })
      .option(
        'timeout',
        timeoutOption('seconds for all requests to the server together (time at a prompt not counted)', 30),
      )
      .option('allow-http', {
        type: 'boolean',
        default: false,
        describe: 'allow plain http:// to a non-loopback host (sends the token unencrypted)',
      })
      .example('$0 login https://bitbucket.example.com', 'asks for the token with hidden input')
      .example('echo "$TOKEN" | $0 login https://bitbucket.example.com --token-stdin', 'for scripts')
      .example('$0 login https://bitbucket.example.com --create', 'creates a least-privilege token for you') as never,
  handler: async (argv) => {
    ctx.exitCode = await loginRun(argv, ctx.io);
  },
});
