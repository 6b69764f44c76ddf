/**
 * How git should run this program: by absolute paths of the Node binary and the launcher, so
 * that it works from GUIs and shells whose PATH lacks Node or the install directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shQuote, type Program } from '../../git/hooks.js';
import { HELPER_LINE_PREFIX } from '../../prepush/remote-config.js';

/** The launcher `bin/git-credential-bitbucket.cjs` of this installation, found from this module (src/ or dist/). */
export function launcherPath(from: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(from));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'bin', 'git-credential-bitbucket.cjs');
    if (fs.existsSync(candidate)) return fs.realpathSync(candidate);
    dir = path.dirname(dir);
  }
  throw new Error('cannot find bin/git-credential-bitbucket.cjs next to the installed program');
}

export function program(): Program {
  return { node: process.execPath, bin: launcherPath() };
}

/**
 * The `credential.helper` value: the sh front beside the launcher (bin/git-credential-bitbucket.sh:
 * Node without NODE_EXTRA_CA_CERTS, and no Node at all for a store of what get just gave out),
 * with the Node binary and the platform (for the data directory); git appends the operation and
 * runs the line with sh. The line reads the front into that sh (`.`, in a function so that the
 * arguments reach it on every sh) rather than starting another sh for it: git runs it on every
 * HTTPS operation. `isOurHelper` (src/prepush/remote-config.ts) knows this form and the earlier
 * `!sh '<front>' '<node>' <platform>`.
 */
export function helperInvocation(p: Program = program(), platform: string = process.platform): string {
  const front = path.join(path.dirname(p.bin), 'git-credential-bitbucket.sh');
  return `${HELPER_LINE_PREFIX}${shQuote(front)} ${shQuote(p.node)} ${platform}`;
}
