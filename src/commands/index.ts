/**
 * The command line for people (everything but the credential fast path). yargs only fills
 * options and calls a command's run function; commands report an exit code through the
 * context, and expected failures as `CommandError`, mapped to a one-line message here.
 */
import yargs, { type CommandModule } from 'yargs';
import { CommandError, EXIT } from './shared/errors.js';
import { redactUrl } from '../git/config.js';
import { checkValues, closest, explainUsageError } from './shared/usage.js';
import { processIO, type CommandContext } from './shared/io.js';
import { loginCommand } from './login.js';
import { logoutCommand } from './logout.js';
import { statusCommand } from './status.js';
import { listCommand } from './list.js';
import { setupCommand, unsetupCommand } from './setup.js';
import { doctorCommand } from './doctor.js';
import { hookCommand } from './hook.js';
import { checkCommand } from './check.js';
import { rotateCommand } from './rotate.js';
import { PROGRAM } from '../settings.js';
import { visible } from '../visible.js';
import { initTrace, trace } from '../trace.js';
import { ignoredNote } from '../bitbucket/server-values.js';

const COMMANDS: Array<(ctx: CommandContext) => CommandModule<object, never>> = [
  loginCommand as never,
  logoutCommand as never,
  statusCommand as never,
  listCommand as never,
  setupCommand as never,
  unsetupCommand as never,
  doctorCommand as never,
  hookCommand as never,
  checkCommand as never,
  rotateCommand as never,
];
const HELPER_OPS = ['get', 'store', 'erase'];
const NAMES = [
  'login',
  'logout',
  'status',
  'list',
  'setup',
  'unsetup',
  'doctor',
  'hook',
  'check',
  'rotate',
  'completion',
  ...HELPER_OPS,
];

export function isCommand(name: string): boolean {
  return NAMES.includes(name);
}

export async function runCommand(
  argv: string[],
  version: string,
  ctx: CommandContext = { io: processIO(), exitCode: EXIT.ok },
): Promise<number> {
  // the first word only: later ones may be anything the user typed
  if (initTrace(ctx.io.env)) trace('command', () => `${argv[0] ?? '(none)'} (${argv.length - 1} more argument(s))`);
  if (argv[0] === 'completion' && !argv.includes('--help') && !argv.includes('-h')) {
    if (argv.length > 1) {
      ctx.io.stderr(
        `git-credential-bitbucket: completion takes no arguments (got ${argv.slice(1).map(redactUrl).join(' ')})\n`,
      );
      return EXIT.usage;
    }
    const { completionScript } = await import('./completion.js');
    ctx.io.stdout(completionScript());
    return EXIT.ok;
  }
  // A usage error stops yargs here, before any command's handler has read, asked, written or sent anything.
  class UsageError extends Error {}
  const parser = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      '$0 <command> [options]\n\nGit credential helper and pre-push identity guard for Bitbucket Server / Data Center.',
    )
    .command('get', 'credential helper: answer git with a stored token (git runs this)')
    .command('store', 'credential helper: keep a credential git confirmed (git runs this)')
    .command('erase', 'credential helper: forget a credential git saw rejected (git runs this)');
  for (const make of COMMANDS) parser.command(make(ctx));
  parser
    .completion('completion', 'print a shell completion script')
    .version(version)
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command')
    .middleware(((args: Record<string, unknown>, y: { getOptions(): { string: string[]; number: string[] } }) => {
      const o = y.getOptions();
      checkValues(args, { string: o.string, number: o.number }, argv);
    }) as never)
    .fail((msg, err, usage) => {
      if (err) throw err;
      const u = usage as unknown as { getDescriptions(): object; getCommands(): Array<[string]> };
      const subcommands = u.getCommands().map(([c]) => c.split(' ')[0]!);
      throw new UsageError(explainUsageError(msg, argv, Object.keys(u.getDescriptions()), [...subcommands, ...NAMES]));
    })
    .wrap(Math.min(100, process.stdout.columns || 80));
  try {
    await parser.parseAsync();
  } catch (err) {
    sayIgnored(ctx.io);
    if (err instanceof CommandError) {
      // one line, which may quote the server (its error messages, names): made visible
      ctx.io.stderr(`git-credential-bitbucket: ${visible(err.message)}\n`);
      return err.exitCode;
    }
    if (err instanceof UsageError) {
      ctx.io.stderr(`git-credential-bitbucket: ${err.message}\nRun 'git-credential-bitbucket --help' for usage.\n`);
      return EXIT.usage;
    }
    throw err;
  }
  sayIgnored(ctx.io);
  return ctx.exitCode;
}

/** Server values dropped at the boundary (src/bitbucket/server-values.ts) get one line, never silence. */
function sayIgnored(io: { stderr(text: string): void }): void {
  const note = ignoredNote();
  if (note) io.stderr(note);
}

/** The command a misspelt word was meant to be (never a credential operation: git may add new ones). */
export function suggestCommand(word: string): string | undefined {
  return closest(
    word,
    NAMES.filter((n) => !HELPER_OPS.includes(n)),
  );
}
