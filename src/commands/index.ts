/**
 * The command line for people (everything but the credential fast path). yargs only fills
 * options and calls a command's run function; commands report an exit code through the
 * context, and expected failures as `CommandError`, mapped to a one-line message here.
 */
import yargs, { type CommandModule } from 'yargs';
import { CommandError, EXIT } from './shared/errors.js';
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
  let usageError: string | undefined;
  const parser = yargs(argv)
    .scriptName('git-credential-bitbucket')
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
    .fail((msg, err) => {
      if (err) throw err;
      usageError = msg;
    })
    .wrap(Math.min(100, process.stdout.columns || 80));
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof CommandError) {
      ctx.io.stderr(`git-credential-bitbucket: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
  if (usageError !== undefined) {
    ctx.io.stderr(`git-credential-bitbucket: ${usageError}\nRun 'git-credential-bitbucket --help' for usage.\n`);
    return EXIT.usage;
  }
  return ctx.exitCode;
}
