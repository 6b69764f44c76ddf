/**
 * `check [REMOTE] [--json]`: the pre-push checks on demand, for the current branch and the
 * remote it pushes to, at each URL git pushes to (a URL named here rewritten as git push
 * rewrites it). Also the way to learn why a push just failed: a token without
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
import {
  currentBranchTarget,
  pushTargets,
  resolveRef,
  type BranchTarget,
  type PushTargets,
} from '../git/repository.js';
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
import { timeoutOption } from './shared/timeout.js';
import { visible } from '../visible.js';

export interface CheckOptions {
  remote?: string;
  json: boolean;
  cwd?: string;
  /** Seconds for the check's requests at each push URL (default: `bitbucket.timeout`, as the push would have). */
  timeout?: number;
}

export async function checkRun(o: CheckOptions, io: CommandIO): Promise<number> {
  const run: GitRun = { env: io.env, ...(o.cwd ? { cwd: o.cwd } : {}) };
  const target = await currentBranchTarget(o.cwd, io.env);
  const chosen = o.remote ?? target.pushRemote?.name;
  const found = pushTargets(chosen, run);
  // no remote chosen: git pushes to the only one, else to origin (remote.c remotes_remote_for_branch)
  const named = chosen ?? (found?.remotes.size === 1 ? [...found.remotes.keys()][0]! : 'origin');
  const urls = found && pushUrlsOf(named, found);
  if (!urls) {
    const from = o.remote === undefined && target.pushRemote ? `${target.pushRemote.from} names it; ` : '';
    return say(
      io,
      o,
      EXIT.error,
      (await outsideRepository(run)) ?? `no remote named '${redactUrl(named)}' (${from}name one: check REMOTE)`,
    );
  }
  // a URL named here is shown without its password, as the hook shows it (src/prepush/run.ts)
  const remote = withoutPassword(named);
  // a store that fails (a corrupt credentials.json) while another answers is named once, as by get
  const skipper = storeSkipper('check', io.stderr);
  const updates = await updatesFor(named, target, found.remotes, o.cwd, io.env);
  // git pushes to each URL in turn and runs the guard for each: so are they checked, each as alone
  const checked: UrlCheck[] = [];
  for (const url of urls)
    checked.push(await checkUrl(o, io, { remote, url, updates, detached: !target.branch, run, skipped: skipper.skip }));
  const worst = checked.reduce((a, b) => (b.exitCode > a.exitCode ? b : a));
  if (checked.length === 1) {
    io.stdout(o.json ? worst.json : worst.text);
    return worst.exitCode;
  }
  if (o.json) {
    const each = checked.map((c, i) => ({ url: withoutPassword(urls[i]!), ...c.report }));
    io.stdout(`${JSON.stringify({ ...worst.report, pushUrls: each }, null, 2)}\n`);
  } else {
    io.stdout(`${visible(remote)} pushes to ${urls.length} URLs; each is checked, as git pushes to each:\n\n`);
    io.stdout(checked.map((c) => c.text).join('\n'));
  }
  return worst.exitCode;
}

/**
 * The URLs `git push <named>` pushes to: a remote's push URLs, else the name as a URL (rewritten
 * as git rewrites it), when it is one or a rule rewrote it; undefined when it names nothing.
 */
function pushUrlsOf(named: string, found: PushTargets): string[] | undefined {
  const own = found.remotes.get(named)?.push ?? [];
  if (own.length > 0) return own;
  const u = found.asUrl;
  return u !== undefined && (u !== named || SCHEME.test(named)) ? [u] : undefined;
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** One push URL checked: its exit code, its report as text and as JSON (`report`, and `json` as printed alone). */
interface UrlCheck {
  exitCode: number;
  text: string;
  json: string;
  report: Record<string, unknown>;
}

async function checkUrl(
  o: CheckOptions,
  io: CommandIO,
  p: {
    remote: string;
    url: string;
    updates: PushUpdate[];
    /** HEAD is on no branch. */
    detached: boolean;
    run: GitRun;
    skipped: (store: TokenStore, err: unknown) => void;
  },
): Promise<UrlCheck> {
  const { remote, url, run } = p;
  const loc = parseBitbucketUrl(url);
  if (!loc) return note(`${redactUrl(url)} is not a Bitbucket HTTP(S) remote; nothing to check`);
  // the remote's name, and its URL when that says more (one of several, or a URL rewritten)
  const shown = withoutPassword(url) === remote ? remote : `${remote} (${withoutPassword(url)})`;
  if (loc.kind === 'ssh')
    return note(`${shown} is an SSH remote; the guard checks HTTP(S) tokens only, nothing to check`);
  const g = await gatherFacts({
    remote,
    url,
    loc,
    updates: p.updates,
    env: io.env,
    run,
    now: io.now(),
    force: true,
    readCache: false,
    skipped: p.skipped,
    ...(o.timeout !== undefined ? { timeoutMs: o.timeout * 1000 } : {}),
  });
  if (g.skip) return note(`the guard is turned off for ${loc.baseUrl} (bitbucket.enabled=false)`);
  const verdict = decide(g.facts, g.policy);
  // a password git would send is reported once, by the verdict (docs/classifier.md)
  const sent = g.facts.server?.status === 'password' ? g.facts.server.username : undefined;
  const passwords = await storedPasswords(loc.baseUrl, io, p.skipped);
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
  const report = {
    ...g.facts,
    policy: g.policy,
    problems: g.problems,
    findings: verdict.findings,
    storedPasswords: passwords.map((x) => x.username),
    ...(unusable ? { unusable } : {}),
    ...(brokenHelper.length ? { brokenHelper } : {}),
    exitCode,
  };
  const out: string[] = [];
  for (const x of passwords.filter((y) => y.username !== sent))
    out.push(`! ${x.username}: ${STORED_PASSWORD}; ${x.fix}\n`);
  const summary = p.detached ? detachedSummary(renderSummary(g.facts), remote) : renderSummary(g.facts);
  out.push(unusable ? summary.replace(/^( {2}push: {5}).*$/m, '$1not with this git (see below)') : summary);
  if (unusable) out.push(`✗ ${unusable}\n`);
  for (const b of brokenHelper) out.push(`✗ ${visible(b)}; run: git credential-bitbucket setup ${loc.baseUrl}\n`);
  const text = renderVerdict(verdict, g.facts, g.problems);
  out.push(
    text === ''
      ? brokenHelper.length > 0
        ? ''
        : 'No problems found.\n'
      : text.split('\n').slice(1).join('\n').replace('Push blocked.', 'A push would be blocked.'),
  );
  return { exitCode, text: out.join(''), json: `${JSON.stringify(report, null, 2)}\n`, report };
}

/** A URL with nothing to check: one line, exit 0 (as {@link say} prints it). */
function note(message: string): UrlCheck {
  const report = { message, exitCode: EXIT.ok };
  return { exitCode: EXIT.ok, text: `${message}\n`, json: `${JSON.stringify(report)}\n`, report };
}

/**
 * With HEAD on no branch a plain `git push` pushes nothing (git refuses it): the summary says so
 * where it counts the commits, rather than "0 not yet on the remote".
 */
function detachedSummary(summary: string, remote: string): string {
  const line = `  commits:  none checked: HEAD is not on a branch, so a plain git push pushes nothing (name what to push: git push ${visible(remote)} HEAD:<branch>)\n`;
  return /^ {2}commits: .*\n/m.test(summary) ? summary.replace(/^ {2}commits: .*\n/m, line) : summary + line;
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

/**
 * What a plain `git push` of the current branch to `remote` sends: the branch to the one it
 * merges on the remote it fetches from (push.default `simple` and `upstream`), else, to another
 * remote, to the same name (`simple` in a triangular workflow: builtin/push.c
 * `is_workflow_triangular`). Nothing with HEAD on no branch.
 */
async function updatesFor(
  remote: string,
  t: BranchTarget,
  remotes: ReadonlyMap<string, unknown>,
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<PushUpdate[]> {
  if (!t.head || !t.branch) return [];
  const fetchesFrom = t.remote ?? (remotes.size === 1 ? [...remotes.keys()][0] : 'origin');
  const remoteRef = (remote === fetchesFrom ? t.merge : undefined) ?? `refs/heads/${t.branch}`;
  // a remote's own remote-tracking ref; a URL has none
  const tracking = `refs/remotes/${remote}/${remoteRef.replace(/^refs\/heads\//, '')}`;
  const remoteOid = remotes.has(remote) ? await resolveRef(tracking, cwd, env) : undefined;
  return [
    {
      localRef: `refs/heads/${t.branch}`,
      localOid: t.head,
      remoteRef,
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
          describe: 'remote name or URL (default: the remote a plain git push uses)',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the facts and findings as JSON' })
        .option(
          'timeout',
          timeoutOption(
            'seconds for all requests to the server together, for each URL pushed to (default: bitbucket.timeout, as a push)',
          ),
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
