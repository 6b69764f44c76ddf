/**
 * The one rule for the directories and files the product keeps to itself (data, state and cache
 * directories, the store file, its lock): they belong to this user, nobody else can write them,
 * and they are not symbolic links. What another user can write or replace, they can read our
 * tokens through, or plant a store that `get` would hand to git.
 *
 * The launcher (bin/git-credential-bitbucket.cjs) loads nothing, so it keeps a copy of
 * `privateProblem` for its code cache (test/store/ownership.test.ts runs one table against both)
 * and of ensurePrivateDir's rule for where a directory may be made (`mayCreateIn`; exercised end
 * to end by test/store/home-dirs.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ENV } from './settings.js';

/** What is wrong with a path, by the rule: a link, the wrong kind, another owner, writable by others. */
export type PrivateProblem = 'symlink' | 'kind' | 'owner' | 'writable';

/** The fields of an lstat/fstat result the rule looks at. */
export interface StatLike {
  mode: number;
  uid: number;
  isSymbolicLink(): boolean;
  isDirectory(): boolean;
  isFile(): boolean;
}

/**
 * The rule, pure: `st` from lstat (or fstat of a file opened with O_NOFOLLOW), `uid` this
 * process's (undefined where there is none, i.e. Windows: no owner check).
 */
export function privateProblem(st: StatLike, dir: boolean, uid: number | undefined): PrivateProblem | undefined {
  if (st.isSymbolicLink()) return 'symlink';
  if (dir ? !st.isDirectory() : !st.isFile()) return 'kind';
  if (uid !== undefined && st.uid !== uid) return 'owner';
  if (st.mode & 0o022) return 'writable';
  return undefined;
}

/** A path the rule refuses; the message names it and says how to fix it, in one line. */
export class UnsafePathError extends Error {
  constructor(
    readonly file: string,
    readonly problem: PrivateProblem,
    what: string,
    st?: { uid: number; mode: number },
  ) {
    super(unsafeMessage(file, problem, what, st));
    this.name = 'UnsafePathError';
  }
}

function unsafeMessage(
  file: string,
  problem: PrivateProblem,
  what: string,
  st?: { uid: number; mode: number },
): string {
  const dir = what.endsWith('directory');
  switch (problem) {
    case 'symlink':
      return `refusing ${what} ${file}: it is a symbolic link; remove the link (rm '${file}') and run again`;
    case 'kind':
      return `refusing ${what} ${file}: it is not a ${dir ? 'directory' : 'regular file'}; move it away and run again`;
    case 'owner':
      return st !== undefined && rootWithHomeOf(st.uid)
        ? `refusing ${what} ${file}: it belongs to uid ${st.uid}, ${SUDO_E}; ${SUDO_E_WAY}`
        : `refusing ${what} ${file}: it is owned by uid ${st?.uid ?? '?'}, not by you (uid ${process.getuid?.() ?? '?'}); remove it, or chown it to yourself if you made it`;
    case 'writable':
      return `refusing ${what} ${file}: others can write to it (mode ${((st?.mode ?? 0) & 0o777).toString(8).padStart(3, '0')}); chmod ${dir ? '700' : '600'} '${file}'`;
  }
}

/** This process's uid where the rule checks owners (POSIX). */
export function currentUid(): number | undefined {
  return process.platform === 'win32' ? undefined : process.getuid?.();
}

/**
 * Throws an UnsafePathError when `st` breaks the rule. On Windows nothing is checked: there are
 * no POSIX owners and modes (the user's profile directory is private by its ACL).
 */
export function assertPrivate(file: string, st: StatLike, dir: boolean, what: string): void {
  if (process.platform === 'win32') return;
  const problem = privateProblem(st, dir, currentUid());
  if (problem) throw new UnsafePathError(file, problem, what, st);
}

/**
 * Checks an existing directory by the rule (lstat: a link is refused, never followed); false
 * when it does not exist. Other errors (ENOTDIR, EACCES) are left to the operation that follows,
 * which names them.
 */
export function checkPrivateDir(dir: string, what = 'data directory'): boolean {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return false;
  }
  assertPrivate(dir, st, true, what);
  return true;
}

/** What to say to root running with another user's HOME: their files are not root's to take or remove. */
const SUDO_E = "and you are root with that user's HOME (sudo -E?)";
const SUDO_E_WAY = 'run git as that user, or use sudo -H';

/**
 * Root, and `owner` is the user whose HOME this is (or who ran sudo): `sudo -E git ...` reads
 * and would write that user's files, which they need as they are.
 */
function rootWithHomeOf(owner: number, env: NodeJS.ProcessEnv = process.env): boolean {
  if (currentUid() !== 0 || owner === 0) return false;
  if (env.SUDO_UID !== undefined && Number(env.SUDO_UID) === owner) return true;
  try {
    return env.HOME !== undefined && env.HOME !== '' && fs.statSync(env.HOME).uid === owner;
  } catch {
    return false;
  }
}

/** `dir` itself or its nearest ancestor that exists, with its stat (links followed: HOME may be one). */
function nearestExisting(dir: string): { path: string; st: fs.Stats } | undefined {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    try {
      return { path: p, st: fs.statSync(p) };
    } catch {
      if (path.dirname(p) === p) return undefined;
    }
  }
}

/** Why a directory cannot be made (`why`), and what to do instead (`way`). */
export interface CreationProblem {
  why: string;
  way: string;
}

/**
 * Why `dir` cannot be made, or undefined when nothing stands in the way (as far as can be told
 * without making it): something on its path is not a directory, the directory it would go into
 * belongs to another user (see ensurePrivateDir), or this user may not write there. `way` says
 * what to do instead (by default: the setting that moves the program's files). For `doctor`,
 * and for ensurePrivateDir's refusals.
 */
export function creationProblem(dir: string, what = 'directory', way = wayOut(what)): CreationProblem | undefined {
  const at = nearestExisting(dir);
  if (!at) return undefined;
  const uid = currentUid();
  const head = `cannot create ${what} ${dir}`;
  if (!at.st.isDirectory()) return { why: `${head}: ${at.path} is not a directory`, way };
  if (at.path === path.resolve(dir)) return undefined;
  if (uid !== undefined && at.st.uid !== uid && at.st.uid !== 0)
    return rootWithHomeOf(at.st.uid)
      ? { why: `${head}: ${at.path} belongs to uid ${at.st.uid}, ${SUDO_E}`, way: SUDO_E_WAY }
      : { why: `${head}: ${at.path} belongs to uid ${at.st.uid}, not to you (uid ${uid})`, way };
  try {
    fs.accessSync(at.path, fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    return { why: `${head}: ${reason(err, at.path)}`, way };
  }
  return undefined;
}

/** A {@link CreationProblem} in one line. */
export function said(p: CreationProblem): string {
  return `${p.why}; ${p.way}`;
}

/** The setting that moves `what` somewhere this user can write. */
function wayOut(what: string): string {
  const xdg = what === 'data directory' && process.platform === 'linux' ? ' (or XDG_DATA_HOME)' : '';
  return `set ${ENV.dir.name}${xdg} to a directory of yours`;
}

/** An errno of mkdir/access, said in words. */
function reason(err: unknown, where: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return `${where} is on a read-only file system`;
  if (code === 'EACCES' || code === 'EPERM') return `you may not write to ${where}`;
  return (err as Error).message;
}

/** A directory ensurePrivateDir could not or would not make; the message says why and what to do. */
export class CreateDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateDirError';
  }
}

/**
 * Creates `dir` with mode 0700 (parents too), or checks an existing one by the rule: another
 * owner, a link, or write access for others is refused (UnsafePathError). One that others can
 * only read is tightened; the owner's own bits are never widened (a 0500 directory stays so).
 * Nothing is made inside a directory of another user (root's, like /tmp, aside): root with a
 * user's HOME (`sudo -E`) would leave a root-owned ~/.cache or ~/.local/share there that breaks
 * that user's own tools (git credential-cache among them). That, and a mkdir that fails (a
 * read-only HOME), is a CreateDirError naming the way out ({@link creationProblem}).
 */
export function ensurePrivateDir(dir: string, what = 'directory'): void {
  if (!exists(dir)) {
    const problem = creationProblem(dir, what);
    if (problem) throw new CreateDirError(said(problem));
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      const later = creationProblem(dir, what) ?? {
        why: `cannot create ${what} ${dir}: ${reason(err, dir)}`,
        way: wayOut(what),
      };
      throw new CreateDirError(said(later));
    }
  }
  if (process.platform === 'win32') return;
  const st = fs.lstatSync(dir);
  assertPrivate(dir, st, true, what);
  const mode = st.mode & 0o777;
  if (mode & 0o077) fs.chmodSync(dir, mode & 0o700);
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
