/**
 * The command of a config-based hook (`hook.<name>.command`, git 2.54+): the one the guard's
 * install writes, and reading back which file a command runs and whether git can run it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isExecutable, readIfExists, shQuote } from './hooks.js';
import { gitSync, type GitRun } from './repo.js';

/** The file's text, for a command {@link commandFile} knows. */
export function scriptOf(command: string): string | undefined {
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
 * missing tool never blocks work. The line names the program that set the hook (`bin`):
 * install.sh --uninstall (`points_at`) goes by the script the command runs, and by that name only
 * once the script is gone. git runs a command with spaces as
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
