/**
 * Hooks directories the guard's file does not go into (husky's, one inside the work tree, one git
 * tracks), what to do instead, and the lines that run the guard from the user's own pre-push hook.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isOurHook, readIfExists } from './hooks.js';
import { gitSync, type GitRun } from './repo.js';

/**
 * The lines that run the guard from a pre-push hook of the user's own (husky's `.husky/pre-push`,
 * a hook file in a repository's tracked hooks directory), put before anything there reads the
 * hook's input: they keep the ref list, hand it to the guard with the hook's arguments, then give
 * it back as the rest of the hook's stdin, exactly as git wrote it (no line at all for an empty
 * list: git runs the hook with none when everything is up to date, and the guard has nothing to
 * check then). Exit 10 blocks the push, as in hooks/pre-push; where the program is not on PATH
 * (a teammate without it) or fails otherwise, the push goes on. Safe under `sh -e` (husky).
 */
export const GUARD_LINES: readonly string[] = [
  "# git-credential-bitbucket's pre-push guard; git's ref list stays on stdin for the rest of this hook",
  'gcb_in=$(cat)',
  'if [ -n "$gcb_in" ] && command -v git-credential-bitbucket >/dev/null 2>&1; then',
  '  printf \'%s\\n\' "$gcb_in" | git-credential-bitbucket hook pre-push "$@" || [ $? -ne 10 ] || exit 1',
  'fi',
  '[ -z "$gcb_in" ] || exec <<EOF || exit 1',
  '$gcb_in',
  'EOF',
];

/**
 * The one line older versions printed instead: the guard read the hook's whole input, so nothing
 * after it in the file saw a ref (a check there that refuses a push to main passed every push).
 */
const SWALLOWING_LINE =
  'if command -v git-credential-bitbucket >/dev/null 2>&1; then git-credential-bitbucket hook pre-push "$@" || [ $? -ne 10 ] || exit 1; fi';

/** Pure: the hook file's text holds a line that runs the guard (as {@link GUARD_LINES} do). */
export function runsGuardLine(text: string): boolean {
  return /^[^#\n]*git[- ]credential-bitbucket hook pre-push /m.test(text);
}

/**
 * Pure: the hook file runs the guard with the line of older versions, and a command after it
 * would read the ref list that the guard has taken.
 */
export function guardTakesInput(text: string): boolean {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.trim() === SWALLOWING_LINE);
  return at >= 0 && lines.slice(at + 1).some((l) => /^\s*[^#\s]/.test(l));
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
 * (the lines to add stand alone, indented, to be copied). `oursThere`: an older version put the guard's
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
      ? `To run the guard from your own hook, add these lines to ${r.userHook}, before anything there reads the hook's input:`
      : 'To run the guard from husky, use husky 9 or newer and add these lines at the top of .husky/pre-push:',
    ...GUARD_LINES.map((l) => `    ${l}`),
    configHooks
      ? 'Or guard every repository with a config-based hook, nothing in the work tree: git credential-bitbucket hook install --global'
      : 'Or, with git 2.54 or newer: git credential-bitbucket hook install --global (a config-based hook, nothing in the work tree)',
  ];
}
