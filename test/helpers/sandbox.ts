/**
 * Test isolation: every test that runs git or the binary gets a throwaway HOME, XDG dirs,
 * global git config and data directory, and never sees the user's own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'git-credential-bitbucket.cjs');

export interface Sandbox {
  dir: string;
  home: string;
  /** The data directory of the store. */
  dataDir: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** Variables that could point a child at the user's real config, keyring or terminal. */
const SCRUBBED = /^(GIT_|GCM_|SSH_ASKPASS$|HTTPS?_PROXY$|https?_proxy$|ALL_PROXY$|all_proxy$|NO_PROXY$|no_proxy$)/;

export function makeSandbox(extra: NodeJS.ProcessEnv = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-test-'));
  const home = path.join(dir, 'home');
  for (const d of [home, path.join(dir, 'xdg-config'), path.join(dir, 'xdg-data'), path.join(dir, 'xdg-cache')])
    fs.mkdirSync(d, { recursive: true });
  const gitconfig = path.join(dir, 'gitconfig');
  fs.writeFileSync(gitconfig, '');
  const dataDir = path.join(dir, 'store');
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED.test(k)) base[k] = v;
  const env: NodeJS.ProcessEnv = {
    ...base,
    HOME: home,
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    XDG_CACHE_HOME: path.join(dir, 'xdg-cache'),
    GIT_CONFIG_GLOBAL: gitconfig,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CREDENTIAL_BITBUCKET_DIR: dataDir,
    GIT_CREDENTIAL_BITBUCKET_STORE: 'file',
    NO_COLOR: '1',
    ...extra,
  };
  return { dir, home, dataDir, env, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary with `args`, feeding `input` on stdin. */
export async function runBin(sb: Sandbox, args: string[], input = '', opts: Options = {}): Promise<RunResult> {
  const r = await execa(process.execPath, [BIN, ...args], {
    env: sb.env,
    extendEnv: false,
    input,
    reject: false,
    cwd: sb.dir,
    ...opts,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Runs git with the sandbox environment. */
export async function runGit(sb: Sandbox, args: string[], input = '', opts: Options = {}): Promise<RunResult> {
  const r = await execa('git', args, { env: sb.env, extendEnv: false, input, reject: false, cwd: sb.dir, ...opts });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A credential description for stdin. */
export function describe(fields: Record<string, string | number | undefined> | Array<[string, string]>): string {
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields).filter(([, v]) => v !== undefined);
  return pairs.map(([k, v]) => `${k}=${v}\n`).join('') + '\n';
}

/**
 * Replaces what the store holds for `host` with `token` kept as a Bearer credential, the way
 * `login --allow-project-token` keeps a project token (git 2.46+ sends it). Throws unless stored.
 */
export async function storeAsBearer(sb: Sandbox, host: string, token: string): Promise<void> {
  await runBin(sb, ['erase'], describe({ protocol: 'http', host }));
  const r = await runBin(
    sb,
    ['store'],
    describe([
      ['capability[]', 'authtype'],
      ['protocol', 'http'],
      ['host', host],
      ['authtype', 'Bearer'],
      ['credential', token],
    ]),
  );
  if (r.exitCode !== 0) throw new Error(`store: ${r.stderr}`);
}

/** Parses `key=value` lines back into pairs. */
export function parsePairs(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]);
}

/** Fails the test if any secret appears in any of the texts. */
export function expectNoSecrets(texts: string[], secrets: string[]): void {
  for (const t of texts)
    for (const s of secrets)
      if (s && t.includes(s))
        throw new Error(
          `a secret leaked into output: …${t.slice(Math.max(0, t.indexOf(s) - 20), t.indexOf(s)).replace(/\n/g, '\\n')}<secret>`,
        );
}

/**
 * A copy of the checkout's files (tracked and untracked, not ignored; no dist/) at `dest`, sharing
 * node_modules, so that a build or an install there never replaces what other tests are running.
 */
export async function copyCheckout(dest: string): Promise<void> {
  const files = (await execa('git', ['ls-files', '-co', '--exclude-standard'], { cwd: ROOT })).stdout
    .split('\n')
    .filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(ROOT, f)) || f.startsWith('dist/')) continue;
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
    fs.chmodSync(path.join(dest, f), fs.statSync(path.join(ROOT, f)).mode);
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dest, 'node_modules'));
}
