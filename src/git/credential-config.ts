/**
 * Reading and writing the `credential.<url>.*` keys of one git config file (a scope), through
 * the git binary, so that git's own parser and writer do the work and the file keeps its
 * formatting. Values never contain a secret.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitNotFoundError, gitAsync } from './async.js';
import { sectionHasComment } from './config-lines.js';

export type Scope = 'global' | 'system' | 'local';

export interface ConfigTarget {
  scope: Scope;
  cwd?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Runs `git config --<scope> ...`. git speaks English here (LC_ALL=C): some of its messages are
 * read (a config file that does not exist yet, several values), and in a user's language they
 * would not be recognised (a new account's missing ~/.gitconfig failed setup in German).
 */
async function git(t: ConfigTarget, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await gitAsync(['config', `--${t.scope}`, ...args], { cwd: t.cwd, env: { ...t.env, LC_ALL: 'C' } });
  if (r.notFound) throw new GitNotFoundError();
  return { code: r.status < 0 ? 1 : r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

function fail(what: string, r: { code: number; stderr: string }): never {
  throw new Error(`git config ${what} failed: ${r.stderr || `exit code ${r.code}`}`);
}

/** Every value of `key` in the scope, in file order (git config --get-all). */
export async function getAll(t: ConfigTarget, key: string): Promise<string[]> {
  const r = await git(t, ['--null', '--get-all', key]);
  if (r.code === 1 && r.stderr === '') return [];
  if (r.code !== 0) fail(`--get-all ${key}`, r);
  return r.stdout.split('\0').slice(0, -1);
}

/** Names of all keys in the scope whose name starts with `prefix` (case-insensitive section/key). */
export async function keysWithPrefix(t: ConfigTarget, prefix: string): Promise<string[]> {
  const r = await git(t, ['--null', '--name-only', '--list']);
  if (r.code !== 0 && !(r.code === 128 && /unable to read|No such file/i.test(r.stderr))) {
    if (r.code === 1) return [];
    fail('--list', r);
  }
  return r.stdout.split('\0').filter((k) => k !== '' && k.toLowerCase().startsWith(prefix.toLowerCase()));
}

export async function addValue(t: ConfigTarget, key: string, value: string): Promise<void> {
  const r = await git(t, ['--add', key, value]);
  if (r.code !== 0) fail(`--add ${key}`, r);
}

export async function setValue(t: ConfigTarget, key: string, value: string): Promise<void> {
  const r = await git(t, [key, value]);
  if (r.code !== 0) fail(key, r);
}

/**
 * Removes the line of `key` whose value is exactly `value` (`--fixed-value`, git 2.30+), leaving
 * every other line as it is: `several` when more lines hold that value (git then changes nothing),
 * `absent` when none does.
 */
export async function unsetValue(
  t: ConfigTarget,
  key: string,
  value: string,
): Promise<'removed' | 'absent' | 'several'> {
  const r = await git(t, ['--fixed-value', '--unset', key, value]);
  if (r.code === 0) return 'removed';
  if (r.code === 5) return /multiple values/.test(r.stderr) ? 'several' : 'absent';
  fail(`--unset ${key}`, r);
}

/** The scope's entries whose key matches `pattern` (git config --get-regexp), in file order, as `key\nvalue` items. */
export async function listMatching(t: ConfigTarget, pattern: string): Promise<string> {
  const r = await git(t, ['--null', '--get-regexp', pattern]);
  if (r.code === 1 || (r.code !== 0 && /unable to read|No such file/i.test(r.stderr))) return '';
  if (r.code !== 0) fail(`--get-regexp ${pattern}`, r);
  return r.stdout;
}

export async function unsetAll(t: ConfigTarget, key: string): Promise<void> {
  const r = await git(t, ['--unset-all', key]);
  if (r.code !== 0 && r.code !== 5) fail(`--unset-all ${key}`, r);
}

/**
 * Removes `[section "sub"]` when it holds no keys any more, and no comment: git would remove the
 * user's comments with it (an empty section that keeps them stays, as the user wrote it).
 */
export async function removeSectionIfEmpty(t: ConfigTarget, section: string): Promise<boolean> {
  if ((await keysWithPrefix(t, `${section}.`)).length > 0) return false;
  const dot = section.indexOf('.');
  const text = readLatin1(await configFile(t));
  if (text === undefined || sectionHasComment(text, section.slice(0, dot), section.slice(dot + 1))) return false;
  const r = await git(t, ['--remove-section', section]);
  return r.code === 0;
}

/** The file a scope writes to, as git picks it (for messages and for the setup record). */
export async function configFile(t: ConfigTarget): Promise<string> {
  if (t.scope === 'global') {
    if (t.env.GIT_CONFIG_GLOBAL) return path.resolve(t.env.GIT_CONFIG_GLOBAL);
    const home = t.env.HOME || os.homedir();
    const dotfile = path.join(home, '.gitconfig');
    const xdg = path.join(t.env.XDG_CONFIG_HOME || path.join(home, '.config'), 'git', 'config');
    return fs.existsSync(dotfile) || !fs.existsSync(xdg) ? dotfile : xdg;
  }
  if (t.scope === 'system') return t.env.GIT_CONFIG_SYSTEM || '/etc/gitconfig';
  const r = await gitAsync(['rev-parse', '--git-path', 'config'], { cwd: t.cwd, env: t.env });
  if (r.status !== 0) throw new Error('--local needs a git repository: run it inside one');
  return path.resolve(t.cwd ?? process.cwd(), r.stdout.trim());
}

/** A config file's bytes as latin1 (one char a byte, as config-lines.ts reads them); undefined when unreadable. */
function readLatin1(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}
