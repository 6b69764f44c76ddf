/**
 * Config-based hooks (git 2.54+, `hook.<name>.command` + `hook.<name>.event`): setting and
 * removing the guard's, and which pre-push hooks git runs for a push (`git hook list`), so that
 * the guard runs once whether it is set as a hook file, a config-based hook, or both.
 */
import path from 'node:path';
import { configHookTarget, scriptOf } from './config-hook-command.js';
import {
  CONFIG_HOOK_NAME,
  hooksDir,
  isConfigHookScript,
  isExecutable,
  isOurHook,
  readIfExists,
  supportsConfigHooks,
} from './hooks.js';
import { gitSync, gitVersion, type GitRun } from './repo.js';

/**
 * `git config [--global] hook.<name>.command|event`: install (command given) or remove (null);
 * `changed` is false when a removal found neither key.
 */
export function setConfigHook(
  scope: 'global' | 'local',
  command: string | null,
  run: GitRun = {},
): { ok: true; changed: boolean } | { ok: false; message: string } {
  const where = scope === 'global' ? ['--global'] : ['--local'];
  const key = (k: string) => `hook.${CONFIG_HOOK_NAME}.${k}`;
  const steps: string[][] =
    command === null
      ? [
          ['--unset-all', key('command')],
          ['--unset-all', key('event')],
        ]
      : [
          ['--replace-all', key('command'), command],
          ['--replace-all', key('event'), 'pre-push'],
        ];
  let changed = false;
  for (const s of steps) {
    const r = gitSync(['config', ...where, ...s], run);
    if (r.status === 0) changed = true;
    else if (!(command === null && r.status === 5))
      return { ok: false, message: r.stderr.trim() || `git config exited ${r.status}` };
  }
  return { ok: true, changed };
}

/** One hook `git hook list --show-scope pre-push` names (git 2.54+). */
export interface ListedHook {
  /** The friendly name of a config-based hook, or `hookdir` for the file in the hooks directory. */
  name: string;
  scope?: string;
  /** `disabled` by `hook.<name>.enabled=false`; `event-disabled` by `hook.pre-push.enabled=false`. */
  state: 'enabled' | 'disabled' | 'event-disabled';
}

/**
 * Pure: `git hook list --show-scope pre-push` lines, `[<scope>\t][disabled|event-disabled\t]<name>`,
 * and `hook from hookdir` for an executable file in the hooks directory. git 2.55 skips only
 * config-based hooks for `hook.pre-push.enabled=false`: the hook file still runs (hook.c
 * `pick_next_hook`), so it is listed as enabled here.
 */
export function parseHookList(text: string): ListedHook[] {
  const out: ListedHook[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (line === 'hook from hookdir') {
      out.push({ name: 'hookdir', state: 'enabled' });
      continue;
    }
    const parts = line.split('\t');
    const name = parts.pop() ?? '';
    const state = parts.includes('event-disabled')
      ? 'event-disabled'
      : parts.includes('disabled')
        ? 'disabled'
        : 'enabled';
    const scope = parts.find((p) => p !== 'disabled' && p !== 'event-disabled');
    out.push({ name, state, ...(scope ? { scope } : {}) });
  }
  return out;
}

/** Where the guard is set to run on `git push` in a repository, and which of those git really runs. */
export interface GuardRuns {
  /** Config-based hooks whose command is the guard, with their state. */
  configHooks: ListedHook[];
  /** The hooks directory holds our executable pre-push file. */
  fileHook: boolean;
  /**
   * The hook file runs but the guard in it steps aside: an enabled config-based hook runs a
   * script rendered for config hooks ({@link configHookRunsGuard}).
   */
  fileStepsAside: boolean;
  /** How many times one push runs the guard. */
  runs: number;
}

/**
 * Asks git which pre-push hooks it runs here (git 2.54+; older gits run only the hook file) and
 * which of them are the guard: the file when it carries our marker, a config-based hook when it
 * is ours by name or its command is a file carrying our marker.
 */
export function guardRuns(run: GitRun = {}): GuardRuns {
  const dir = hooksDir(run);
  const file = dir ? path.join(dir, 'pre-push') : undefined;
  const fileOurs = file !== undefined && isExecutable(file) && isOurHook(readIfExists(file) ?? '');
  const version = gitVersion(run);
  if (!version || !supportsConfigHooks(version))
    return { configHooks: [], fileHook: fileOurs, fileStepsAside: false, runs: fileOurs ? 1 : 0 };
  const listed = gitSync(['hook', 'list', '--show-scope', 'pre-push'], run);
  const hooks = listed.status === 0 ? parseHookList(listed.stdout) : [];
  const scripts = new Map(hooks.map((h) => [h.name, h.name === 'hookdir' ? undefined : commandScript(h.name, run)]));
  const configHooks = hooks.filter((h) => h.name !== 'hookdir' && isGuardCommand(h.name, scripts.get(h.name)));
  const fileHook = fileOurs && hooks.some((h) => h.name === 'hookdir');
  const enabled = configHooks.filter((h) => h.state === 'enabled');
  const fileStepsAside = fileHook && enabled.some((h) => isConfigHookScript(scripts.get(h.name) ?? ''));
  return { configHooks, fileHook, fileStepsAside, runs: enabled.length + (fileHook && !fileStepsAside ? 1 : 0) };
}

function isGuardCommand(name: string, script: string | undefined): boolean {
  return name === CONFIG_HOOK_NAME || isOurHook(script ?? '');
}

/**
 * The text of the file a config-based hook's command runs, when commandFile
 * (src/git/config-hook-command.ts) knows the command.
 */
function commandScript(name: string, run: GitRun): string | undefined {
  return scriptOf(configHookTarget(name, run).command);
}

/** The parts of a git config entry {@link configHookRunsGuard} reads (`hook.<name>.<key>`). */
export interface HookConfigEntry {
  section: string;
  /** The subsection: the config-based hook's name. */
  url?: string;
  name: string;
  value: string | null;
}

/**
 * For the guard in a repository's hook file: the name of an enabled config-based pre-push hook
 * that runs the guard's config-hook script (so the file steps aside and a push runs the guard
 * once), else undefined. `entries` is the hook's config listing (`hook.*` included), so that
 * without such a hook (git before 2.54 never runs one) this costs no process; with one, `git hook
 * list` (git 2.54+; older gits fail it, and run the file) says whether git runs it for this push.
 * A script without `GCB_KIND=config` (installed by an older version) is not relied on: it would
 * step aside too.
 */
export function configHookRunsGuard(entries: readonly HookConfigEntry[], run: GitRun = {}): string | undefined {
  const commands = new Map<string, string>();
  const prePush = new Set<string>();
  for (const e of entries) {
    if (e.section !== 'hook' || e.url === undefined) continue;
    if (e.name === 'command') commands.set(e.url, e.value ?? '');
    if (e.name === 'event' && e.value === 'pre-push') prePush.add(e.url);
  }
  const ours = [...prePush].filter((n) => isConfigHookScript(scriptOf(commands.get(n) ?? '') ?? ''));
  if (ours.length === 0) return undefined;
  const listed = gitSync(['hook', 'list', '--show-scope', 'pre-push'], run);
  if (listed.status !== 0) return undefined;
  return parseHookList(listed.stdout).find((h) => h.state === 'enabled' && ours.includes(h.name))?.name;
}

/** Pure: the guard's places in one phrase, e.g. `config hook hook.x (global) and the hook file`. */
export function describeGuardRuns(g: GuardRuns, only: 'enabled' | 'all' = 'enabled'): string {
  const hooks = g.configHooks.filter((h) => only === 'all' || h.state === 'enabled');
  const places = [
    ...hooks.map((h) => `config-based hook hook.${h.name}${h.scope ? ` (${h.scope})` : ''}`),
    ...(g.fileHook && !g.fileStepsAside ? ['the pre-push hook file'] : []),
  ].join(' and ');
  return g.fileStepsAside ? `${places} (the guard's hook file here steps aside for it)` : places;
}
