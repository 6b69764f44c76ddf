/**
 * The credential fast path, bundled on its own as CommonJS (measured faster to start than ESM):
 * `git-credential-bitbucket get|store|erase`. It loads no command-line framework, no HTTP and
 * no module the operation does not need. The launcher routes here; see bin/.
 */
import { helperUsage, runHelperOperation, type HelperOperation } from './credential/run.js';
import { readDescription } from './credential/input.js';
import { isTerminal, writeFd } from './fdwrite.js';

const op = process.argv[2] as HelperOperation;
// git runs `<helper> get` with no further argument: anything more is a person at a terminal.
const usage = helperUsage(op, process.argv.slice(3));

if (usage) {
  writeFd(usage.code === 0 ? 1 : 2, usage.text);
  process.exitCode = usage.code;
} else
  runHelperOperation(op, {
    readInput: () => readDescription(0),
    stdout: (t) => writeFd(1, t),
    stderr: (t) => writeFd(2, t),
    env: process.env,
    now: () => Date.now(),
    stderrIsTTY: () => isTerminal(2),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      writeFd(
        2,
        `git-credential-bitbucket: ${op}: ${err instanceof Error ? err.message.split('\n')[0] : 'unexpected error'}\n`,
      );
      process.exitCode = 1;
    },
  );
