/**
 * The pre-push hook's fast path, bundled on its own as CommonJS (dist/hook.cjs):
 * `git-credential-bitbucket hook pre-push <remote> <url>`. It loads no command-line framework
 * and, on a warm cache, no HTTP: the network module is imported only on a cache miss.
 * The launcher routes here; see bin/.
 */
import fs from 'node:fs';
import { runPrePush } from './prepush/run.js';
import { writeFd } from './fdwrite.js';

const BLOCKED_EXIT = 10;

let input = '';
try {
  input = fs.readFileSync(0, 'utf8');
} catch {
  // no stdin (run by hand): nothing to push
}

runPrePush(process.argv.slice(4), input, {
  env: process.env,
  now: () => Date.now(),
  stderr: (t) => writeFd(2, t),
}).then(
  // The installed shim tells "blocked" (this exit code) from a guard that failed to run
  // (anything else non-zero, e.g. Node missing or a broken install), which must not block.
  (code) => process.exit(code === 1 ? BLOCKED_EXIT : code),
  () => process.exit(0),
);
