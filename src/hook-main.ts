/**
 * The pre-push hook's fast path, bundled on its own as CommonJS (dist/hook.cjs):
 * `git-credential-bitbucket hook pre-push <remote> <url>`. It loads no command-line framework
 * and, on a warm cache, no HTTP: the network module is imported only on a cache miss.
 * The launcher routes here; see bin/.
 */
import fs from 'node:fs';
import { runPrePush } from './prepush/run.js';
import { writeFd } from './fdwrite.js';

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
  (code) => process.exit(code),
  () => process.exit(0),
);
