/**
 * `setup [URL]` and `unsetup [URL]`: wire git to this helper for one Bitbucket server,
 * host-scoped (gitcredentials(7): an empty `credential.<url>.helper` resets the list for that
 * URL only, so other hosts keep their helpers), idempotent, and exactly reversible.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { getAll, keysWithPrefix, removeSectionIfEmpty, setValue, unsetValue } from '../git/credential-config.js';
import { CACHE_LINE, findBlock, loneReset, planSetup, planUnsetup, type LoneReset } from './setup-plan.js';
import { readSettings, updateSettings, type SetupRecord } from '../store/settings.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { helperInvocation, inNpxCache, program } from './shared/invocation.js';
import { cacheHelper, cacheOption, cacheSeconds, DEFAULT_CACHE_SECONDS, type SetupOptions } from './setup-options.js';
import { target } from './setup-target.js';
import { applySteps, conflictError } from './setup-apply.js';
import { ensureLast, underWarning } from './setup-chain.js';
import { installGuard, removeGlobalHook } from './setup-hook.js';

export async function setupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const prog = o.program ?? program();
  const ours = helperInvocation(prog);
  if (inNpxCache(prog.bin))
    io.stderr(
      `warning: this git-credential-bitbucket runs from npx's cache (${path.dirname(path.dirname(prog.bin))}); the helper line stops working when npm cleans that cache: install it (npm install -g with the package name or its .tgz, see the README's Install) and run setup again from there\n`,
    );
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
    setupsLoneReset(current, previous),
  );
  if (plan.kind === 'conflict') throw conflictError(t, file, key, server.baseUrl, plan.block, current);
  const changes: string[] = [];
  let cache = plan.kind === 'done' && plan.block.cache !== undefined ? current[plan.block.cache] : undefined;
  // several setups share a file that setup created: the last one undone removes it
  const sameFileCreated = Object.entries(readSettings(dir).setups ?? {}).some(
    ([k, r]) => k.startsWith(`${file}|`) && r.createdFile,
  );
  const record = (addedUseHttpPath: boolean): SetupRecord => ({
    addedReset: (plan.kind === 'change' && plan.addedReset) || previous?.addedReset !== false,
    addedUseHttpPath: addedUseHttpPath || Boolean(previous?.addedUseHttpPath),
    createdFile: previous?.createdFile ?? (!fileExisted || sameFileCreated),
    ...(cache ? { cache } : {}),
    // what setup --hook recorded stays: unsetup removes the hook by it
    ...(previous?.hook ? { hook: previous.hook } : {}),
  });
  if (plan.kind === 'change') {
    cache = plan.steps.flatMap((st) => (st.op === 'add' && CACHE_LINE.test(st.value) ? [st.value] : []))[0] ?? cache;
    // recorded before the first change: a run stopped half-way (another git holding the config
    // lock, a signal, a kill) leaves a lone reset that the next setup or unsetup knows as setup's
    if (!previous) await updateSettings(dir, (st) => void (st.setups = { ...st.setups, [recordKey]: record(false) }));
    await applySteps(plan.steps, { t, file, key, baseUrl: server.baseUrl, values: current, changes, io });
  }
  const block = findBlock(await getAll(t, key), previous?.addedReset === false);
  // what was changed is recorded and printed before the error, if any
  let failure: unknown;
  const chain = await ensureLast({ t, file, key, baseUrl: server.baseUrl, values: [], changes, io }, block).catch(
    (err: unknown) => {
      failure = err;
      return { after: [], under: [], why: '' };
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
    await updateSettings(dir, (st) => void (st.setups = { ...st.setups, [recordKey]: record(addedUseHttpPath) }));
    io.stderr(`Updated ${file} (${t.scope}):\n${changes.map((c) => `  ${c}\n`).join('')}`);
  } else if (!failure) {
    io.stderr(`${file} (${t.scope}) already sends ${server.baseUrl} to this helper; nothing changed.\n`);
  }
  if (failure) throw failure;
  if (chain.after.length > 0)
    io.stderr(
      `warning: git asks ${chain.after.map((h) => `'${h}'`).join(', ')} after this helper for ${server.baseUrl} and hands ${chain.after.length > 1 ? 'them' : 'it'} every token it confirms; ${chain.why}\n`,
    );
  for (const c of chain.under) io.stderr(`warning: ${underWarning(c)}; ${chain.why}\n`);
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

export async function unsetupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const recordKey = `${file}|${server.baseUrl}`;
  const { dir } = storesFor(io);
  const record: SetupRecord | undefined = readSettings(dir).setups?.[recordKey];
  const current = await getAll(t, key);
  const plan = planUnsetup(current, record?.addedReset === false, setupsLoneReset(current, record));
  const changes: string[] = [];
  const why = (i: number) =>
    i === plan.block?.reset || i === plan.lone?.reset
      ? plan.lone
        ? 'the reset of a setup stopped half-way'
        : 'the reset setup wrote'
      : i === plan.block?.cache || i === plan.lone?.cache
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

/**
 * The lone reset (loneReset) a setup stopped half-way left, when it is setup's: the setup record,
 * written before setup's first change, says so. Without a record a lone reset is the user's,
 * even in a section as setup writes it: a user who turns git's helpers off for a host writes
 * exactly that.
 */
function setupsLoneReset(values: readonly string[], record: SetupRecord | undefined): LoneReset | undefined {
  if (!record || record.addedReset === false) return undefined;
  return loneReset(values);
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
