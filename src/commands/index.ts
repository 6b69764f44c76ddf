/**
 * The command line for people (everything but the credential fast path). yargs only fills
 * options and calls a command's run function; commands return exit codes.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

const COMMANDS = ['get', 'store', 'erase', 'completion'];

export function isCommand(name: string): boolean {
  return COMMANDS.includes(name);
}

export async function runCommand(argv: string[], version: string): Promise<number> {
  let exitCode = 0;
  const parser = yargs(hideBin(['node', 'git-credential-bitbucket', ...argv]))
    .scriptName('git-credential-bitbucket')
    .usage('$0 <command> [options]\n\nGit credential helper and pre-push guard for Bitbucket Server / Data Center.')
    .command('get', 'credential helper: answer git with a stored token (stdin/stdout protocol)')
    .command('store', 'credential helper: keep a credential git confirmed')
    .command('erase', 'credential helper: forget a credential git saw rejected')
    .completion('completion', 'print a shell completion script')
    .version(version)
    .help()
    .alias('h', 'help')
    .strict()
    .demandCommand(1, 'name a command; see --help')
    .fail((msg, err, y) => {
      exitCode = 2;
      if (err) throw err;
      process.stderr.write(`git-credential-bitbucket: ${msg}\nRun 'git-credential-bitbucket --help' for usage.\n`);
      void y;
    })
    .wrap(Math.min(100, process.stdout.columns || 80));
  await parser.parseAsync();
  return exitCode;
}
