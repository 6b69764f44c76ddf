/**
 * Installing the pre-push guard: as a hook file in the directory git uses (`git rev-parse
 * --git-path hooks`, which honours core.hooksPath), chaining any existing pre-push hook
 * instead of replacing it; or, on git 2.54+, as a config-based hook (`hook.<name>.command`
 * + `hook.<name>.event`), which `--global` turns into one setting for every repository.
 * Here: the version gate, the hook script and its file in the hooks directory. Config-based hooks
 * are in src/git/config-hooks.ts (their command in src/git/config-hook-command.ts); hooks
 * directories the guard's file does not go into, in src/git/hook-refusal.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { creationProblem, said } from '../private-dir.js';
import { gitSync, type GitRun } from './repo.js';

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
 * aside for it (see configHookRunsGuard in src/git/config-hooks.ts). Replacer functions, because
 * a replacement string would read `$&`, `$'`, `` $` `` in a path as patterns.
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

export type InstallResult =
  | {
      status: 'installed' | 'updated' | 'unchanged';
      file: string;
      chained?: string;
      /** The chained hook is a link to this path, which does not exist (it runs once it does). */
      chainedMissing?: string;
    }
  | { status: 'error'; message: string };

/** Where a hook file goes: the hooks directory git uses for a repository, or a directory of ours. */
export interface HooksDirKind {
  /** `dir` is the repository's hooks directory (`git rev-parse --git-path hooks`). */
  repository: boolean;
  /** This git has config-based hooks (2.54+), which run when hook files are turned off. */
  configHooks: boolean;
}

/**
 * Writes our hook into `dir` (mode 0755). An existing foreign pre-push hook is moved to
 * `pre-push.chained-by-bitbucket` and run by ours; so is a link to a hook that does not exist
 * (kept, so that uninstall puts it back). Running it again only refreshes our file. What stands
 * in the way (hooks turned off by a core.hooksPath that is no directory, a directory named
 * pre-push, a read-only repository) is an error result in one line.
 */
export function installHookFile(dir: string, content: string, kind?: HooksDirKind): InstallResult {
  const file = path.join(dir, 'pre-push');
  const chained = path.join(dir, CHAINED_NAME);
  const blocked = dirProblem(dir, kind);
  if (blocked) return { status: 'error', message: blocked };
  const present = lstatOrUndefined(file);
  if (present && !present.isFile() && !present.isSymbolicLink())
    return { status: 'error', message: `${file} is not a file: move it away and run again` };
  // a link to nothing is someone's hook all the same: chained like any hook not ours
  const existing = linkToNothing(file) !== undefined ? '' : readIfExists(file);
  const hasChained = lstatOrUndefined(chained) !== undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    if (existing !== undefined && !isOurHook(existing)) {
      if (hasChained)
        return {
          status: 'error',
          message: `${file} is not ours and ${chained} already exists: move one of them away first`,
        };
      fs.renameSync(file, chained);
    } else if (existing === content) {
      ensureMode(file);
      return { status: 'unchanged', file, ...(hasChained ? chainedAs(chained) : {}) };
    }
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content, { mode: 0o755 });
    fs.chmodSync(tmp, 0o755);
    fs.renameSync(tmp, file);
  } catch (err) {
    const why = notWritable(err, dir);
    if (why) return { status: 'error', message: `${why}; nothing installed` };
    throw err;
  }
  const nowChained = existing !== undefined && !isOurHook(existing) ? true : hasChained;
  return {
    status: existing !== undefined && isOurHook(existing) ? 'updated' : 'installed',
    file,
    ...(nowChained ? chainedAs(chained) : {}),
  };
}

function chainedAs(chained: string): { chained: string; chainedMissing?: string } {
  const missing = linkToNothing(chained);
  return { chained, ...(missing !== undefined ? { chainedMissing: missing } : {}) };
}

/** Where `file` points when it is a symbolic link to nothing; otherwise undefined. */
function linkToNothing(file: string): string | undefined {
  try {
    return fs.lstatSync(file).isSymbolicLink() && !fs.existsSync(file) ? fs.readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why no hook file can go into `dir`, in one line; undefined when nothing stands in the way. A
 * repository's hooks directory that is no directory (`core.hooksPath=/dev/null`, the usual way
 * to turn hooks off) means git runs no hook file there; a config-based hook still runs.
 */
function dirProblem(dir: string, kind: HooksDirKind | undefined): string | undefined {
  const st = statOrUndefined(dir);
  if (st === undefined) {
    const problem = creationProblem(dir, 'hooks directory', 'nothing installed');
    return problem && said(problem);
  }
  if (st.isDirectory()) return undefined;
  if (!kind?.repository) return `${dir} is not a directory: move it away and run again`;
  const instead = kind.configHooks
    ? '; a config-based hook runs all the same: git credential-bitbucket hook install --config (this repository) or --global (every repository)'
    : '';
  return `hooks are turned off here: the hooks directory git uses, ${dir}, is not a directory (core.hooksPath); nothing installed${instead}`;
}

/** Why writing in `dir` failed, when it is a place this user may not write (read-only, no permission). */
function notWritable(err: unknown, dir: string): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return `cannot write to ${dir}: it is on a read-only file system`;
  if (code === 'EACCES' || code === 'EPERM') return `cannot write to ${dir}: permission denied`;
  return undefined;
}

export type UninstallResult =
  { status: 'removed' | 'absent'; file: string; restored?: string } | { status: 'error'; message: string };

/** Removes our hook from `dir` and puts a chained hook back exactly (rename: same bytes, same mode). */
export function uninstallHookFile(dir: string): UninstallResult {
  const file = path.join(dir, 'pre-push');
  const chained = path.join(dir, CHAINED_NAME);
  const present = lstatOrUndefined(file);
  if (present === undefined) return { status: 'absent', file };
  const existing = present.isFile() || present.isSymbolicLink() ? readIfExists(file) : undefined;
  if (existing === undefined || !isOurHook(existing))
    return { status: 'error', message: `${file} is not the git-credential-bitbucket hook; left as it is` };
  try {
    fs.rmSync(file);
    if (lstatOrUndefined(chained) !== undefined) {
      fs.renameSync(chained, file);
      return { status: 'removed', file, restored: file };
    }
  } catch (err) {
    const why = notWritable(err, dir);
    if (why) return { status: 'error', message: `${why}; the hook is left as it is` };
    throw err;
  }
  return { status: 'removed', file };
}

/**
 * The text of `file`; undefined when there is no file to read there: none, a path through
 * something that is no directory (`core.hooksPath=/dev/null`), a directory, a link to nothing.
 */
export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function ensureMode(file: string): void {
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o777) !== 0o755) fs.chmodSync(file, 0o755);
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
