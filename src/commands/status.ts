/**
 * `status [URL] [--json]`: per host and account, like `gh auth status`: who the token acts as,
 * its kind, permissions, expiry, where it is stored, whether the server accepts it now, and the
 * token masked, and a helper line of ours for its server that git cannot run (a Node or a front
 * that is gone, as doctor and check say). Exit 1 when any token is invalid, expired, a project
 * token, or unreachable, or such a helper line is found.
 */
import type { CommandModule } from 'yargs';
import { classifyToken, type TokenReport } from '../bitbucket/classifier.js';
import { maskToken } from '../bitbucket/token.js';
import { readSettings, type Refusal } from '../store/settings.js';
import { redactUrl } from '../git/config.js';
import { configListing } from '../git/repo.js';
import { resolveRemoteConfig } from '../prepush/remote-config.js';
import { parseConfigListing } from '../prepush/urlmatch.js';
import { holdsPassword, replacePasswordFix, STORED_PASSWORD } from '../credential/passwords.js';
import { expiryDaysFor } from '../credential/renewal.js';
import { byHost, daysLeft, expiryOf, hostKey, listAccounts, storesFor, type Account } from './shared/accounts.js';
import { describeExpiry, describeToken, fallbackNotice, refusalLines, refusalsFor } from './shared/describe.js';
import { EXIT } from './shared/errors.js';
import { paint, type CommandContext, type CommandIO } from './shared/io.js';
import { clientFor, entryBaseUrl, parseServer } from './shared/server.js';
import { brokenHelperPaths } from './shared/invocation.js';
import { CONCURRENT_CHECKS, mapBounded, waitingFor } from './shared/progress.js';
import { timeoutOption } from './shared/timeout.js';
import { visible } from '../visible.js';

export interface StatusOptions {
  url?: string;
  json: boolean;
  /** Warn within this many days; default `bitbucket.expiryDays` for the account's URL (7). */
  expiryDays?: number;
  /** Seconds for the whole command's requests to the server. */
  timeout: number;
}

/** Problems that make `status` exit 1; `expiring-soon` is only a warning. */
export type Problem =
  'invalid' | 'expired' | 'project-token' | 'kind-unknown' | 'unreachable' | 'no-secret' | 'password' | 'expiring-soon';
const FATAL: Problem[] = [
  'invalid',
  'expired',
  'project-token',
  'kind-unknown',
  'unreachable',
  'no-secret',
  'password',
];

export interface AccountStatus {
  account: Account;
  masked: string | null;
  report: TokenReport | null;
  problems: Problem[];
  expiresAt?: number;
}

export async function statusRun(opts: StatusOptions, io: CommandIO): Promise<number> {
  const { dir, stores } = storesFor(io);
  let accounts = await listAccounts(stores);
  const server = opts.url !== undefined ? parseServer(opts.url, { allowHttp: true }) : undefined;
  if (server) {
    accounts = accounts.filter(
      (a) => a.protocol === server.protocol && a.host.toLowerCase() === server.host.toLowerCase(),
    );
  }
  const refused = refusalsFor(readSettings(dir).refused, server);
  // every account at once (bounded), all within one time budget for the whole command
  const deadline = Date.now() + opts.timeout * 1000;
  const results = await waitingFor(
    io,
    `the server${accounts.length === 1 ? '' : 's'} to check ${accounts.length} token${accounts.length === 1 ? '' : 's'}`,
    mapBounded(accounts, CONCURRENT_CHECKS, (a) => checkAccount(a, io, opts, deadline)),
  );
  const fallback = readSettings(dir).fileFallback;
  const broken = brokenHelpers(results, io.env);
  // nothing stored for what was asked is not a pass: a script asking `status URL` wants a token
  const ok =
    results.length > 0 &&
    results.every((r) => !r.problems.some((p) => FATAL.includes(p))) &&
    refused.length === 0 &&
    broken.length === 0;
  if (opts.json)
    io.stdout(
      `${JSON.stringify({ ...toJson(results, fallback, stores.file.location, io.now(), ok), refused: refused.map(refusalJson), brokenHelper: broken }, null, 2)}\n`,
    );
  else printHuman(results, io, fallback, stores.file.location, opts.url, refused, broken);
  return ok ? EXIT.ok : EXIT.error;
}

/** A helper line of ours for a server shown that git cannot run, and the fix. */
interface BrokenHelper {
  baseUrl: string;
  problem: string;
  fix: string;
}

/**
 * The helper lines of ours that git would run for each server shown, from here (one config
 * listing), whose Node or front is gone: doctor's and check's sentences (brokenHelperPaths).
 */
function brokenHelpers(results: readonly AccountStatus[], env: NodeJS.ProcessEnv): BrokenHelper[] {
  const urls = [...new Set(results.map((r) => entryBaseUrl(r.account)))];
  if (urls.length === 0) return [];
  const entries = parseConfigListing(configListing('^credential\\.', { env }));
  return urls.flatMap((baseUrl) =>
    brokenHelperPaths(resolveRemoteConfig(entries, `${baseUrl}/`).helpers, baseUrl).map((problem) => ({
      baseUrl,
      problem,
      fix: `git credential-bitbucket setup ${baseUrl}`,
    })),
  );
}

async function checkAccount(
  account: Account,
  io: CommandIO,
  { expiryDays, timeout }: StatusOptions,
  deadline: number,
): Promise<AccountStatus> {
  const secrets = await account.store.read(account);
  const token =
    account.meta?.kind === 'project' || (!secrets?.password && secrets?.credential)
      ? secrets?.credential
      : secrets?.password;
  const problems: Problem[] = [];
  let expiresAt = expiryOf(account);
  // No token to ask the server about; an account password is never sent to be checked (a wrong
  // one counts towards the CAPTCHA lock).
  const unasked: Problem | undefined = !token ? 'no-secret' : holdsPassword(account, secrets) ? 'password' : undefined;
  if (!token || unasked)
    return {
      account,
      masked: null,
      report: null,
      problems: unasked ? [unasked] : [],
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  const client = await clientFor(entryBaseUrl(account), io, timeout * 1000, { allowHttp: account.meta?.allowHttp });
  const report = await classifyToken({
    client,
    credential: { scheme: 'bearer', secret: token },
    budgetMs: Math.max(0, deadline - Date.now()),
    allowBasic: true,
    ...(account.username ? { username: account.username } : {}),
  });
  if (report.status === 'valid') {
    if (report.kind === 'project') problems.push('project-token');
    if (report.kind === 'unknown') problems.push('kind-unknown');
    if (report.expiresAt !== undefined) expiresAt = report.expiresAt;
  } else if (report.status === 'unreachable' || report.status === 'not-bitbucket' || report.status === 'error') {
    problems.push('unreachable');
  } else {
    problems.push('invalid');
  }
  if (expiresAt !== undefined && expiresAt <= io.now()) problems.push('expired');
  else if (
    expiresAt !== undefined &&
    daysLeft(expiresAt, io.now()) < (expiryDays ?? expiryDaysFor(`${entryBaseUrl(account)}/`, io.env))
  )
    problems.push('expiring-soon');
  return { account, masked: maskToken(token), report, problems, ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

function printHuman(
  results: AccountStatus[],
  io: CommandIO,
  fallback: { reason: string } | undefined,
  fileLocation: string,
  url: string | undefined,
  refused: Refusal[],
  broken: readonly BrokenHelper[],
): void {
  const p = paint(io.stdoutIsTTY, io.env);
  for (const line of refusalLines(refused)) io.stdout(`${p.red('✗')} ${visible(line)}\n`);
  if (results.length === 0 && refused.length > 0) return;
  if (results.length === 0) {
    io.stdout(
      `No tokens stored${url ? ` for ${redactUrl(url)}` : ''}. Add one with: git credential-bitbucket login <URL>\n`,
    );
    return;
  }
  for (const [host, list] of byHost(results.map((r) => r.account))) {
    io.stdout(`${p.bold(visible(list[0]?.meta?.baseUrl ?? host))}\n`);
    const urls = new Set(list.map(entryBaseUrl));
    for (const b of broken.filter((x) => urls.has(x.baseUrl)))
      io.stdout(`  ${p.red('✗')} ${visible(b.problem)}; run: ${visible(b.fix)}\n`);
    for (const r of results.filter((x) => hostKey(x.account) === host)) {
      const a = r.account;
      const bad = r.problems.some((x) => FATAL.includes(x));
      const v = r.report?.status === 'valid' ? r.report : undefined;
      const who = v
        ? `${v.user.name}${v.user.displayName ? ` (${v.user.displayName}${v.user.email ? `, ${v.user.email}` : ''})` : ''}`
        : (a.username ?? '(no username)');
      io.stdout(
        `  ${bad ? p.red('✗') : r.problems.length ? p.yellow('!') : p.green('✓')} ${visible(who)}${a.isDefault ? p.dim(' — default') : ''}\n`,
      );
      io.stdout(`    token: ${visible(tokenLine(r, v))}\n`);
      io.stdout(`    expires: ${describeExpiry(r.expiresAt, io.now())}\n`);
      io.stdout(`    stored in: ${a.store.kind === 'keyring' ? 'OS keyring' : a.store.location}\n`);
      io.stdout(`    server: ${visible(serverLine(r))}\n`);
      for (const prob of r.problems)
        io.stdout(`    ${FATAL.includes(prob) ? p.red('✗') : p.yellow('!')} ${visible(problemText(prob, r))}\n`);
    }
  }
  if (fallback) io.stdout(`\n${p.yellow('!')} ${fallbackNotice(fallback.reason, fileLocation)}\n`);
}

function tokenLine(r: AccountStatus, v: Extract<TokenReport, { status: 'valid' }> | undefined): string {
  const a = r.account;
  if (r.problems.includes('password')) return 'none: an account password is stored';
  if (!r.masked) return 'missing from the store';
  return describeToken(
    r.masked,
    v?.kind ?? a.meta?.kind,
    v?.tokenName ?? a.meta?.tokenName,
    v?.permissions ?? a.meta?.permissions,
  );
}

function refusalJson(r: Refusal) {
  return {
    protocol: r.protocol,
    host: r.host,
    baseUrl: r.baseUrl ?? null,
    username: r.username ?? null,
    kind: r.kind ?? null,
    refusedAt: new Date(r.at).toISOString(),
  };
}

function serverLine(r: AccountStatus): string {
  if (!r.report)
    return `not asked (${r.problems.includes('password') ? 'a password is never sent to be checked' : 'no token in the store'})`;
  if (r.report.status === 'valid')
    return `accepts the token${r.report.server.version ? ` (Bitbucket ${r.report.server.version})` : ''}`;
  return `${r.report.status}: ${r.report.message}`;
}

function problemText(p: Problem, r: AccountStatus): string {
  switch (p) {
    case 'invalid':
      return 'the server rejects this token: log in again with a new one (git credential-bitbucket login)';
    case 'expired':
      return `the token has expired: replace it with: git credential-bitbucket rotate ${entryBaseUrl(r.account)}`;
    case 'project-token':
      return 'a project/repository token: pushes are recorded under a bot identity, not your account';
    case 'kind-unknown':
      return 'Bitbucket accepts the token but will not say whose it is: it may be a project/repository token';
    case 'unreachable':
      return `could not check the token with the server${r.report && r.report.status !== 'valid' ? ` (${r.report.message}${r.report.unchecked.length ? `; not checked: ${r.report.unchecked.join('; ')}` : ''})` : ''}`;
    case 'password':
      return `${STORED_PASSWORD}; ${replacePasswordFix(r.account)}`;
    case 'no-secret':
      return 'the secret is missing from the store: log in again';
    case 'expiring-soon':
      return `the token expires soon: renew it with: git credential-bitbucket rotate ${entryBaseUrl(r.account)}`;
  }
}

function toJson(
  results: AccountStatus[],
  fallback: { reason: string } | undefined,
  fileLocation: string,
  now: number,
  ok: boolean,
) {
  return {
    version: 1,
    ok,
    fileFallback: fallback ? { reason: fallback.reason, file: fileLocation } : null,
    accounts: results.map((r) => {
      const a = r.account;
      const v = r.report?.status === 'valid' ? r.report : undefined;
      return {
        protocol: a.protocol,
        host: a.host,
        baseUrl: entryBaseUrl(a),
        username: a.username ?? null,
        default: Boolean(a.isDefault),
        user: v
          ? {
              name: v.user.name,
              slug: v.user.slug,
              displayName: v.user.displayName ?? null,
              email: v.user.email ?? null,
            }
          : null,
        kind: v?.kind ?? a.meta?.kind ?? null,
        decidedBy: v?.decidedBy ?? null,
        tokenName: v?.tokenName ?? a.meta?.tokenName ?? null,
        permissions: v?.permissions ?? a.meta?.permissions ?? null,
        expiresAt: r.expiresAt === undefined ? null : new Date(r.expiresAt).toISOString(),
        daysLeft: r.expiresAt === undefined ? null : daysLeft(r.expiresAt, now),
        backend: a.store.kind,
        token: r.masked,
        server: r.report
          ? {
              status: r.report.status,
              accepted: r.report.status === 'valid',
              version: v?.server.version ?? null,
              message: v ? null : (r.report as { message: string }).message,
            }
          : null,
        problems: r.problems,
        ok: !r.problems.some((p) => FATAL.includes(p)),
      };
    }),
  };
}

export const statusCommand = (ctx: CommandContext): CommandModule<object, StatusOptions> => ({
  command: 'status [url]',
  describe:
    'show each stored token: who it acts as, kind, permissions, expiry, store, and whether the server accepts it',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'only this server' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output (shape in the README)' })
      .option('timeout', timeoutOption('seconds for all requests to the server together', 30))
      .option('expiry-days', {
        type: 'number',
        describe: 'warn when a token expires within this many days (default: git config bitbucket.expiryDays, else 7)',
      }) as never,
  handler: async (argv) => {
    ctx.exitCode = await statusRun(argv, ctx.io);
  },
});
