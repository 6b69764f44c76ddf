/**
 * `check [REMOTE] [--json]`: the pre-push checks on demand, for the current branch and the
 * remote it pushes to. Also the way to learn why a push just failed: a token without
 * REPO_WRITE makes Bitbucket refuse the push (HTTP 403, before the hook can run when the
 * server refuses the receive-pack advertisement), and `check` names the missing permission.
 * Always asks the server (the cache is refreshed, not trusted). Exit 1 when a check would block,
 * and when the server says the repository does not exist.
 */
import type { CommandModule } from 'yargs';
import { parseBitbucketUrl } from '../bitbucket/url.js';
import { redactUrl, withoutPassword } from '../git/config.js';
import { GitNotFoundError, gitAsync } from '../git/async.js';
import type { GitRun } from '../git/repo.js';
import type { TokenStore } from '../store/types.js';
import { currentBranchTarget, remotePushUrl, resolveRef, type BranchTarget } from '../git/repository.js';
import { storeSkipper } from '../credential/helper.js';
import { holdsPassword, replacePasswordFix, STORED_PASSWORD } from '../credential/passwords.js';
import { gatherFacts } from '../prepush/gather.js';
import { renderSummary, renderVerdict } from '../prepush/render.js';
import type { PushUpdate } from '../prepush/stdin.js';
import { decide } from '../prepush/verdict.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { bearerAdvice, gitWithoutBearer } from './shared/bearer.js';
import { brokenHelperPaths } from './shared/invocation.js';
import { EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { namedTimeout, timeoutOption } from './shared/timeout.js';
import { visible } from '../visible.js';

export interface CheckOptions {
  remote?: string;
  json: boolean;
  cwd?: string;
  /** Seconds for the whole check's requests (default: `bitbucket.timeout`, as the push would have). */
  timeout?: number;
}

export async function checkRun(o: CheckOptions, io: CommandIO): Promise<number> {
  const run: GitRun = { env: io.env, ...(o.cwd ? { cwd: o.cwd } : {}) };
  const target = await currentBranchTarget(o.cwd, io.env);
  const named = o.remote ?? target.remote ?? 'origin';
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(named) ? named : await remotePushUrl(named, o.cwd, io.env);
  if (!url)
    return say(
      io,
      o,
      EXIT.error,
      (await outsideRepository(run)) ?? `no remote named '${redactUrl(named)}' (name one: check REMOTE)`,
    );
  // a URL named here is shown without its password, as the hook shows it (src/prepush/run.ts)
  const remote = withoutPassword(named);
  const loc = parseBitbucketUrl(url);
  if (!loc) return say(io, o, EXIT.ok, `${redactUrl(url)} is not a Bitbucket HTTP(S) remote; nothing to check`);
  if (loc.kind === 'ssh')
    return say(io, o, EXIT.ok, `${remote} is an SSH remote; the guard checks HTTP(S) tokens only, nothing to check`);
  // a store that fails (a corrupt credentials.json) while another answers is named once, as by get
  const skipper = storeSkipper('check', io.stderr);
  const g = await gatherFacts({
    remote,
    url,
    loc,
    updates: await updatesFor(remote, target, o.cwd, io.env),
    env: io.env,
    run,
    now: io.now(),
    force: true,
    readCache: false,
    skipped: skipper.skip,
    ...(o.timeout !== undefined ? { timeout: { ms: o.timeout * 1000, named: namedTimeout(o.timeout) } } : {}),
  });
  if (g.skip) return say(io, o, EXIT.ok, `the guard is turned off for ${loc.baseUrl} (bitbucket.enabled=false)`);
  const verdict = decide(g.facts, g.policy);
  // a password git would send is reported once, by the verdict (docs/classifier.md)
  const sent = g.facts.server?.status === 'password' ? g.facts.server.username : undefined;
  const passwords = await storedPasswords(loc.baseUrl, io, skipper.skip);
  // a Bearer credential from a helper that this git cannot send: never "allowed", a push would fail
  const c = g.facts.credential;
  const oldGit =
    c.found && c.scheme === 'bearer' && c.source !== 'http.extraHeader' ? gitWithoutBearer(run) : undefined;
  const unusable = oldGit ? bearerAdvice(oldGit, loc.baseUrl) : undefined;
  // a repository the server says does not exist: a push there fails, though the guard leaves
  // saying so to git (src/prepush/verdict.ts)
  const missing = g.facts.server?.status === 'ok' && g.facts.server.facts.repositoryMissing !== undefined;
  // what the credential lines above read in-process, git reads through the helper line
  const brokenHelper = brokenHelperPaths(g.helpers, loc.baseUrl);
  const exitCode =
    unusable || missing || brokenHelper.length > 0 ? Math.max(verdict.exitCode, EXIT.error) : verdict.exitCode;
  if (o.json) {
    io.stdout(
      `${JSON.stringify({ ...g.facts, policy: g.policy, problems: g.problems, findings: verdict.findings, storedPasswords: passwords.map((p) => p.username), ...(unusable ? { unusable } : {}), ...(brokenHelper.length ? { brokenHelper } : {}), exitCode }, null, 2)}\n`,
    );
  } else {
    for (const p of passwords.filter((x) => x.username !== sent))
      io.stdout(`! ${p.username}: ${STORED_PASSWORD}; ${p.fix}\n`);
    const summary = renderSummary(g.facts);
    io.stdout(unusable ? summary.replace(/^( {2}push: {5}).*$/m, '$1not with this git (see below)') : summary);
    if (unusable) io.stdout(`✗ ${unusable}\n`);
    for (const b of brokenHelper) io.stdout(`✗ ${visible(b)}; run: git credential-bitbucket setup ${loc.baseUrl}\n`);
    const text = renderVerdict(verdict, g.facts, g.problems);
    io.stdout(
      text === ''
        ? brokenHelper.length > 0
          ? ''
          : 'No problems found.\n'
        : text.split('\n').slice(1).join('\n').replace('Push blocked.', 'A push would be blocked.'),
    );
  }
  return exitCode;
}

/**
 * Why git sees no repository here, in one line; undefined inside one. Asked only once a remote
 * name found no URL: `check URL` needs no repository. git speaks English here (LC_ALL=C), as its
 * message is read.
 */
async function outsideRepository(run: GitRun): Promise<string | undefined> {
  const r = await gitAsync(['rev-parse', '--git-dir'], { ...run, env: { ...run.env, LC_ALL: 'C' } });
  if (r.notFound) return new GitNotFoundError().message;
  if (r.status === 0) return undefined;
  const said =
    r.stderr
      .trim()
      .split('\n')[0]
      ?.replace(/^fatal: /, '') ?? '';
  return /not a git repository/i.test(said)
    ? 'not in a git repository (run check inside one, or name a URL: check URL)'
    : `git cannot read the repository here: ${said || `exit code ${r.status}`}`;
}

/** Entries for the server's host that hold an account password rather than a token (as `status` says). */
async function storedPasswords(
  baseUrl: string,
  io: CommandIO,
  skipped: (store: TokenStore, err: unknown) => void,
): Promise<Array<{ username: string; fix: string }>> {
  const { protocol, host } = new URL(baseUrl);
  const found: Array<{ username: string; fix: string }> = [];
  for (const a of await listAccounts(storesFor(io).stores, skipped)) {
    if (`${a.protocol}:` !== protocol || a.host !== host) continue;
    if (holdsPassword(a, await a.store.read(a)))
      found.push({ username: a.username ?? '(no username)', fix: replacePasswordFix(a, baseUrl) });
  }
  return found;
}

/** What a plain `git push` of the current branch would send. */
async function updatesFor(
  remote: string,
  t: BranchTarget,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<PushUpdate[]> {
  if (!t.head || !t.branch) return [];
  const remoteBranch = (t.remoteRef ?? `refs/heads/${t.branch}`).replace(/^refs\/heads\//, '');
  const remoteOid = await resolveRef(`refs/remotes/${remote}/${remoteBranch}`, cwd, env);
  return [
    {
      localRef: `refs/heads/${t.branch}`,
      localOid: t.head,
      remoteRef: t.remoteRef ?? `refs/heads/${t.branch}`,
      isDelete: false,
      ...(remoteOid ? { remoteOid } : {}),
    },
  ];
}

function say(io: CommandIO, o: CheckOptions, code: number, message: string): number {
  if (o.json) io.stdout(`${JSON.stringify({ message, exitCode: code })}\n`);
  else
    (code === EXIT.ok ? io.stdout : io.stderr)(`${code === EXIT.ok ? '' : 'git-credential-bitbucket: '}${message}\n`);
  return code;
}

export function checkCommand(
  ctx: CommandContext,
): CommandModule<object, { remote?: string; json: boolean; timeout?: number }> {
  return {
    command: 'check [remote]',
    describe: 'run the pre-push checks now for the current branch (also explains a failed push)',
    builder: (y) =>
      y
        .positional('remote', {
          type: 'string',
          describe: "remote name or URL (default: the branch's remote, else origin)",
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the facts and findings as JSON' })
        .option(
          'timeout',
          timeoutOption('seconds for all requests to the server together (default: bitbucket.timeout, as a push)'),
        ) as never,
    handler: async (a) => {
      ctx.exitCode = await checkRun(
        {
          ...(a.remote !== undefined ? { remote: a.remote } : {}),
          json: a.json,
          ...(a.timeout !== undefined ? { timeout: a.timeout } : {}),
        },
        ctx.io,
      );
    },
  };
}
