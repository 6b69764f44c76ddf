/**
 * Installing the pre-push guard: as a hook file in the directory git uses (`git rev-parse
 * --git-path hooks`, which honours core.hooksPath), chaining any existing pre-push hook
 * instead of replacing it; or, on git 2.54+, as a config-based hook (`hook.<name>.command`
 * + `hook.<name>.event`), which `--global` turns into one setting for every repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitSync, gitVersion, type GitRun } from './repo.js';

/** The first line after the shebang of every hook we write: how we recognise our own. */
export const MARKER = '# git-credential-bitbucket pre-push guard';
export const CHAINED_NAME = 'pre-push.chained-by-bitbucket';
/** The name of the config-based hook (`hook.<name>.*`). */
export const CONFIG_HOOK_NAME = 'bitbucket-pre-push';
/** git 2.54 added config-based hooks (`hook.<name>.command`, `hook.<name>.event`). */
export const CONFIG_HOOKS_SINCE: [number, number] = [2, 54];

export type InstallPlan =
  { mode: 'file' } | { mode: 'config'; scope: 'global' | 'local' } | { mode: 'error'; message: string };

/** Pure: how to install, from the git version and the flags. */
export function planInstall(
  version: [number, number, number] | undefined,
  opts: { global?: boolean; config?: boolean },
): InstallPlan {
  const ok = version !== undefined && supportsConfigHooks(version);
  const have = version ? version.join('.') : 'unknown';
  if (opts.global) {
    return ok
      ? { mode: 'config', scope: 'global' }
      : {
          mode: 'error',
          message: `--global needs config-based hooks (git 2.54 or newer); this git is ${have}. Install per repository instead: run 'hook install' inside each repository`,
        };
  }
  if (opts.config)
    return ok
      ? { mode: 'config', scope: 'local' }
      : { mode: 'error', message: `--config needs git 2.54 or newer; this git is ${have}` };
  return { mode: 'file' };
}

export function supportsConfigHooks(v: readonly [number, number, number]): boolean {
  const [major, minor] = CONFIG_HOOKS_SINCE;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

/** The hooks directory git uses for this repository (absolute). */
export function hooksDir(run: GitRun = {}): string | undefined {
  const r = gitSync(['rev-parse', '--git-path', 'hooks'], run);
  if (r.status !== 0) return undefined;
  return path.resolve(run.cwd ?? process.cwd(), r.stdout.trim());
}

/** Where the program is, written into the installed hook so that it works without PATH. */
export interface Program {
  node: string;
  bin: string;
}

/** sh single-quoting. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Pure: the hook file with the program's absolute paths filled in, and for the script a
 * config-based hook runs, `GCB_KIND=config`: it tells the guard so (environment
 * `GIT_CREDENTIAL_BITBUCKET_HOOK=config`), and a hook file of the guard in a repository then steps
 * aside for it (see {@link configHookRunsGuard}). Replacer functions, because a replacement
 * string would read `$&`, `$'`, `` $` `` in a path as patterns.
 */
export function renderHook(template: string, program: Program, kind: 'file' | 'config' = 'file'): string {
  const out = template
    .replace(/^GCB_NODE=.*$/m, () => `GCB_NODE=${shQuote(program.node)}`)
    .replace(/^GCB_BIN=.*$/m, () => `GCB_BIN=${shQuote(program.bin)}`);
  return kind === 'config' ? out.replace(/^GCB_KIND=.*$/m, 'GCB_KIND=config') : out;
}

/** The script is ours and rendered for a config-based hook (`GCB_KIND=config`). */
export function isConfigHookScript(text: string): boolean {
  return isOurHook(text) && /^GCB_KIND=config$/m.test(text);
}

export function isOurHook(text: string): boolean {
  return text.split('\n', 3).includes(MARKER);
}

/** The shim shipped in the package's `hooks/pre-push`, looked up from this module's place (src/ or dist/). */
export function readTemplate(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, 'hooks', 'pre-push');
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (isOurHook(text)) return text;
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  throw new Error('the hook template hooks/pre-push is missing from the installation');
}

/**
 * The line that runs the guard from a pre-push hook of the user's own (husky's `.husky/pre-push`,
 * a hook file in a repository's tracked hooks directory): with the hook's arguments and the ref
 * list on its stdin; exit 10 blocks the push, as in hooks/pre-push; where the program is not on
 * PATH (a teammate without it) or fails otherwise, the push goes on. Safe under `sh -e` (husky).
 */
export const GUARD_LINE =
  'if command -v git-credential-bitbucket >/dev/null 2>&1; then git-credential-bitbucket hook pre-push "$@" || [ $? -ne 10 ] || exit 1; fi';

/** Pure: the hook file's text holds a line that runs the guard (as {@link GUARD_LINE} does). */
export function runsGuardLine(text: string): boolean {
  return /^[^#\n]*git[- ]credential-bitbucket hook pre-push /m.test(text);
}

/** A hooks directory the guard's file does not go into, and why (see {@link hooksDirRefusal}). */
export interface Refusal {
  dir: string;
  /**
   * `husky`: husky's (it rewrites the directory on `npm install` and picks the hook to run by
   * the file's name, so a renamed hook no longer runs); `work-tree`: in the repository's work
   * tree; `tracked`: git tracks files in it (committed, the guard's file would carry this
   * machine's paths to everyone).
   */
  kind: 'husky' | 'work-tree' | 'tracked';
  /** The user's own hook file to run the guard from, where there is one. */
  userHook?: string;
}

/**
 * Whether `dir` (the hooks directory git uses) must not receive the guard's file: husky's
 * directory (husky 9: `.husky/_` with `h`; husky 5-8: `.husky` with `_/husky.sh`; husky 4:
 * `husky.sh`; older: a pre-push hook that names husky), a directory inside this repository's
 * work tree (not its git directory), or one holding files some repository tracks.
 */
export function hooksDirRefusal(dir: string, run: GitRun = {}): Refusal | undefined {
  const has = (name: string) => fs.existsSync(path.join(dir, name));
  const own = path.join(dir, 'pre-push');
  const ownText = readIfExists(own) ?? '';
  if (has('h')) return { dir, kind: 'husky', userHook: path.join(path.dirname(dir), 'pre-push') };
  if (has(path.join('_', 'husky.sh'))) return { dir, kind: 'husky', userHook: own };
  if (has('husky.sh') || (!isOurHook(ownText) && /husky/i.test(ownText))) return { dir, kind: 'husky' };
  const real = realOrSelf(dir);
  const top = gitSync(['rev-parse', '--show-toplevel'], run);
  const common = gitSync(['rev-parse', '--git-common-dir'], run);
  if (top.status === 0 && common.status === 0) {
    const cwd = run.cwd ?? process.cwd();
    const gitDir = realOrSelf(path.resolve(cwd, common.stdout.trim()));
    if (isWithin(real, realOrSelf(top.stdout.trim())) && !isWithin(real, gitDir))
      return { dir, kind: 'work-tree', userHook: own };
  }
  if (fs.existsSync(dir)) {
    // any repository: a directory of dotfiles, say; git's variables would name this one instead
    const env = { ...(run.env ?? process.env) };
    for (const k of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR', 'GIT_CEILING_DIRECTORIES'])
      delete env[k];
    // inside a git directory (.git/hooks) git would list the whole work tree's files
    const inWorkTree = gitSync(['rev-parse', '--is-inside-work-tree'], { env, cwd: dir });
    const tracked =
      inWorkTree.stdout.trim() === 'true' ? gitSync(['ls-files', '--', '.'], { env, cwd: dir }) : undefined;
    if (tracked?.status === 0 && tracked.stdout.trim() !== '') return { dir, kind: 'tracked', userHook: own };
  }
  return undefined;
}

/** The real path of `p`, or of its nearest existing ancestor with the rest appended (a hooks directory not made yet). */
function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realOrSelf(parent), path.basename(p));
  }
}

function isWithin(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Pure: why the guard's file is not written into `r.dir` and what to do instead, one point a line
 * (the line to add stands alone, to be copied). `oursThere`: an older version put the guard's
 * file there already.
 */
export function refusalLines(r: Refusal, configHooks: boolean, oursThere: boolean): string[] {
  const why = {
    husky: "it is husky's hook directory: husky rewrites it and runs a hook by its file name, so it cannot chain yours",
    'work-tree':
      "it is inside the repository's work tree: committed, the guard's file would give everyone this machine's paths",
    tracked: "git tracks files in it: committed, the guard's file would give everyone this machine's paths",
  }[r.kind];
  return [
    `not installing the pre-push guard into ${r.dir}: ${why}.`,
    ...(oursThere
      ? ["Remove the guard's file an older version put there: git credential-bitbucket hook uninstall"]
      : []),
    r.userHook
      ? `To run the guard from your own hook, add this line to ${r.userHook} (before anything there reads the hook's input):`
      : 'To run the guard from husky, use husky 9 or newer and add this line to .husky/pre-push:',
    `    ${GUARD_LINE}`,
    configHooks
      ? 'Or guard every repository with a config-based hook, nothing in the work tree: git credential-bitbucket hook install --global'
      : 'Or, with git 2.54 or newer: git credential-bitbucket hook install --global (a config-based hook, nothing in the work tree)',
  ];
}

export type InstallResult =
  | { status: 'installed' | 'updated' | 'unchanged'; file: string; chained?: string }
  | { status: 'error'; message: string };

/**
 * Writes our hook into `dir` (mode 0755). An existing foreign pre-push hook is moved to
 * `pre-push.chained-by-bitbucket` and run by ours. Running it again only refreshes our file.
 */
export function installHookFile(dir: string, content: string): InstallResult {
  const file = path.join(dir, 'pre-push');
  const chained = path.join(dir, CHAINED_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const existing = readIfExists(file);
  const hasChained = fs.existsSync(chained);
  if (existing !== undefined && !isOurHook(existing)) {
    if (hasChained)
      return {
        status: 'error',
        message: `${file} is not ours and ${chained} already exists: move one of them away first`,
      };
    fs.renameSync(file, chained);
  } else if (existing === content) {
    ensureMode(file);
    return { status: 'unchanged', file, ...(hasChained ? { chained } : {}) };
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode: 0o755 });
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, file);
  const nowChained = existing !== undefined && !isOurHook(existing) ? true : hasChained;
  return {
    status: existing !== undefined && isOurHook(existing) ? 'updated' : 'installed',
    file,
    ...(nowChained ? { chained } : {}),
  };
}

export type UninstallResult =
  { status: 'removed' | 'absent'; file: string; restored?: string } | { status: 'error'; message: string };

/** Removes our hook from `dir` and puts a chained hook back exactly (rename: same bytes, same mode). */
export function uninstallHookFile(dir: string): UninstallResult {
  const file = path.join(dir, 'pre-push');
  const chained = path.join(dir, CHAINED_NAME);
  const existing = readIfExists(file);
  if (existing === undefined) return { status: 'absent', file };
  if (!isOurHook(existing))
    return { status: 'error', message: `${file} is not the git-credential-bitbucket hook; left as it is` };
  fs.rmSync(file);
  if (fs.existsSync(chained)) {
    fs.renameSync(chained, file);
    return { status: 'removed', file, restored: file };
  }
  return { status: 'removed', file };
}

/** `git config [--global] hook.<name>.command|event`: install (command given) or remove (null). */
export function setConfigHook(
  scope: 'global' | 'local',
  command: string | null,
  run: GitRun = {},
): { ok: true } | { ok: false; message: string } {
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
  for (const s of steps) {
    const r = gitSync(['config', ...where, ...s], run);
    if (r.status !== 0 && !(command === null && r.status === 5))
      return { ok: false, message: r.stderr.trim() || `git config exited ${r.status}` };
  }
  return { ok: true };
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function ensureMode(file: string): void {
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o777) !== 0o755) fs.chmodSync(file, 0o755);
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

/** The text of the file a config-based hook's command runs, when {@link commandFile} knows the command. */
function commandScript(name: string, run: GitRun): string | undefined {
  return scriptOf(configHookTarget(name, run).command);
}

/** The file's text, for a command {@link commandFile} knows. */
function scriptOf(command: string): string | undefined {
  const file = commandFile(command)?.file;
  if (file === undefined) return undefined;
  try {
    return readIfExists(file);
  } catch {
    return undefined;
  }
}

/**
 * Pure: the `hook.<name>.command` that runs `file`, or says so in one line and lets the push go on
 * when the file is gone (data directory wiped, a ~/.gitconfig copied to another machine): a
 * missing tool never blocks work. The line names the program that set the hook (`bin`), which is
 * also how install.sh --uninstall knows the hook for its own. git runs a command with spaces as
 * `sh -c '<command> "$@"'` (run-command.c `prepare_shell_cmd`), so the hook's arguments go to the
 * function at the end.
 */
export function configHookCommand(file: string, bin: string): string {
  return `gcb() { h=${shQuote(file)}; if [ -x "$h" ]; then exec "$h" "$@"; fi; echo "git-credential-bitbucket: $h is missing or not executable; pre-push check skipped (hook set by "${shQuote(bin)}"; see: git credential-bitbucket doctor)" >&2; }; gcb`;
}

/**
 * Pure: the file a config-based hook's command runs, when the command is {@link configHookCommand}'s
 * (`tolerant`) or one file's path, `'/path/to/file'` as {@link shQuote} writes it or plain and
 * absolute (`plain`: written by older versions; git fails every push when the file is gone).
 */
export function commandFile(command: string): { file: string; form: 'tolerant' | 'plain' } | undefined {
  const QUOTED = /'(?:[^']|'\\'')*'/.source;
  const unquote = (q: string) => q.slice(1, -1).replace(/'\\''/g, "'");
  const tolerant = new RegExp(`^gcb\\(\\) \\{ h=(${QUOTED}); .*\\(hook set by "(${QUOTED})"; `).exec(command);
  if (tolerant) {
    const file = unquote(tolerant[1]!);
    const bin = unquote(tolerant[2]!);
    return configHookCommand(file, bin) === command && path.isAbsolute(file) ? { file, form: 'tolerant' } : undefined;
  }
  const quoted = new RegExp(`^${QUOTED}$`).test(command);
  const file = quoted ? unquote(command) : command;
  if (!path.isAbsolute(file) || (!quoted && /\s/.test(file))) return undefined;
  return { file, form: 'plain' };
}

/** What doctor needs to know of a config-based hook's command: the file it runs and whether git can run it. */
export function configHookTarget(
  name: string,
  run: GitRun = {},
): { command: string; file?: string; form?: 'tolerant' | 'plain'; runnable: boolean } {
  const r = gitSync(['config', '--get-all', `hook.${name}.command`], run);
  const command = r.stdout.replace(/\n$/, '').split('\n').pop() ?? '';
  const target = commandFile(command);
  if (!target) return { command, runnable: true };
  return { command, ...target, runnable: isExecutable(target.file) && fs.statSync(target.file).isFile() };
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

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
