/**
 * The pre-push hook's fast path, bundled on its own as CommonJS (dist/hook.cjs):
 * `git-credential-bitbucket hook pre-push <remote> <url>`. It loads no command-line framework
 * and, on a warm cache, no HTTP: the network module is imported only on a cache miss.
 * The launcher routes here; see bin/.
 */
import fs from 'node:fs';
import { runPrePush } from './prepush/run.js';
import { writeFd } from './fdwrite.js';
import { Prefetched } from './git/prefetched.js';
import { ENV } from './settings.js';
import { markRunFailed } from './load-esm.js';

const BLOCKED_EXIT = 10;

// git passes exactly <remote> <url> (githooks(5)); more is a person's mistake, said before stdin is read.
if (process.argv.length > 6) {
  writeFd(
    2,
    `git-credential-bitbucket: hook pre-push takes <remote> <url> only (got also ${process.argv.slice(6).join(' ')}); nothing was checked\n`,
  );
  process.exit(2);
}

let input = '';
try {
  input = fs.readFileSync(0, 'utf8');
} catch {
  // no stdin (run by hand): nothing to push
}

// The installed hook script ran the config listing and the commit scan while Node started and
// passes their output on fds 3 and 4, saying so in the environment (not in the arguments: a
// version of this program that does not know it must still check the push, the slow way).
const PREFETCHED_ENV = ENV.prefetched.name;
const prefetched = process.env[PREFETCHED_ENV] === '3,4' ? new Prefetched([3, 4]) : undefined;
delete process.env[PREFETCHED_ENV];
const args = process.argv.slice(4);

runPrePush(args, input, {
  env: process.env,
  ...(prefetched ? { prefetched } : {}),
  now: () => Date.now(),
  stderr: (t) => writeFd(2, t),
}).then(
  // The installed shim tells "blocked" (this exit code) from a guard that failed to run
  // (anything else non-zero, e.g. Node missing or a broken install), which must not block.
  (code) => process.exit(code === 1 ? BLOCKED_EXIT : code),
  () => {
    markRunFailed();
    process.exit(0);
  },
);
