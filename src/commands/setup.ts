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
  removeSectionIfEmpty,
  setValue,
  unsetAll,
  type ConfigTarget,
  type Scope,
} from '../git/credential-config.js';
import { readSettings, updateSettings, type SetupRecord } from '../store/settings.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { helperInvocation } from './shared/invocation.js';
import type { Program } from '../git/hooks.js';
import { isOurHelper } from '../prepush/remote-config.js';
import { parseServer } from './shared/server.js';

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

/**
 * The desired values of `credential.<url>.helper`: a reset, then ours (git's credential-cache
 * when asked for, then us), last. `cache` is the cache value setup added before, if any: it
 * counts as ours.
 */
export function setupPlan(
  current: string[],
  ours: string,
  cache: { want?: string; had?: string } = {},
): { removeOurs: boolean; addReset: boolean; addOurs: boolean; values: string[] } {
  const values = cache.want ? [cache.want, ours] : [ours];
  const isOurs = (v: string) => isOurHelper(v) || (cache.had !== undefined && v === cache.had);
  const n = current.length;
  const tail = current.slice(n - values.length - 1);
  if (
    tail.length === values.length + 1 &&
    tail[0] === '' &&
    values.every((v, i) => tail[i + 1] === v) &&
    current.filter(isOurs).length === values.length
  ) {
    return { removeOurs: false, addReset: false, addOurs: false, values };
  }
  const others = current.filter((v) => !isOurs(v));
  return { removeOurs: others.length !== n, addReset: others[others.length - 1] !== '', addOurs: true, values };
}

function scopeOf(o: SetupOptions): Scope {
  const chosen = (['global', 'system', 'local'] as const).filter((s) => o[s]);
  if (chosen.length > 1) throw new CommandError('choose one of --global, --system, --local', EXIT.usage);
  return chosen[0] ?? 'global';
}

async function resolveUrl(o: SetupOptions, io: CommandIO): Promise<ReturnType<typeof parseServer>> {
  if (o.url) return parseServer(o.url);
  const accounts = await listAccounts(storesFor(io).stores);
  const bases = [...new Set(accounts.map((a) => a.meta?.baseUrl ?? `${a.protocol}://${a.host}`))];
  if (bases.length === 1) return parseServer(bases[0]!);
  throw new CommandError(
    bases.length === 0
      ? 'name the server: setup https://bitbucket.example.com'
      : `several servers are stored (${bases.join(', ')}); name one`,
    EXIT.usage,
  );
}

/** The server, the config file of the chosen scope, and the keys setup owns there. */
async function target(o: SetupOptions, io: CommandIO) {
  const server = await resolveUrl(o, io);
  const t: ConfigTarget = { scope: scopeOf(o), env: io.env, cwd: process.cwd() };
  const section = `credential.${server.baseUrl}`;
  return { server, t, file: await configFile(t), section, key: `${section}.helper` };
}

export async function setupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const ours = helperInvocation(o.program);
  const fileExisted = fs.existsSync(file);
  const current = await getAll(t, key);
  const record = `${file}|${server.baseUrl}`;
  const previous = readSettings(storesFor(io).dir).setups?.[record];
  // Without --cache a cache setup added before stays as it is.
  const seconds = cacheSeconds(o);
  const had = previous?.cache !== undefined && current.includes(previous.cache) ? previous.cache : undefined;
  const want = seconds !== undefined ? cacheHelper(seconds) : had;
  const plan = setupPlan(current, ours, { want, had: previous?.cache });
  const changes: string[] = [];
  if (plan.removeOurs) {
    const kept = current.filter((v) => !isOurHelper(v) && v !== previous?.cache);
    await unsetAll(t, key);
    for (const v of kept) await addValue(t, key, v);
    changes.push(`- ${key} (an older invocation of this helper)`);
  }
  if (plan.addReset) {
    await addValue(t, key, '');
    changes.push(`+ ${key} = "" (resets the helper list for ${server.baseUrl} only)`);
  }
  if (plan.addOurs) {
    for (const v of plan.values) {
      await addValue(t, key, v);
      changes.push(
        `+ ${key} = ${v}${v === want ? ` (git's credential-cache keeps the token in memory for ${want.split('=')[1]} s)` : ''}`,
      );
    }
  }
  let addedUseHttpPath = false;
  const pathScoped = (await listAccounts(storesFor(io).stores)).some(
    (a) => a.host === server.host && a.path !== undefined,
  );
  if (pathScoped && (await getAll(t, `${section}.useHttpPath`)).length === 0) {
    await setValue(t, `${section}.useHttpPath`, 'true');
    addedUseHttpPath = true;
    changes.push(`+ ${section}.useHttpPath = true (tokens scoped to repository paths are stored)`);
  }
  if (changes.length > 0) {
    await updateSettings(storesFor(io).dir, (s) => {
      s.setups = {
        ...s.setups,
        [record]: {
          addedReset: plan.addReset || Boolean(previous?.addedReset),
          addedUseHttpPath: addedUseHttpPath || Boolean(previous?.addedUseHttpPath),
          createdFile: previous?.createdFile ?? !fileExisted,
          ...(want ? { cache: want } : {}),
        },
      };
    });
    io.stderr(`Updated ${file} (${t.scope}):\n${changes.map((c) => `  ${c}\n`).join('')}`);
  } else {
    io.stderr(`${file} (${t.scope}) already sends ${server.baseUrl} to this helper; nothing changed.\n`);
  }
  return o.hook ? installGuard(t.scope, io) : EXIT.ok;
}

/**
 * `setup --hook`: the pre-push guard for every repository through a config-based hook where git
 * has them (2.54+) and the scope is global, else in the current repository.
 */
async function installGuard(scope: Scope, io: CommandIO): Promise<number> {
  const { hookInstallRun } = await import('./hook.js');
  const { gitVersion } = await import('../git/repo.js');
  const { supportsConfigHooks } = await import('../git/hooks.js');
  const version = gitVersion({ env: io.env });
  if (scope === 'global' && version && supportsConfigHooks(version)) return hookInstallRun({ global: true }, io);
  const inRepo = (await import('../git/hooks.js')).hooksDir({ env: io.env }) !== undefined;
  if (!inRepo) {
    throw new CommandError(
      `this git (${version?.join('.') ?? 'unknown'}) has no config-based hooks (2.54+), so the guard is installed per repository: run 'git credential-bitbucket hook install' inside each one`,
      EXIT.usage,
    );
  }
  return hookInstallRun({}, io);
}

export async function unsetupRun(o: SetupOptions, io: CommandIO): Promise<number> {
  const { server, t, file, section, key } = await target(o, io);
  const recordKey = `${file}|${server.baseUrl}`;
  const { dir } = storesFor(io);
  const record: SetupRecord | undefined = readSettings(dir).setups?.[recordKey];
  const current = await getAll(t, key);
  const changes: string[] = [];
  if (current.some(isOurHelper)) {
    const kept = current.filter((v) => !isOurHelper(v) && v !== record?.cache);
    // Drop the reset we added: the last empty value, which stood right before our helper.
    const resetAt = record?.addedReset !== false ? kept.lastIndexOf('') : -1;
    if (resetAt >= 0 && resetAt === kept.length - 1) kept.splice(resetAt, 1);
    await unsetAll(t, key);
    for (const v of kept) await addValue(t, key, v);
    const cached = record?.cache !== undefined && current.includes(record.cache) ? `, ${record.cache}` : '';
    changes.push(`- ${key} (this helper${cached}${resetAt >= 0 ? ' and the reset before it' : ''})`);
  }
  if (record?.addedUseHttpPath) {
    await unsetAll(t, `${section}.useHttpPath`);
    changes.push(`- ${section}.useHttpPath`);
  }
  if (changes.length > 0) await removeSectionIfEmpty(t, section);
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
