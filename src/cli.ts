/**
 * Entry point for every command but the credential operations (those take the fast path in
 * helper-main.ts). The only place, with helper-main.ts, that sets the exit code.
 *
 * gitcredentials(7): a helper must ignore operations it does not know, so an unknown bare word
 * with a non-terminal stdin (how git calls helpers) exits 0 silently.
 */
import { visible } from './visible.js';

declare const __VERSION__: string;

async function main(argv: string[]): Promise<number> {
  const op = argv[0];
  const { runCommand, isCommand, suggestCommand } = await import('./commands/index.js');
  if (op !== undefined && /^[a-z][a-z0-9-]*$/i.test(op) && !isCommand(op)) {
    // A misspelt command is a person's mistake, not an operation from a newer git.
    const meant = suggestCommand(op);
    if (meant !== undefined) {
      process.stderr.write(`git-credential-bitbucket: unknown command '${op}' (did you mean ${meant}?)\n`);
      return 2;
    }
    if (!process.stdin.isTTY) return 0;
  }
  return runCommand(argv, typeof __VERSION__ === 'string' ? __VERSION__ : '0.0.0');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`git-credential-bitbucket: ${visible(message.split('\n')[0] ?? '')}\n`);
    process.exitCode = 1;
  },
);
