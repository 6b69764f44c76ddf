/**
 * The one rule for the directories and files the product keeps to itself (data, state and cache
 * directories, the store file, its lock): they belong to this user, nobody else can write them,
 * and they are not symbolic links. What another user can write or replace, they can read our
 * tokens through, or plant a store that `get` would hand to git.
 *
 * The launcher (bin/git-credential-bitbucket.cjs) loads nothing, so it keeps a copy of
 * `privateProblem` for its code cache; test/private-dir.test.ts runs one table against both.
 */
import fs from 'node:fs';

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
      return `refusing ${what} ${file}: it is owned by uid ${st?.uid ?? '?'}, not by you (uid ${process.getuid?.() ?? '?'}); remove it, or chown it to yourself if you made it`;
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

/**
 * Creates `dir` with mode 0700 (parents too), or checks an existing one by the rule: another
 * owner, a link, or write access for others is refused (UnsafePathError). One that others can
 * only read is tightened; the owner's own bits are never widened (a 0500 directory stays so).
 */
export function ensurePrivateDir(dir: string, what = 'directory'): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  const st = fs.lstatSync(dir);
  assertPrivate(dir, st, true, what);
  const mode = st.mode & 0o777;
  if (mode & 0o077) fs.chmodSync(dir, mode & 0o700);
}
