/**
 * `setup [URL]` and `unsetup [URL]`: wire git to this helper for one Bitbucket server,
 * host-scoped (gitcredentials(7): an empty `credential.<url>.helper` resets the list for that
 * URL only, so other hosts keep their helpers), idempotent, and exactly reversible.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import {
  addValue,
  configFile,
  getAll,
  keysWithPrefix,
  listMatching,
  removeSectionIfEmpty,
  setValue,
  unsetValue,
  type ConfigTarget,
  type Scope,
} from '../git/credential-config.js';
import { removeValueLine } from '../git/config-lines.js';
import { CACHE_LINE, findBlock, planSetup, planUnsetup, type Block, type Step } from './setup-plan.js';
import { readSettings, updateSettings, type SetupRecord } from '../store/settings.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { helperInvocation } from './shared/invocation.js';
import { CONFIG_HOOK_NAME, setConfigHook, shQuote, type Program } from '../git/hooks.js';
import { configListing } from '../git/repo.js';
import { parseConfigListing, valuesFor, type ConfigEntry } from '../prepush/urlmatch.js';
import { isOurHelper, resolveRemoteConfig } from '../prepush/remote-config.js';
import { parseServer } from './shared/server.js';
import { httpAllowedFor, isLoopbackHost } from '../credential/transport.js';
import { ALLOW_HTTP_KEY } from '../settings.js';

export interface SetupOptions {
  url?: string;
  global?: boolean;
  system?: boolean;
  local?: boolean;
  hook?: boolean;
  /** Where Node and the launcher are (default: this process's); tests name a Node wrapper. */
  program?: Program;
  /** `--cache[=SECONDS]`: git's credential-cache in front of this helper (true: the default time). */
  cache?: number | boolean;
}

/** `setup --cache` without a number: git's own default for credential-cache. */
export const DEFAULT_CACHE_SECONDS = 900;

/** The helper value `setup --cache` puts before ours. */
export function cacheHelper(seconds: number): string {
  return `cache --timeout=${seconds}`;
}

/** The value of `--cache[=SECONDS]` as given on the command line: true (no number), a number of seconds, or absent. */
export function cacheOption(v: unknown): number | boolean | undefined {
  if (v === undefined || typeof v === 'boolean') return v;
  if (v === '') return true;
  const n = /^\d+$/.test(String(v)) ? Number(v) : NaN;
  if (Number.isSafeInteger(n) && n >= 1) return n;
  throw new CommandError(
    `--cache takes a number of seconds (1 or more), as --cache=${DEFAULT_CACHE_SECONDS}; got '${String(v)}'`,
    EXIT.usage,
  );
}

/** Seconds from `--cache[=SECONDS]`, undefined without the option. */
export function cacheSeconds(o: SetupOptions): number | undefined {
  if (o.cache === undefined || o.cache === false) return undefined;
  if (o.cache === true) return DEFAULT_CACHE_SECONDS;
  if (!Number.isSafeInteger(o.cache) || o.cache < 1)
    throw new CommandError('--cache takes a number of seconds (1 or more), e.g. --cache=900', EXIT.usage);
  return o.cache;
}

function scopeOf(o: SetupOptions): Scope {
  const chosen = (['global', 'system', 'local'] as const).filter((s) => o[s]);
  if (chosen.length > 1) throw new CommandError('choose one of --global, --system, --local', EXIT.usage);
  return chosen[0] ?? 'global';
}

async function resolveUrl(o: SetupOptions, io: CommandIO): Promise<ReturnType<typeof parseServer>> {
  const accounts = () => listAccounts(storesFor(io).stores);
  let url = o.url;
  if (!url) {
    const bases = [...new Set((await accounts()).map((a) => a.meta?.baseUrl ?? `${a.protocol}://${a.host}`))];
    if (bases.length !== 1)
      throw new CommandError(
        bases.length === 0
          ? 'name the server: setup https://bitbucket.example.com'
          : `several servers are stored (${bases.join(', ')}); name one`,
        EXIT.usage,
      );
    url = bases[0]!;
  }
  const server = parseServer(url, { allowHttp: true });
  // Plain http to another machine: only where a token may go there (get's rule, see transport.ts):
  // allowed by bitbucket.allowHttp, or a token logged in with --allow-http for that server.
  if (
    server.protocol === 'http' &&
    !isLoopbackHost(server.host) &&
    !httpAllowedFor(`${server.baseUrl}/`, io.env) &&
    !(await accounts()).some((a) => a.protocol === 'http' && a.host === server.host && a.meta?.allowHttp === true)
  )
    throw new CommandError(
      `refusing to set up plain http:// to ${server.host}: git would send its token unencrypted; use https://, or log in with 'git credential-bitbucket login ${server.baseUrl} --allow-http' first, or allow it: git config --global ${ALLOW_HTTP_KEY} true`,
      EXIT.usage,
    );
  return server;
}

/** The server, the config file of the chosen scope, and the keys setup owns there. */
async function target(o: SetupOptions, io: CommandIO) {
  const resolved = await resolveUrl(o, io);
  const t: ConfigTarget = { scope: scopeOf(o), env: io.env, cwd: process.cwd() };
  const file = await configFile(t);
  const server = { ...resolved, baseUrl: await spelling(t, resolved.baseUrl) };
  const section = `credential.${server.baseUrl}`;
  return { server, t, file, section, key: `${section}.helper` };
}

/**
 * Host names are case-insensitive (git's urlmatch lower-cases them): the server's section is
 * spelt with the host in lower case, or as a setup of an earlier version spelt it, so that
 * `setup https://BB.Example.COM` finds the setup of `https://bb.example.com`.
 */
async function spelling(t: ConfigTarget, baseUrl: string): Promise<string> {
  const fold = (u: string) => {
    const p = u.indexOf('/', u.indexOf('://') + 3);
    return p < 0 ? u.toLowerCase() : u.slice(0, p).toLowerCase() + u.slice(p);
  };
  const subsections = new Set(
    (await keysWithPrefix(t, 'credential.'))
      .filter((k) => k.toLowerCase().endsWith('.helper'))
      .map((k) => k.slice('credential.'.length, -'.helper'.length)),
  );
  for (const s of subsections)
    if (fold(s) === fold(baseUrl) && (await getAll(t, `credential.${s}.helper`)).some(isOurHelper)) return s;
  return fold(baseUrl);
}

export async function setupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const ours = helperInvocation(o.program);
  const fileExisted = fs.existsSync(file);
  const current = await getAll(t, key);
  const recordKey = `${file}|${server.baseUrl}`;
  const { dir } = storesFor(io);
  const previous = readSettings(dir).setups?.[recordKey];
  const seconds = cacheSeconds(o);
  // Without --cache a cache line setup wrote stays as it is.
  const plan = planSetup(
    current,
    ours,
    seconds !== undefined ? cacheHelper(seconds) : undefined,
    previous?.addedReset === false,
  );
  if (plan.kind === 'conflict') throw conflictError(t, file, key, server.baseUrl, plan.block, current);
  const changes: string[] = [];
  let cache = plan.kind === 'done' && plan.block.cache !== undefined ? current[plan.block.cache] : undefined;
  if (plan.kind === 'change') {
    cache = plan.steps.flatMap((st) => (st.op === 'add' && CACHE_LINE.test(st.value) ? [st.value] : []))[0] ?? cache;
    await applySteps(plan.steps, { t, file, key, baseUrl: server.baseUrl, values: current, changes, io });
  }
  const block = findBlock(await getAll(t, key), previous?.addedReset === false);
  // what was changed is recorded and printed before the error, if any
  let failure: unknown;
  const chain = await ensureLast({ t, file, key, baseUrl: server.baseUrl, values: [], changes, io }, block).catch(
    (err: unknown) => {
      failure = err;
      return { after: [], why: '' };
    },
  );
  let addedUseHttpPath = false;
  const pathScoped = (await listAccounts(storesFor(io).stores)).some(
    (a) => a.host.toLowerCase() === server.host.toLowerCase() && a.path !== undefined,
  );
  if (pathScoped && (await getAll(t, `${section}.useHttpPath`)).length === 0) {
    await setValue(t, `${section}.useHttpPath`, 'true');
    addedUseHttpPath = true;
    changes.push(`+ ${section}.useHttpPath = true (tokens scoped to repository paths are stored)`);
  }
  if (changes.length > 0) {
    // several setups share a file that setup created: the last one undone removes it
    const sameFileCreated = Object.entries(readSettings(dir).setups ?? {}).some(
      ([k, r]) => k.startsWith(`${file}|`) && r.createdFile,
    );
    await updateSettings(dir, (st) => {
      st.setups = {
        ...st.setups,
        [recordKey]: {
          addedReset: (plan.kind === 'change' && plan.addedReset) || previous?.addedReset !== false,
          addedUseHttpPath: addedUseHttpPath || Boolean(previous?.addedUseHttpPath),
          createdFile: previous?.createdFile ?? (!fileExisted || sameFileCreated),
          ...(cache ? { cache } : {}),
        },
      };
    });
    io.stderr(`Updated ${file} (${t.scope}):\n${changes.map((c) => `  ${c}\n`).join('')}`);
  } else if (!failure) {
    io.stderr(`${file} (${t.scope}) already sends ${server.baseUrl} to this helper; nothing changed.\n`);
  }
  if (failure) throw failure;
  if (chain.after.length > 0)
    io.stderr(
      `warning: git asks ${chain.after.map((h) => `'${h}'`).join(', ')} after this helper for ${server.baseUrl} and hands ${chain.after.length > 1 ? 'them' : 'it'} every token it confirms; ${chain.why}\n`,
    );
  if (!o.hook) return EXIT.ok;
  const guard = await installGuard(t.scope, io);
  if (guard.hook) {
    // the global hook is setup's to remove only when no setup found it there: kept in the record
    await updateSettings(dir, (st) => {
      const setups = st.setups ?? {};
      const shared = Object.entries(setups).some(([k, r]) => k !== recordKey && r.hook === 'installed');
      const r = setups[recordKey] ?? { addedReset: true, addedUseHttpPath: false, createdFile: !fileExisted };
      if (r.hook !== 'installed') r.hook = guard.hook === 'installed' || shared ? 'installed' : 'found';
      st.setups = { ...setups, [recordKey]: r };
    });
  }
  return guard.code;
}

/** The helpers git runs for `baseUrl` from here, every scope and include read as git reads them. */
function helperChain(baseUrl: string, io: CommandIO): string[] {
  const entries = parseConfigListing(configListing('^credential\\.', { env: io.env }));
  return resolveRemoteConfig(entries, `${baseUrl}/`).helpers;
}

/**
 * After setup's lines are in place: git must ask this helper last for the server. A helper read
 * after them (a `credential.helper` later in the same file, added after setup) would come after
 * this one, and a later reset would drop it: then setup's lines move to the end of the file
 * (removed, their section with them, and added again, which git puts in a new section at the end),
 * when the section holds nothing of the user's. What is read after the file (an included file, the
 * repository's config, `-c`) setup cannot move past: it says so, exit 1 when git does not ask
 * this helper at all.
 */
async function ensureLast(a: Apply, block: Block | undefined): Promise<{ after: string[]; why: string }> {
  const state = () => {
    const helpers = helperChain(a.baseUrl, a.io);
    const last = helpers.findLastIndex(isOurHelper);
    return { helpers, used: last >= 0, after: last < 0 ? [] : helpers.slice(last + 1) };
  };
  let now = state();
  if (!block || (now.used && now.after.length === 0)) return { after: [], why: '' };
  const laterHere = await laterInFile(a, block);
  let why = `they are read after ${a.file} (another scope or an included file), which setup does not change; git config --show-origin --get-regexp '^credential\\.' shows where`;
  if (laterHere.length > 0 && !(await movable(a, block))) {
    why = `they are set later in ${a.file}, after the section [credential "${a.baseUrl}"], which also holds settings of yours, so setup cannot move its lines after them: move those lines before the section, or remove them`;
  } else if (laterHere.length > 0) {
    const values = await getAll(a.t, a.key);
    const mine = [block.reset, block.cache, block.anchor].filter((i) => i !== undefined);
    await applySteps(
      mine.map((at) => ({ op: 'remove', at, why: 'moved to the end of the file' })),
      { ...a, values },
    );
    await removeSectionIfEmpty(a.t, `credential.${a.baseUrl}`);
    const added = mine.map((at) => ({ op: 'add', value: values[at]!, why: 'moved' }) as const);
    await applySteps(added, { ...a, values: [] });
    a.changes.push(
      `  (moved to the end of ${a.file}: ${laterHere.map((v) => `'${shown(v)}'`).join(', ')} came after them, so git ${now.used ? `asked ${now.after.join(', ')} after this helper` : 'did not ask this helper'})`,
    );
    now = state();
  }
  if (!now.used)
    throw new CommandError(
      `git does not ask this helper for ${a.baseUrl} (it asks: ${now.helpers.join(', ') || 'no helper, and prompts'}): ${why}`,
    );
  return { after: now.after, why };
}

/** Values of `credential.helper` for the server in the file after setup's lines (resets included). */
async function laterInFile(a: Apply, block: Block): Promise<string[]> {
  const entries = parseConfigListing(await listMatching(a.t, '^credential\\.'));
  const isKey = (e: ConfigEntry) => e.name === 'helper' && e.url === a.baseUrl;
  const ours = entries.filter(isKey);
  const anchorAt = entries.indexOf(ours[block.anchor]!);
  if (anchorAt < 0) return [];
  const later = valuesFor(entries.slice(anchorAt + 1), 'credential', `${a.baseUrl}/`, 'all');
  return (later.get('credential.helper') ?? []).map((v) => v ?? '');
}

/** setup's lines can move when their section holds nothing else: no other value or key of the user's. */
async function movable(a: Apply, block: Block): Promise<boolean> {
  const values = await getAll(a.t, a.key);
  const mine = [block.reset, block.cache, block.anchor].filter((i) => i !== undefined).length;
  const keys = await keysWithPrefix(a.t, `credential.${a.baseUrl}.`);
  return values.length === mine && keys.every((k) => k.toLowerCase() === a.key.toLowerCase());
}

interface Apply {
  t: ConfigTarget;
  file: string;
  key: string;
  baseUrl: string;
  /** The key's values before the steps. */
  values: readonly string[];
  /** What was done, for the message; filled as it goes, so that a failure can still tell. */
  changes: string[];
  io: CommandIO;
}

/**
 * Runs the steps one git config call (or one locked rewrite) each: every step leaves a file git
 * reads, and none removes or rewrites a value that is not setup's. When a step fails, what was
 * done before it is printed with the error.
 */
async function applySteps(steps: readonly Step[], a: Apply): Promise<void> {
  const live = a.values.map((v, at) => ({ v, at: at as number | undefined }));
  try {
    for (const st of steps) {
      if (st.op === 'add') {
        await addValue(a.t, a.key, st.value);
        live.push({ v: st.value, at: undefined });
        a.changes.push(`+ ${a.key} = ${shown(st.value)}${addedWhy(st, a.baseUrl)}`);
        continue;
      }
      const p = live.findIndex((e) => e.at === st.at);
      await removeAt(
        a,
        live.map((e) => e.v),
        p,
      );
      a.changes.push(`- ${a.key} = ${shown(live[p]!.v)} (${st.why})`);
      live.splice(p, 1);
    }
  } catch (err) {
    if (a.changes.length > 0)
      a.io.stderr(`Updated ${a.file} (${a.t.scope}) before the error:\n${a.changes.map((c) => `  ${c}\n`).join('')}`);
    throw err;
  }
}

/** Removes the value at `p` of `values` (the key's values as they are now), and no other line. */
async function removeAt(a: Apply, values: readonly string[], p: number): Promise<void> {
  const value = values[p]!;
  const changed = () =>
    new CommandError(`${a.key} in ${a.file} changed while this ran; nothing more was changed: run it again`);
  if (values.filter((v) => v === value).length === 1) {
    if ((await unsetValue(a.t, a.key, value)) !== 'removed') throw changed();
    return;
  }
  // git config cannot single out one of several equal values
  const dot = a.key.lastIndexOf('.');
  const parts = { section: 'credential', subsection: a.key.slice('credential.'.length, dot), name: 'helper' };
  const now = await getAll(a.t, a.key);
  if (now.length !== values.length || now.some((v, i) => v !== values[i])) throw changed();
  const failed = removeValueLine(a.file, parts, p, now);
  if (failed) throw new CommandError(failed);
}

function shown(value: string): string {
  return value === '' ? '""' : value;
}

function addedWhy(st: Step & { op: 'add' }, baseUrl: string): string {
  if (st.value === '') return ` (resets the helper list for ${baseUrl} only)`;
  const cache = CACHE_LINE.exec(st.value);
  return cache ? ` (git's credential-cache keeps the token in memory for ${cache[1]} s)` : '';
}

/** A helper after this one in the same key: setup changes nothing and says what the user can do. */
function conflictError(
  t: ConfigTarget,
  file: string,
  key: string,
  baseUrl: string,
  block: Block,
  values: readonly string[],
): CommandError {
  const after = block.after.map((i) => values[i]!);
  const unset = [...new Set(after)]
    .map((v) => `git config --${t.scope} --fixed-value --unset-all ${shQuote(key)} ${shQuote(v)}`)
    .join('; ');
  return new CommandError(
    `${key} in ${file} has ${after.map((v) => `'${shown(v)}'`).join(', ')} after this helper (added after setup): git asks ${after.length > 1 ? 'them' : 'it'} too and hands ${after.length > 1 ? 'them' : 'it'} every token it confirms; setup does not turn ${after.length > 1 ? 'them' : 'it'} off for ${baseUrl} on its own. Nothing changed. To use only this helper: ${unset}; then run setup again. To use ${after.length > 1 ? 'them' : 'it'} instead: git credential-bitbucket unsetup ${baseUrl}`,
  );
}

/**
 * `setup --hook`: the pre-push guard for every repository through a config-based hook where git
 * has them (2.54+) and the scope is global, else in the current repository.
 */
async function installGuard(scope: Scope, io: CommandIO): Promise<{ code: number; hook?: 'installed' | 'found' }> {
  const { hookInstallRun } = await import('./hook.js');
  const { gitVersion } = await import('../git/repo.js');
  const { supportsConfigHooks } = await import('../git/hooks.js');
  const version = gitVersion({ env: io.env });
  if (scope === 'global' && version && supportsConfigHooks(version)) {
    const had = (await getAll({ scope: 'global', env: io.env }, GLOBAL_HOOK_COMMAND)).length > 0;
    const code = await hookInstallRun({ global: true }, io);
    return code === EXIT.ok ? { code, hook: had ? 'found' : 'installed' } : { code };
  }
  const inRepo = (await import('../git/hooks.js')).hooksDir({ env: io.env }) !== undefined;
  if (!inRepo) {
    throw new CommandError(
      `this git (${version?.join('.') ?? 'unknown'}) has no config-based hooks (2.54+), so the guard is installed per repository: run 'git credential-bitbucket hook install' inside each one`,
      EXIT.usage,
    );
  }
  return { code: await hookInstallRun({}, io) };
}

const GLOBAL_HOOK_COMMAND = `hook.${CONFIG_HOOK_NAME}.command`;

/** unsetup: the global config-based hook goes with the last setup that installed it. */
async function removeGlobalHook(io: CommandIO, recordKey: string, changes: string[]): Promise<void> {
  const setups = readSettings(storesFor(io).dir).setups ?? {};
  if (setups[recordKey]?.hook !== 'installed') return;
  if (Object.entries(setups).some(([k, r]) => k !== recordKey && r.hook === 'installed')) return;
  const g: ConfigTarget = { scope: 'global', env: io.env };
  const command = await getAll(g, GLOBAL_HOOK_COMMAND);
  if (command.length === 0) return;
  const removed = setConfigHook('global', null, { env: io.env });
  if (!removed.ok) throw new CommandError(removed.message);
  await removeSectionIfEmpty(g, `hook.${CONFIG_HOOK_NAME}`);
  changes.push(
    `- hook.${CONFIG_HOOK_NAME} (the pre-push guard setup --hook installed for every repository: ${command.join(', ')})`,
  );
}

export async function unsetupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const recordKey = `${file}|${server.baseUrl}`;
  const { dir } = storesFor(io);
  const record: SetupRecord | undefined = readSettings(dir).setups?.[recordKey];
  const current = await getAll(t, key);
  const plan = planUnsetup(current, record?.addedReset === false);
  const changes: string[] = [];
  const why = (i: number) =>
    i === plan.block?.reset
      ? 'the reset setup wrote'
      : i === plan.block?.cache
        ? "git's credential-cache, which setup --cache put before this helper"
        : 'this helper';
  // The reset goes first and this helper last: stopped half-way, the file still holds this
  // helper, so unsetup run again finds the rest.
  await applySteps(
    plan.remove.map((at) => ({ op: 'remove', at, why: why(at) })),
    { t, file, key, baseUrl: server.baseUrl, values: current, changes, io },
  );
  if (record?.addedUseHttpPath && (await unsetValue(t, `${section}.useHttpPath`, 'true')) === 'removed')
    changes.push(`- ${section}.useHttpPath = true`);
  if (changes.length > 0) await removeSectionIfEmpty(t, section);
  await removeGlobalHook(io, recordKey, changes);
  if (
    record?.createdFile &&
    fs.existsSync(file) &&
    fs.readFileSync(file, 'utf8').trim() === '' &&
    (await keysWithPrefix(t, '')).length === 0
  ) {
    fs.rmSync(file);
    changes.push(`- ${path.basename(file)} (created by setup, now empty)`);
  }
  if (record) await updateSettings(dir, (s) => void delete s.setups?.[recordKey]);
  io.stderr(
    changes.length > 0
      ? `Updated ${file} (${t.scope}):\n${changes.map((c) => `  ${c}\n`).join('')}`
      : `${file} (${t.scope}) has no setup for ${server.baseUrl}; nothing changed.\n`,
  );
  return EXIT.ok;
}

const scopeOptions = {
  global: { type: 'boolean', describe: 'your user config (default)' },
  system: { type: 'boolean', describe: 'the system config (usually needs root)' },
  local: { type: 'boolean', describe: 'the current repository only' },
} as const;

export const setupCommand = (ctx: CommandContext): CommandModule<object, SetupOptions> => ({
  command: 'setup [url]',
  describe: 'configure git to use this helper for one Bitbucket server (host-scoped, idempotent)',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'the server (default: the one you logged in to)' })
      .options(scopeOptions)
      .option('cache', {
        describe: `put git's credential-cache in front for this host: git answers from memory for SECONDS (default ${DEFAULT_CACHE_SECONDS}) after a get, with no Node start; the token stays in the cache daemon's memory that long`,
      })
      .option('hook', {
        type: 'boolean',
        default: false,
        describe: 'also install the pre-push guard (every repository with git 2.54+ and --global, else this one)',
      })
      .example('$0 setup https://bitbucket.example.com --hook', '')
      // A bad --cache value is a usage error (exit 2, one line), before the handler reads or writes anything.
      .middleware((argv) => {
        argv.cache = cacheOption(argv.cache);
      }) as never,
  handler: async (argv) => {
    ctx.exitCode = await setupRun(argv, ctx.io);
  },
});

export const unsetupCommand = (ctx: CommandContext): CommandModule<object, SetupOptions> => ({
  command: 'unsetup [url]',
  describe: 'remove exactly what setup wrote',
  builder: (y) => y.positional('url', { type: 'string', describe: 'the server' }).options(scopeOptions) as never,
  handler: async (argv) => {
    ctx.exitCode = await unsetupRun(argv, ctx.io);
  },
});
