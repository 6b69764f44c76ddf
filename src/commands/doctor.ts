/**
 * `doctor [URL] [--json]`: from "it prompts me again" to the cause in one command. Each finding
 * says what is wrong and the command that fixes it; exit 1 when something is broken.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { classifyToken } from '../bitbucket/classifier.js';
import { httpSettingsFor } from '../git/config.js';
import {
  CHAINED_NAME,
  CONFIG_HOOK_NAME,
  configHookTarget,
  describeGuardRuns,
  GUARD_LINE,
  guardRuns,
  hooksDir,
  hooksDirRefusal,
  isOurHook,
  readTemplate,
  renderHook,
  runsGuardLine,
  supportsConfigHooks,
  type GuardRuns,
  type Refusal,
} from '../git/hooks.js';
import { configListing, gitVersion, type GitRun } from '../git/repo.js';
import { remotePushUrl } from '../git/repository.js';
import { parseConfigListing } from '../prepush/urlmatch.js';
import { isOurHelper, resolveRemoteConfig } from '../prepush/remote-config.js';
import { holdsPassword, replacePasswordFix, STORED_PASSWORD } from '../credential/passwords.js';
import { probeKeyring } from '../store/keyring.js';
import { configuredBackend } from '../store/select.js';
import { readSettings } from '../store/settings.js';
import { expiryOf, listAccounts, storesFor, type Account } from './shared/accounts.js';
import type { BitbucketClient } from '../bitbucket/client.js';
import { bearerFix, bearerReason, gitWithoutBearer } from './shared/bearer.js';
import { CommandError, EXIT } from './shared/errors.js';
import { paint, type CommandContext, type CommandIO } from './shared/io.js';
import { clientFor, parseServer } from './shared/server.js';
import { CONCURRENT_CHECKS, mapBounded, waitingFor } from './shared/progress.js';
import { timeoutOption } from './shared/timeout.js';
import { ENV } from '../settings.js';
import { visible } from '../visible.js';

export type Level = 'ok' | 'info' | 'warn' | 'error';
export interface Finding {
  id: string;
  level: Level;
  title: string;
  detail?: string;
  fix?: string;
  /** Token findings: the classifier's answer (docs/classifier.md). */
  kind?: 'personal' | 'project' | 'unknown';
  decidedBy?: string;
}

/** Helpers that keep what git hands them on `store`, in plain text or elsewhere. */
const PLAINTEXT_STORING = /^(store|!?\S*git-credential-store)\b/;

/** Pure: what the helper chain for a URL means, in the order git runs it. */
export function analyseHelpers(helpers: string[], url: string, tokenStored = false): Finding[] {
  const ours = helpers.findIndex(isOurHelper);
  const setupFix = `git credential-bitbucket setup ${url}`;
  if (ours < 0 && tokenStored)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `token stored, git not set up: git does not ask this helper for ${url}${helpers.length ? ` (it asks: ${helpers.join(', ')})` : ' and will prompt'}`,
        fix: setupFix,
      },
    ];
  if (helpers.length === 0)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `no credential helper is configured for ${url}: git will prompt`,
        fix: setupFix,
      },
    ];
  if (ours < 0)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `this helper is not configured for ${url}; git asks: ${helpers.join(', ')}`,
        fix: setupFix,
      },
    ];
  const out: Finding[] = [
    {
      id: 'helper-chain',
      level: 'ok',
      title: `helper chain for ${url}: ${helpers.map((h, i) => (i === ours ? `[${h}]` : h)).join(' → ')}`,
    },
  ];
  for (const [i, h] of helpers.slice(0, ours).entries()) {
    // what `setup --cache` writes, right before us (a bare `cache` is someone else's choice)
    const cache = /^cache --timeout=(\d+)$/.exec(h.trim());
    if (cache && i === ours - 1) {
      out.push({
        id: 'helper-cache',
        level: 'info',
        title: `git's credential-cache answers before this helper for ${cache[1]} s after each get (setup --cache): no Node starts then, and the token sits in the cache daemon's memory that long`,
        detail:
          'git 2.41+ drops a cached token at its password_expiry_utc, which this helper passes on; older git may use it until the cache times out. After logout or rotate, run: git credential-cache exit',
      });
      continue;
    }
    out.push({
      id: 'helper-before',
      level: 'warn',
      title: `'${h}' is asked before this helper: if it has any credential for this host, git uses that instead`,
      fix: setupFix,
    });
  }
  for (const h of helpers.slice(ours + 1)) {
    const plain = PLAINTEXT_STORING.test(h.trim());
    out.push({
      id: plain ? 'helper-plaintext' : 'helper-after',
      level: 'warn',
      title: plain
        ? `'${h}' runs after this helper and receives every token git confirms: it copies it to a plain-text file`
        : `'${h}' runs after this helper and also receives the token on 'store'`,
      fix: `remove it for this host (e.g. git config --unset credential.helper, or in the repository: git config --local --unset credential.helper), then: ${setupFix}`,
    });
  }
  return out;
}

async function resolveTarget(url: string | undefined, io: CommandIO): Promise<string> {
  if (url) return parseServer(url, { allowHttp: true }).baseUrl;
  const origin = await remotePushUrl('origin', undefined, io.env);
  if (origin) {
    try {
      const parsed = parseServer(origin, { allowHttp: true });
      return parsed.baseUrl;
    } catch {
      // not an http Bitbucket remote: fall through to the stored hosts
    }
  }
  const bases = [
    ...new Set((await listAccounts(storesFor(io).stores)).map((a) => a.meta?.baseUrl ?? `${a.protocol}://${a.host}`)),
  ];
  if (bases.length === 1) return bases[0]!;
  throw new CommandError('name the server: git credential-bitbucket doctor https://bitbucket.example.com', EXIT.usage);
}

export async function doctorRun(
  opts: { url?: string; json: boolean; timeout: number },
  io: CommandIO,
): Promise<number> {
  const url = await resolveTarget(opts.url, io);
  const run = { env: io.env };
  const findings: Finding[] = [];
  const version = gitVersion(run);
  if (!version) {
    findings.push({ id: 'git', level: 'error', title: 'git does not run', fix: 'install git 2.39 or newer' });
  } else {
    const v = version.join('.');
    const at = (maj: number, min: number) => version[0] > maj || (version[0] === maj && version[1] >= min);
    findings.push({
      id: 'git',
      level: at(2, 39) ? 'ok' : 'warn',
      title: `git ${v}`,
      detail: [
        `password_expiry_utc ${at(2, 40) ? 'yes' : 'no (2.40+)'}`,
        `authtype/Bearer from helpers ${at(2, 46) ? 'yes' : 'no (2.46+; project tokens need it: upgrade git, or use a personal token)'}`,
        `credential.interactive ${at(2, 47) ? 'yes' : 'no (2.47+)'}`,
        `config-based hooks ${supportsConfigHooks(version) ? 'yes' : 'no (2.54+)'}`,
      ].join('; '),
    });
  }
  const entries = parseConfigListing(configListing('^(credential|http|hook)\\.', run));
  const server = parseServer(url, { allowHttp: true });
  const stored = (await listAccounts(storesFor(io).stores).catch(() => [])).some(
    (a) => a.protocol === server.protocol && a.host.toLowerCase() === server.host.toLowerCase(),
  );
  findings.push(...analyseHelpers(resolveRemoteConfig(entries, `${url}/`).helpers, url, stored));
  findings.push(...(await storeFindings(io)));
  findings.push(...hookFindings(io));
  findings.push(...(await serverFindings(url, io, opts.timeout)));
  findings.push(traceFinding(io.env));
  const ok = !findings.some((f) => f.level === 'error');
  if (opts.json) io.stdout(`${JSON.stringify({ version: 1, url, ok, findings }, null, 2)}\n`);
  else printFindings(findings, io);
  return ok ? EXIT.ok : EXIT.error;
}

async function storeFindings(io: CommandIO): Promise<Finding[]> {
  const { dir, stores } = storesFor(io);
  const configured = await configuredBackend(io.env).catch((e: Error) => e);
  if (configured instanceof Error)
    return [
      { id: 'store', level: 'error', title: configured.message, fix: 'git config --global bitbucket.store auto' },
    ];
  const probe = configured.choice === 'file' ? undefined : probeKeyring();
  const out: Finding[] = [];
  const active = configured.choice === 'file' || !probe?.ok ? 'file' : 'keyring';
  const why = configured.source === 'default' ? 'auto' : `${configured.choice}, from ${configured.source}`;
  if (configured.choice === 'keyring' && probe && !probe.ok) {
    out.push({
      id: 'store',
      level: 'error',
      title: `the OS keyring is required (${why}) but not usable: ${probe.reason}`,
      fix: 'git config --global bitbucket.store file',
    });
  } else {
    out.push({
      id: 'store',
      level: 'ok',
      title: `new tokens go to the ${active === 'keyring' ? 'OS keyring' : `file ${stores.file.location}`} (${why})`,
      ...(probe && !probe.ok ? { detail: `the keyring is not usable: ${probe.reason}` } : {}),
    });
  }
  try {
    await listAccounts(stores);
  } catch (err) {
    out.push({
      id: 'store-corrupt',
      level: 'error',
      title: (err as Error).message,
      fix: `inspect the file; remove it and log in again if it cannot be repaired`,
    });
  }
  const fallback = readSettings(dir).fileFallback;
  // said once: the store finding above already says why the keyring is not used now
  if (fallback && active === 'file' && probe?.ok !== false)
    out.push({
      id: 'store-fallback',
      level: 'info',
      title: `tokens went to the file because the keyring was not usable: ${fallback.reason}`,
    });
  return out;
}

function hookFindings(io: CommandIO): Finding[] {
  const run = { env: io.env };
  const g = guardRuns(run);
  const commands = configHookFindings(g, run);
  if (commands.some((f) => f.level === 'error')) return commands;
  return [...guardFindings(g, run), ...commands];
}

/**
 * The guard's enabled config-based hooks whose command names a file git cannot run (a ~/.gitconfig
 * copied to another machine, a wiped data directory): with the command of older versions every
 * push fails; with the command written now (configHookCommand) no push is checked. A command of an older
 * version that still works is worth renewing.
 */
function configHookFindings(g: GuardRuns, run: GitRun): Finding[] {
  const out: Finding[] = [];
  for (const h of g.configHooks) {
    if (h.state !== 'enabled') continue;
    const t = configHookTarget(h.name, run);
    if (t.file === undefined) continue;
    const reinstall =
      h.scope === 'global' || h.scope === 'local'
        ? `git credential-bitbucket hook install ${h.scope === 'global' ? '--global' : '--config'}`
        : `git config --${h.scope ?? 'global'} --remove-section hook.${h.name}`;
    const hook = `config-based hook hook.${h.name}${h.scope ? ` (${h.scope})` : ''}`;
    if (!t.runnable)
      out.push({
        id: 'hook',
        level: 'error',
        title: `${hook} runs ${t.file}, which is missing or not executable: ${t.form === 'plain' ? 'git fails every push it runs for' : 'no push is checked'}`,
        fix: reinstall,
      });
    else if (t.form === 'plain' && h.name === CONFIG_HOOK_NAME)
      out.push({
        id: 'hook-outdated',
        level: 'info',
        title: `${hook} was written by an older version: git would fail every push if ${t.file} went missing`,
        fix: reinstall,
      });
  }
  return out;
}

function guardFindings(g: GuardRuns, run: GitRun): Finding[] {
  const where = describeGuardRuns(g);
  if (g.runs > 1)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard runs ${g.runs} times per push here: ${where}`,
        fix: g.fileHook
          ? 'git credential-bitbucket hook install --global (or --config, as it was installed) once more: its refreshed script makes hook files step aside; or hook uninstall here (removes the hook file)'
          : 'remove all but one of these config-based hooks (git config --unset-all hook.<name>.command)',
      },
    ];
  if (g.runs === 1 && g.configHooks.some((h) => h.state === 'enabled'))
    return [{ id: 'hook', level: 'ok', title: `the pre-push guard runs here as ${where}` }];
  if (g.runs === 0 && g.configHooks.length > 0) {
    const h = g.configHooks[0]!;
    const byEvent = h.state === 'event-disabled';
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard does not run here: ${describeGuardRuns(g, 'all')} is configured, but ${byEvent ? 'hook.pre-push.enabled=false turns off every config-based pre-push hook' : `hook.${h.name}.enabled=false turns it off`}`,
        fix: byEvent ? 'git config --unset hook.pre-push.enabled' : `git config --unset hook.${h.name}.enabled`,
      },
    ];
  }
  const dir = hooksDir(run);
  if (!dir) return [{ id: 'hook', level: 'info', title: 'not in a git repository: pre-push guard not checked' }];
  const refusal = hooksDirRefusal(dir, run);
  if (refusal) return refusedDirFindings(refusal, run);
  const file = path.join(dir, 'pre-push');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (text === undefined)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: 'the pre-push guard is not installed in this repository',
        fix: 'git credential-bitbucket hook install',
      },
    ];
  if (!isOurHook(text))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${file} is another tool's pre-push hook; the guard is not installed`,
        fix: 'git credential-bitbucket hook install (it chains the existing hook)',
      },
    ];
  if (!g.fileHook)
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${file} is the guard but git does not run it (not executable)`,
        fix: `chmod +x ${file}`,
      },
    ];
  const chained = fs.existsSync(path.join(dir, CHAINED_NAME));
  const out: Finding[] = [
    {
      id: 'hook',
      level: 'ok',
      title: `the pre-push guard is installed in ${dir}${chained ? ` (and runs the previous hook, ${CHAINED_NAME})` : ''}`,
    },
  ];
  // the same script apart from the program paths hook install fills in
  const unfilled = { node: '', bin: '' };
  if (renderHook(text, unfilled) !== renderHook(readTemplate(), unfilled)) {
    out.push({
      id: 'hook-outdated',
      level: 'info',
      title: 'the installed hook script is from another version of this tool (it works, but may be slower)',
      fix: 'git credential-bitbucket hook install',
    });
  }
  return out;
}

/**
 * A hooks directory the guard's file does not go into (husky's, the work tree's, a tracked one):
 * whether the user's own hook runs the guard, and what an older version left there.
 */
function refusedDirFindings(r: Refusal, run: GitRun): Finding[] {
  const file = path.join(r.dir, 'pre-push');
  const chained = path.join(r.dir, CHAINED_NAME);
  const text = readText(file);
  const where = { husky: "husky's hook directory", 'work-tree': 'the work tree', tracked: 'a directory git tracks' }[
    r.kind
  ];
  const instead = r.userHook
    ? `add this line to ${r.userHook}: ${GUARD_LINE}`
    : 'use husky 9 or newer, and add the line hook install prints to .husky/pre-push';
  if (text !== undefined && isOurHook(text))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the guard's file ${file}, put there by an older version, is in ${where}: ${r.kind === 'husky' ? `husky runs a hook by its file name, so the pre-push hook it chained (${CHAINED_NAME}) does not run, and husky's next install removes the guard` : "committed, it would give everyone this machine's paths"}`,
        fix: `git credential-bitbucket hook uninstall, then ${instead}`,
      },
    ];
  const out: Finding[] = [];
  if (fs.existsSync(chained))
    out.push({
      id: 'hook-leftover',
      level: 'warn',
      title: `${chained} is left over from an older install: nothing runs it`,
      fix: `compare it with ${file}, then rm '${chained}'`,
    });
  const own = r.userHook ? readText(r.userHook) : undefined;
  if (!r.userHook || own === undefined || !runsGuardLine(own))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `the pre-push guard is not installed here: the hooks directory is ${where}, so it runs only from your own hook`,
        fix: `${instead}; or with git 2.54+: git credential-bitbucket hook install --global`,
      },
      ...out,
    ];
  if (!onPath('git-credential-bitbucket', run.env ?? process.env))
    return [
      {
        id: 'hook',
        level: 'warn',
        title: `${r.userHook} runs the guard by name, but git-credential-bitbucket is not on PATH here: the check is skipped`,
        fix: 'put the directory of git-credential-bitbucket on PATH; or with git 2.54+: git credential-bitbucket hook install --global',
      },
      ...out,
    ];
  return [{ id: 'hook', level: 'ok', title: `the pre-push guard runs from your own hook, ${r.userHook}` }, ...out];
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** An executable `name` in one of PATH's directories, as `command -v` finds it. */
function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(path.delimiter).some((d) => {
    try {
      fs.accessSync(path.join(d || '.', name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function serverFindings(url: string, io: CommandIO, timeout: number): Promise<Finding[]> {
  const out: Finding[] = [];
  // one time budget for every request of the command (docs/classifier.md, "Time and pages")
  const deadline = Date.now() + timeout * 1000;
  const settings = await httpSettingsFor(`${url}/`, undefined, io.env);
  const net = [
    settings.proxy ? `proxy ${settings.proxy.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)[^@/]*@/i, '$1***@')}` : 'no proxy',
    settings.caFile ? `CA file ${settings.caFile}` : 'system CAs',
    settings.sslVerify ? '' : 'TLS verification OFF',
  ]
    .filter(Boolean)
    .join(', ');
  const client = (await clientFor(url, io, timeout * 1000)).withDeadline(deadline);
  const props = await waitingFor(io, `${url} to answer`, client.applicationProperties());
  if (props.status !== 'ok') {
    out.push({
      id: 'server',
      level: 'error',
      title: `${url} is not reachable as Bitbucket: ${props.message}`,
      detail: net,
      fix: 'check the URL, proxy (http.proxy) and CA (http.sslCAInfo) settings',
    });
    return out;
  }
  out.push({ id: 'server', level: 'ok', title: `${url} answers: Bitbucket ${props.version}`, detail: net });
  const { stores } = storesFor(io);
  const host = parseServer(url, { allowHttp: true });
  const accounts = (await listAccounts(stores).catch(() => [])).filter(
    (a) => a.protocol === host.protocol && a.host === host.host,
  );
  if (accounts.length === 0)
    out.push({
      id: 'token',
      level: 'error',
      title: `no token is stored for ${url}`,
      fix: `git credential-bitbucket login ${url}`,
    });
  const oldGit = gitWithoutBearer({ env: io.env });
  const check = (a: Account) => accountFinding(a, { url, io, client, deadline, version: props.version, oldGit });
  // the accounts of the host at once (bounded), in their order in the report
  out.push(
    ...(await waitingFor(
      io,
      `${url} to check ${accounts.length} token${accounts.length === 1 ? '' : 's'}`,
      mapBounded(accounts, CONCURRENT_CHECKS, check),
    )),
  );
  return out;
}

interface AccountCheck {
  url: string;
  io: CommandIO;
  client: BitbucketClient;
  deadline: number;
  version: string;
  oldGit: ReturnType<typeof gitWithoutBearer>;
}

async function accountFinding(a: Account, c: AccountCheck): Promise<Finding> {
  const { url, io } = c;
  const secrets = await a.store.read(a);
  const token = secrets?.password ?? secrets?.credential;
  const who = a.username ?? '(no username)';
  const expires = expiryOf(a);
  if (!token)
    return {
      id: 'token',
      level: 'error',
      title: `${who}: the token is missing from the store`,
      fix: `git credential-bitbucket login ${url}`,
    };
  if (holdsPassword(a, secrets))
    return { id: 'password', level: 'error', title: `${who}: ${STORED_PASSWORD}`, fix: replacePasswordFix(a, url) };
  if (expires !== undefined && expires <= io.now())
    return {
      id: 'token-expired',
      level: 'error',
      title: `${who}: the token expired on ${new Date(expires).toISOString().slice(0, 10)}`,
      fix: `create a new token, then: git credential-bitbucket login ${url}`,
    };
  const own = a.meta?.allowHttp
    ? (await clientFor(url, io, c.deadline - Date.now(), { allowHttp: true })).withDeadline(c.deadline)
    : c.client;
  const r = await classifyToken({
    client: own,
    credential: { scheme: 'bearer', secret: token },
    allowBasic: true,
    server: { version: c.version },
    ...(a.username ? { username: a.username } : {}),
  });
  const unchecked = r.unchecked.length ? { detail: `not checked: ${r.unchecked.join('; ')}` } : {};
  if (r.status !== 'valid')
    return {
      id: 'token',
      level: 'error',
      title: `${who}: ${r.message}`,
      ...unchecked,
      fix: `git credential-bitbucket login ${url}`,
    };
  const kind = { kind: r.kind, decidedBy: r.decidedBy };
  if (r.kind !== 'personal' && !secrets?.password && c.oldGit)
    return {
      id: 'token-bearer',
      level: 'error',
      title: `${who}: ${bearerReason(c.oldGit)}`,
      fix: bearerFix(url),
      ...kind,
    };
  if (r.kind === 'project')
    return {
      id: 'token-kind',
      level: 'warn',
      title: `${who}: a project/repository token${r.user.name ? ` (acts as bot '${r.user.name}')` : ''}`,
      fix: `log in with a personal token: git credential-bitbucket login ${url}`,
      ...kind,
    };
  if (r.kind === 'unknown')
    return {
      id: 'token-kind',
      level: 'warn',
      title: `${who}: the server accepts the token but will not say whose it is (it may be a project/repository token)`,
      fix: `log in with a personal token: git credential-bitbucket login ${url}`,
      ...kind,
    };
  return {
    id: 'token',
    level: 'ok',
    title: `${who}: a personal token the server accepts${a.isDefault ? ' (default)' : ''}`,
    ...unchecked,
    ...kind,
  };
}

/** Where to look next: the trace of a push or a credential request (src/trace.ts). */
function traceFinding(env: NodeJS.ProcessEnv): Finding {
  const name = ENV.trace.name;
  const on = env[name];
  return {
    id: 'trace',
    level: 'info',
    title: on ? `tracing is on (${name}=${on})` : `to see what the helper and the guard decide: ${name}=1 git push`,
    detail: `${name}=1 writes each step (store, entry, requests, checks and policy) to stderr, ${name}=/absolute/file appends it there; never a secret`,
  };
}

function printFindings(findings: Finding[], io: CommandIO): void {
  const p = paint(io.stdoutIsTTY, io.env);
  const mark = { ok: p.green('✓'), info: p.dim('i'), warn: p.yellow('!'), error: p.red('✗') };
  for (const f of findings) {
    // titles and details quote the server (version, names, its error messages) and git's config
    io.stdout(`${mark[f.level]} ${visible(f.title)}\n`);
    if (f.detail) io.stdout(`    ${p.dim(visible(f.detail))}\n`);
    if (f.fix && f.level !== 'ok') io.stdout(`    fix: ${visible(f.fix)}\n`);
  }
}

export const doctorCommand = (
  ctx: CommandContext,
): CommandModule<object, { url?: string; json: boolean; timeout: number }> => ({
  command: 'doctor [url]',
  describe: 'diagnose why git prompts or pushes fail: git, helper chain, store, hook, server, token',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: "the server (default: origin's, or the one stored)" })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable findings' })
      .option('timeout', timeoutOption('seconds for all requests to the server together', 30)) as never,
  handler: async (argv) => {
    ctx.exitCode = await doctorRun(argv, ctx.io);
  },
});
