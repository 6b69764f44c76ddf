/**
 * `hook install|uninstall` and the hidden `hook pre-push <remote> <url>` that the installed
 * hook calls (the launcher should send that one to the fast bundle, dist/hook.cjs; this
 * handler is the fallback through the full CLI).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { configHookCommand } from '../git/config-hook-command.js';
import { describeGuardRuns, guardRuns, setConfigHook } from '../git/config-hooks.js';
import { hooksDirRefusal, refusalLines } from '../git/hook-refusal.js';
import {
  hooksDir,
  installHookFile,
  isOurHook,
  planInstall,
  readTemplate,
  renderHook,
  uninstallHookFile,
  supportsConfigHooks,
  type Program,
} from '../git/hooks.js';
import { gitVersion, type GitRun } from '../git/repo.js';
import { runPrePush } from '../prepush/run.js';
import { dataDir } from '../settings.js';
import { EXIT } from './shared/errors.js';
import { program } from './shared/invocation.js';
import type { CommandContext, CommandIO } from './shared/io.js';

export interface HookInstallOptions {
  global?: boolean;
  config?: boolean;
  /** The program the hook will run; defaults to this process's node and launcher. */
  program?: Program;
  cwd?: string;
  /** Injected for tests of the version gate; defaults to `git --version`. */
  version?: [number, number, number];
}

export async function hookInstallRun(o: HookInstallOptions, io: CommandIO): Promise<number> {
  const run: GitRun = { env: io.env, ...(o.cwd ? { cwd: o.cwd } : {}) };
  const version = o.version ?? gitVersion(run);
  const plan = planInstall(version, o);
  if (plan.mode === 'error') {
    io.stderr(`git-credential-bitbucket: ${plan.message}\n`);
    return EXIT.usage;
  }
  const prog = o.program ?? program();
  const content = renderHook(readTemplate(), prog);
  if (plan.mode === 'config') {
    const shimDir = path.join(dataDir(io.env), 'hooks');
    const shim = installHookFile(shimDir, renderHook(readTemplate(), prog, 'config'));
    if (shim.status === 'error') return fail(io, shim.message);
    const set = setConfigHook(plan.scope, configHookCommand(shim.file, prog.bin), run);
    if (!set.ok) return fail(io, set.message);
    io.stderr(
      `Installed the pre-push guard as config-based hook "hook.bitbucket-pre-push" (${plan.scope}), running ${shim.file}.\n`,
    );
    return replaceFileHook(run, io);
  }
  const dir = hooksDir(run);
  if (!dir)
    return fail(io, 'not inside a git repository: run this in the repository to guard, or use --global (git 2.54+)');
  const before = guardRuns(run);
  if (before.configHooks.some((h) => h.state === 'enabled')) {
    // a hook file as well would run the guard twice per push
    if (before.fileHook) return replaceFileHook(run, io);
    io.stderr(
      `The pre-push guard already runs here through ${describeGuardRuns(before)}; no hook file written (both would run it twice per push).\n`,
    );
    return EXIT.ok;
  }
  const refusal = hooksDirRefusal(dir, run);
  if (refusal) {
    const oursThere = isOurHook(readText(path.join(dir, 'pre-push')));
    const lines = refusalLines(refusal, version !== undefined && supportsConfigHooks(version), oursThere);
    io.stderr(`git-credential-bitbucket: ${lines.join('\n')}\n`);
    return EXIT.error;
  }
  const configHooks = version !== undefined && supportsConfigHooks(version);
  const r = installHookFile(dir, content, { repository: true, configHooks });
  if (r.status === 'error') return fail(io, r.message);
  const verb = r.status === 'unchanged' ? 'is already installed' : r.status === 'updated' ? 'updated' : 'installed';
  const previous = r.chainedMissing
    ? ` (your previous hook, a link to ${r.chainedMissing}, which does not exist, is kept as ${r.chained} and runs once it does)`
    : r.chained
      ? ` (it also runs your previous hook, kept as ${r.chained})`
      : '';
  io.stderr(`Pre-push guard ${verb}: ${r.file}${previous}.\n`);
  if (configHooks)
    io.stderr(
      'Tip: this git supports config-based hooks; `hook install --global` guards every repository with one setting.\n',
    );
  return EXIT.ok;
}

/**
 * After a config-based hook is installed: our hook file in this repository would run the guard a
 * second time per push, so it goes (a hook it chained is put back and git runs it on its own).
 */
function replaceFileHook(run: GitRun, io: CommandIO): number {
  const g = guardRuns(run);
  const dir = hooksDir(run);
  if (g.fileHook && dir && g.configHooks.some((h) => h.state === 'enabled')) {
    const r = uninstallHookFile(dir);
    if (r.status === 'error') return fail(io, r.message);
    io.stderr(
      `Removed the guard's hook file ${r.file} (the config-based hook runs it${r.status === 'removed' && r.restored ? '; your previous pre-push hook is back in place and still runs' : ''}).\n`,
    );
  }
  const after = guardRuns(run);
  if (after.runs > 1)
    io.stderr(
      `git-credential-bitbucket: warning: the guard still runs ${after.runs} times per push here: ${describeGuardRuns(after)}\n`,
    );
  return EXIT.ok;
}

export async function hookUninstallRun(
  o: { global?: boolean; config?: boolean; cwd?: string },
  io: CommandIO,
): Promise<number> {
  const run: GitRun = { env: io.env, ...(o.cwd ? { cwd: o.cwd } : {}) };
  if (o.global || o.config) {
    const set = setConfigHook(o.global ? 'global' : 'local', null, run);
    if (!set.ok) return fail(io, set.message);
    const scope = o.global ? 'global' : 'local';
    io.stderr(
      set.changed
        ? `Removed the config-based pre-push hook (${scope}).\n`
        : `No config-based pre-push hook of the guard (${scope}); nothing to do.\n`,
    );
    return EXIT.ok;
  }
  const dir = hooksDir(run);
  if (!dir) return fail(io, 'not inside a git repository');
  const r = uninstallHookFile(dir);
  if (r.status === 'error') return fail(io, r.message);
  io.stderr(
    r.status === 'absent'
      ? `No pre-push hook in ${dir}; nothing to do.\n`
      : `Removed ${r.file}${r.restored ? '; your previous pre-push hook is back in place' : ''}.\n`,
  );
  return EXIT.ok;
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function fail(io: CommandIO, message: string): number {
  io.stderr(`git-credential-bitbucket: ${message}\n`);
  return EXIT.error;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

interface HookArgs {
  global?: boolean;
  config?: boolean;
  remote?: string;
  url?: string;
}

export function hookCommand(ctx: CommandContext): CommandModule<object, HookArgs> {
  const scope = {
    global: { type: 'boolean', describe: 'every repository, through a global config-based hook (git 2.54+)' },
    config: { type: 'boolean', describe: 'this repository, through a config-based hook (git 2.54+)' },
  } as const;
  return {
    command: 'hook',
    describe: 'install or remove the pre-push guard',
    builder: (y) =>
      y
        .command(
          'install',
          'install the pre-push guard (chains an existing pre-push hook)',
          (b) => b.options(scope),
          async (a) => {
            ctx.exitCode = await hookInstallRun({ global: a.global, config: a.config }, ctx.io);
          },
        )
        .command(
          'uninstall',
          'remove the pre-push guard (restores a chained hook)',
          (b) => b.options(scope),
          async (a) => {
            ctx.exitCode = await hookUninstallRun({ global: a.global, config: a.config }, ctx.io);
          },
        )
        .command({
          command: 'pre-push <remote> <url>',
          describe: false,
          handler: async (argv) => {
            const a = argv as HookArgs;
            const input = ctx.io.stdinIsTTY ? '' : await readAll(ctx.io.stdin);
            ctx.exitCode = await runPrePush([a.remote ?? '', a.url ?? ''], input, {
              env: ctx.io.env,
              now: ctx.io.now,
              stderr: ctx.io.stderr,
            });
          },
        })
        .demandCommand(1, 'name an action: install or uninstall') as never,
    handler: () => {},
  };
}
