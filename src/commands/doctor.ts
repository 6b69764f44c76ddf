/**
 * `doctor [URL] [--json]`: from "it prompts me again" to the cause in one command. Each finding
 * says what is wrong and the command that fixes it; exit 1 when something is broken.
 */
import type { CommandModule } from 'yargs';
import { supportsConfigHooks } from '../git/hooks.js';
import { configListing, gitVersion } from '../git/repo.js';
import { remotePushUrl } from '../git/repository.js';
import { parseConfigListing } from '../prepush/urlmatch.js';
import { probeWritable } from '../store/keyring.js';
import { configuredBackend } from '../store/select.js';
import { readSettings } from '../store/settings.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandContext, CommandIO } from './shared/io.js';
import { parseServer } from './shared/server.js';
import { timeoutOption } from './shared/timeout.js';
import { ENV } from '../settings.js';
import { dataDirFindings } from './doctor-data-dir.js';
import { printFindings, type Finding } from './doctor-findings.js';
import { analyseHelpers, helperChains, helperPathFindings, underFindings } from './doctor-helper-chain.js';
import { hookFindings } from './doctor-hooks.js';
import { serverFindings } from './doctor-server.js';

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
  const { server: chain, under } = helperChains(url, entries);
  findings.push(...analyseHelpers(chain.helpers, url, stored), ...helperPathFindings(chain.helpers, url));
  for (const c of under) findings.push(...underFindings(c, url));
  findings.push(...(await storeFindings(io)));
  findings.push(...dataDirFindings(io.env));
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
  // the probe `login` and `store` decide by (selectBackend): whether the keyring can store now
  const probe = configured.choice === 'file' ? undefined : await probeWritable();
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
