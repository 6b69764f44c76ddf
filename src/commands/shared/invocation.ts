/**
 * How git should run this program: by absolute paths of the Node binary and the launcher, so
 * that it works from GUIs and shells whose PATH lacks Node or the install directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { shQuote, type Program } from '../../git/hooks.js';
import { HELPER_LINE_PREFIX, parseOurHelper } from '../../prepush/remote-config.js';

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

export function program(env: NodeJS.ProcessEnv = process.env): Program {
  return { node: stableNode(process.execPath, env), bin: launcherPath() };
}

/**
 * The path to name for the running Node. process.execPath is the resolved file, which an upgrade
 * removes with its versioned directory (Homebrew's `Cellar/node/X`, a `nodes/vX` behind a link
 * that is re-pointed), so a link that resolves to it is named instead: the `node` a shell finds
 * on PATH, else fnm's default alias or Homebrew's link. Never fnm's per-shell links
 * (`fnm_multishells`, removed with the shell); a shim that is no link (volta, asdf) does not
 * resolve to execPath, and nvm puts the versioned directory itself on PATH: execPath for those.
 */
export function stableNode(execPath: string, env: NodeJS.ProcessEnv, platform: string = process.platform): string {
  const exe = platform === 'win32' ? 'node.exe' : 'node';
  const home = env.HOME ?? env.USERPROFILE;
  const fnm = env.FNM_DIR ? [env.FNM_DIR] : home ? [path.join(home, '.local/share/fnm'), path.join(home, '.fnm')] : [];
  const links = [
    onPath(exe, env.PATH),
    ...fnm.map((d) => path.join(d, 'aliases', 'default', 'bin', exe)),
    ...(platform === 'win32'
      ? []
      : ['/opt/homebrew/bin/node', '/usr/local/bin/node', '/home/linuxbrew/.linuxbrew/bin/node']),
  ];
  const real = realpath(execPath);
  if (real === undefined) return execPath;
  return links.find((l) => l !== undefined && !/[\\/]fnm_multishells[\\/]/.test(l) && realpath(l) === real) ?? execPath;
}

/** The first executable `name` in PATH's absolute directories, as a shell finds it. */
function onPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const file = path.join(dir, name);
    if (usable(file, fs.constants.X_OK)) return file;
  }
  return undefined;
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
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

/**
 * The absolute paths a helper value of ours makes git's sh run, as parseOurHelper
 * (src/prepush/remote-config.ts) reads them out of the forms setup has written: the front and Node
 * of `!f() { . "$1"; }; f '<front>' '<node>' …` and of `!sh '<front>' '<node>' …`, the launcher
 * and Node of `!'<node>' '<launcher>'`, a program named by path. A name git or sh looks up on PATH
 * (`bitbucket`, `!node …`) is left out.
 */
export function helperPaths(value: string): { program?: string; node?: string } | undefined {
  const ours = parseOurHelper(value);
  return ours && absolute(ours.program, ours.node);
}

function absolute(program: string | undefined, node: string | undefined): { program?: string; node?: string } {
  return {
    ...(program !== undefined && path.isAbsolute(program) ? { program } : {}),
    ...(node !== undefined && path.isAbsolute(node) ? { node } : {}),
  };
}

/**
 * What stops the helper lines of ours among `helpers` from running: a program path that is
 * gone or unreadable, a Node that is gone or not executable. One sentence each, for `doctor` and
 * `check`; the fix is `setup URL`, which replaces an older line of this helper.
 */
export function brokenHelperPaths(helpers: readonly string[], url: string): string[] {
  const out = new Set<string>();
  for (const h of helpers) {
    const p = helperPaths(h);
    if (p?.program !== undefined && !usable(p.program, fs.constants.R_OK))
      out.add(
        `the helper line for ${url} names ${p.program}, which ${fs.existsSync(p.program) ? 'cannot be read' : 'is gone (the package was uninstalled or moved, or setup ran through npx)'}: git's sh cannot open it, and git prompts for a password`,
      );
    if (p?.node !== undefined && !usable(p.node, fs.constants.X_OK))
      out.add(
        `the helper line for ${url} names Node at ${p.node}, which ${fs.existsSync(p.node) ? 'is not executable' : 'is gone (Node was upgraded or reinstalled)'}: each git operation warns and runs node from PATH, and fails where there is none`,
      );
  }
  return [...out];
}

function usable(file: string, mode: number): boolean {
  try {
    fs.accessSync(file, mode);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Whether the program runs from npx's cache (`…/_npx/<hash>/…`): npm removes that directory
 * when it cleans its cache, and with it every path a helper line or hook names there.
 */
export function inNpxCache(bin: string): boolean {
  return /[\\/]_npx[\\/]/.test(bin);
}
