/**
 * Every setting of git-credential-bitbucket in one place: the environment variables it reads,
 * its git config keys (and which of them git looks up per URL), its directories (data, cache,
 * state: the XDG rules, once), the defaults, and git's syntax for booleans and numbers.
 *
 * - New settings go here: an entry in {@link ENV} or {@link CONFIG}, read through the helpers
 *   below. docs/configuration.md is tested against these tables (test/settings.test.ts), and
 *   that test also fails when src/ reads an environment variable or a `bitbucket.*` key that is
 *   not listed here.
 * - Pure: no IO. Callers pass the environment (and git's answers); reading git config is
 *   src/git/'s job (`configGetSync` in src/git/repo.ts for one key, with its per-URL lookup;
 *   `configListing` for the pre-push hook's single listing, matched by src/prepush/urlmatch.ts).
 * - Loaded by every bundle, the hot ones included: keep it small and free of imports beyond
 *   node:path (node:os only when HOME is not an absolute path: loading it costs every `get`).
 * - The launcher (bin/git-credential-bitbucket.cjs, which may load nothing) has its own copy of
 *   {@link cacheDir}; test/settings.test.ts compares the two.
 */
import path from 'node:path';

/** The program's name: message prefix, directory name, keyring service, User-Agent. */
export const PROGRAM = 'git-credential-bitbucket';

/** An environment variable the program reads. */
export interface EnvSetting {
  name: string;
  /** One line for docs/configuration.md. */
  doc: string;
  /** Set by the program itself (the hook script), not by users. */
  internal?: boolean;
}

/** The program's own environment variables (`GIT_CREDENTIAL_BITBUCKET_*`). */
export const ENV = {
  dir: {
    name: 'GIT_CREDENTIAL_BITBUCKET_DIR',
    doc: 'Moves every file of the program: data here, cache in `cache/`, state in `state/` (a relative path is taken from the working directory).',
  },
  store: {
    name: 'GIT_CREDENTIAL_BITBUCKET_STORE',
    doc: 'Where new tokens go: `keyring`, `file` or `auto`; overrides `bitbucket.store`.',
  },
  allowHttp: {
    name: 'GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP',
    doc: 'A true value (git boolean) allows tokens over plain `http://` to any host, like `bitbucket.allowHttp`.',
  },
  trace: {
    name: 'GIT_CREDENTIAL_BITBUCKET_TRACE',
    doc: '`1`/`true` (or `2`) traces each decision to stderr; an absolute path appends it to that file. Never a secret.',
  },
  lockTimeout: {
    name: 'GIT_CREDENTIAL_BITBUCKET_LOCK_TIMEOUT',
    doc: 'Milliseconds a `store`/`erase`/`login` waits for another writer to release the store (default 60000).',
  },
  prefetched: {
    name: 'GIT_CREDENTIAL_BITBUCKET_PREFETCHED',
    doc: 'Set by the installed pre-push hook script: git answers wait on fds 3 and 4.',
    internal: true,
  },
  extraCaCerts: {
    name: 'GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS',
    doc: 'Set by the helper line and the hook script: `NODE_EXTRA_CA_CERTS` as it was, which Node then need not read at start; trusted when connecting.',
    internal: true,
  },
  hook: {
    name: 'GIT_CREDENTIAL_BITBUCKET_HOOK',
    doc: '`config` when set by the script a config-based hook runs (git 2.54+): the guard runs there, and a hook file of the guard in the repository steps aside for it.',
    internal: true,
  },
  given: {
    name: 'GIT_CREDENTIAL_BITBUCKET_GIVEN',
    doc: "Set by the helper line's sh front for `get`: the file where it looks for what `get` gave out (skips Node for git's store of it).",
    internal: true,
  },
} as const satisfies Record<string, EnvSetting>;

/**
 * Other programs' environment variables the program honours, with git's (or the platform's)
 * meaning. Read where they apply; listed here so that the documentation is complete.
 */
export const FOREIGN_ENV: readonly EnvSetting[] = [
  {
    name: 'HOME',
    doc: "The home directory, base of the default directories; ignored unless absolute (the account's own home directory is used then).",
  },
  {
    name: 'SUDO_UID',
    doc: 'Set by sudo: as root, a file of this user is theirs (root with their HOME, `sudo -E`), so messages say to run git as them, not to remove or chown it.',
  },
  { name: 'XDG_DATA_HOME', doc: 'Data directory base (Linux); ignored unless absolute (XDG spec).' },
  { name: 'XDG_CACHE_HOME', doc: 'Cache directory base; ignored unless absolute (XDG spec).' },
  { name: 'XDG_STATE_HOME', doc: 'State directory base (Linux); ignored unless absolute (XDG spec).' },
  { name: 'XDG_CONFIG_HOME', doc: "Where git's global config may live (`setup` names the file it writes)." },
  { name: 'APPDATA', doc: 'Data directory base on Windows.' },
  { name: 'USERPROFILE', doc: 'The home directory on Windows when HOME is unset (where `setup` looks for fnm).' },
  {
    name: 'FNM_DIR',
    doc: "fnm's directory: `setup` names its default alias's node, which outlives an upgrade, instead of the resolved file.",
  },
  { name: 'LOCALAPPDATA', doc: 'Cache directory base on Windows.' },
  { name: 'GIT_CONFIG_GLOBAL', doc: 'The global git config file, as for git.' },
  { name: 'GIT_CONFIG_SYSTEM', doc: 'The system git config file, as for git.' },
  {
    name: 'GIT_CONFIG_COUNT',
    doc: 'Config entries given in the environment (`GIT_CONFIG_KEY_<n>`, `GIT_CONFIG_VALUE_<n>`), as for git; `check URL` adds one after them for its own git run (the URL as a remote, for git to rewrite it as `git push` does).',
  },
  { name: 'GIT_SSL_CAINFO', doc: 'CA bundle for the REST API, overriding `http.sslCAInfo`, as for git.' },
  { name: 'GIT_SSL_NO_VERIFY', doc: 'Any value turns TLS verification off, as for git.' },
  { name: 'GIT_SSL_CERT', doc: 'Client certificate (PEM) for the REST API, overriding `http.sslCert`, as for git.' },
  {
    name: 'GIT_SSL_KEY',
    doc: 'Its private key (PEM; under a passphrase with `http.sslCertPasswordProtected`), overriding `http.sslKey`, as for git.',
  },
  {
    name: 'GIT_SSL_CERT_PASSWORD_PROTECTED',
    doc: "Any value: as `http.sslCertPasswordProtected`, the key's passphrase is asked of `git credential fill` (`protocol=cert`, the certificate's `path`), as for git.",
  },
  { name: 'GIT_SSL_CERT_TYPE', doc: 'Overrides `http.sslCertType`; only `PEM` is supported.' },
  { name: 'GIT_SSL_KEY_TYPE', doc: 'Overrides `http.sslKeyType`; only `PEM` is supported.' },

  { name: 'SSL_CERT_FILE', doc: "The system CA bundle to trust besides Node's own list." },
  {
    name: 'NODE_EXTRA_CA_CERTS',
    doc: "More CAs to trust (Node's own variable); our processes get it as `GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS`.",
  },
  { name: 'https_proxy', doc: 'Proxy for https:// when `http.proxy` is unset (also `HTTPS_PROXY`), as for git.' },
  { name: 'http_proxy', doc: 'Proxy for http:// when `http.proxy` is unset (lower case only), as for git.' },
  { name: 'all_proxy', doc: 'Proxy for both when the above are unset (also `ALL_PROXY`), as for git.' },
  { name: 'no_proxy', doc: 'Hosts reached without the proxy (also `NO_PROXY`), as for curl.' },
  { name: 'DBUS_SESSION_BUS_ADDRESS', doc: 'The session bus of the Secret Service (Linux keyring).' },
  {
    name: 'GIT_TERMINAL_PROMPT',
    doc: '`0`: git may not prompt, so `get` prints no renewal notice (automation stays quiet).',
  },
  {
    name: 'USER',
    doc: "The login name (else `LOGNAME`, or `USERNAME` on Windows): a first `login` with no name known asks for this user's record too, with the local part of git's `user.email`.",
  },
  {
    name: 'PATH',
    doc: 'Where `doctor` looks for `git-credential-bitbucket` when a hook of the user runs the guard by that name (as `command -v` does).',
  },
  { name: 'NO_COLOR', doc: 'Any value turns colour off (https://no-color.org).' },
  { name: 'TERM', doc: '`dumb` turns colour off.' },
];

/** A git config key of the program. */
export interface ConfigSetting {
  /** As written in git config (camelCase; git compares keys case-insensitively). */
  key: string;
  /** Also `bitbucket.<url>.<name>`: git's URL matching picks the most specific (git-config(1)). */
  perUrl: boolean;
  /** What the value may be, for docs/configuration.md. */
  type: 'bool' | 'level' | 'int' | 'choice';
  /** The value when unset, as text, for docs/configuration.md. */
  default: string;
  doc: string;
}

/** The pre-push checks, as named in git config (`bitbucket.<check>`). */
export const CHECKS = [
  'projectToken',
  'identity',
  'tagger',
  'author',
  'writePermission',
  'expiry',
  'unreachable',
] as const;
export type CheckName = (typeof CHECKS)[number];
/** What a check does when it finds a problem: nothing, mention it, warn, or stop the push. */
export type Level = 'off' | 'note' | 'warn' | 'block';
/** The levels, mildest first. */
export const LEVELS: readonly Level[] = ['off', 'note', 'warn', 'block'];

/** Default level of each check. */
export const DEFAULT_LEVELS: Readonly<Record<CheckName, Level>> = {
  projectToken: 'warn',
  identity: 'warn',
  tagger: 'warn',
  author: 'note',
  writePermission: 'block',
  expiry: 'block',
  unreachable: 'warn',
};

/** The numeric pre-push settings: key, default and accepted range (whole numbers). */
export const NUMBERS = {
  expiryDays: { key: 'bitbucket.expiryDays', default: 7, min: 0, max: 3650 },
  timeoutMs: { key: 'bitbucket.timeout', default: 3000, min: 100, max: 120_000 },
  cacheTtlSec: { key: 'bitbucket.cacheTtl', default: 900, min: 0, max: 30 * 86_400 },
} as const;

const CHECK_DOCS: Record<CheckName, string> = {
  projectToken: 'Pushing with a project/repository token (recorded as a bot user).',
  identity:
    'Pushed commits whose committer is not the token user: e-mail (case-insensitive) or name (against the display name), as commit checkers on the server enforce it.',
  tagger: 'Pushed annotated tags whose tagger is not the token user (e-mail or name, as for committers).',
  author:
    'Pushed commits committed by the token user but authored by someone else (pair work, applied patches may be fine).',
  writePermission: 'The token cannot write to the repository (Bitbucket would refuse the push).',
  expiry: 'The token has expired, or expires within `bitbucket.expiryDays`.',
  unreachable: 'The server could not be asked (network, timeout).',
};

/** `bitbucket.store` */
export const STORE_KEY = 'bitbucket.store';
/** `bitbucket.allowHttp` */
export const ALLOW_HTTP_KEY = 'bitbucket.allowHttp';
/** `bitbucket.storePasswords` */
export const STORE_PASSWORDS_KEY = 'bitbucket.storePasswords';
/** `bitbucket.enabled` */
export const ENABLED_KEY = 'bitbucket.enabled';

/** Every `bitbucket.*` git config key, in documentation order. */
export const CONFIG: readonly ConfigSetting[] = [
  {
    key: STORE_KEY,
    perUrl: false,
    type: 'choice',
    default: 'auto',
    doc: 'Where new tokens go: `keyring`, `file`, or `auto` (the keyring when it answers, else the file).',
  },
  {
    key: ALLOW_HTTP_KEY,
    perUrl: true,
    type: 'bool',
    default: 'false',
    doc: 'Allow handing out and storing tokens over plain `http://` to a host that is not this machine.',
  },
  {
    key: STORE_PASSWORDS_KEY,
    perUrl: true,
    type: 'bool',
    default: 'false',
    doc: 'Let `store` keep an account password (not an access token) on a host where a Bitbucket login exists.',
  },
  {
    key: ENABLED_KEY,
    perUrl: true,
    type: 'bool',
    default: '(decided)',
    doc: 'Forces the pre-push guard on or off; unset, it runs where this program is a credential helper or holds a token.',
  },
  ...CHECKS.map((check): ConfigSetting => ({
    key: `bitbucket.${check}`,
    perUrl: true,
    type: 'level',
    default: DEFAULT_LEVELS[check],
    doc: CHECK_DOCS[check],
  })),
  {
    key: NUMBERS.expiryDays.key,
    perUrl: true,
    type: 'int',
    default: String(NUMBERS.expiryDays.default),
    doc: `Warn this many days before a token expires: the pre-push check, \`status\`, and \`get\`'s renewal notice (${NUMBERS.expiryDays.min}-${NUMBERS.expiryDays.max}).`,
  },
  {
    key: NUMBERS.timeoutMs.key,
    perUrl: true,
    type: 'int',
    default: String(NUMBERS.timeoutMs.default),
    doc: `Milliseconds for the whole pre-push check, network included (${NUMBERS.timeoutMs.min}-${NUMBERS.timeoutMs.max}).`,
  },
  {
    key: NUMBERS.cacheTtlSec.key,
    perUrl: true,
    type: 'int',
    default: String(NUMBERS.cacheTtlSec.default),
    doc: `Seconds server facts are reused by the guard; 0 turns the cache off (${NUMBERS.cacheTtlSec.min}-${NUMBERS.cacheTtlSec.max}).`,
  },
];

/** Looks up a key of {@link CONFIG} by name (case-insensitive, like git). */
export function configSetting(key: string): ConfigSetting | undefined {
  return CONFIG.find((c) => c.key.toLowerCase() === key.toLowerCase());
}

/**
 * The git config sections the pre-push hook reads, as one `git config --get-regexp` pattern
 * (`hook.*`: whether a config-based hook runs the guard, see src/git/config-hooks.ts).
 */
export const CONFIG_PATTERN = '^(bitbucket|credential|http|hook)\\.';

// ---------------------------------------------------------------------------------------------
// git's value syntax (git-config(1), "Values")

/**
 * git's boolean: `true/yes/on` and any non-zero integer are true; `false/no/off`, `0` and the
 * empty value are false; a key written without `=` (null) is true. Case-insensitive, trimmed.
 * Undefined when the text is not a boolean (git itself would refuse it).
 */
export function parseGitBool(value: string | null): boolean | undefined {
  if (value === null) return true;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === 'no' || v === 'off' || v === '') return false;
  const n = parseGitInt(v);
  return n === undefined ? undefined : n !== 0;
}

/**
 * git's integer: decimal digits with an optional sign and an optional unit suffix `k`, `m` or
 * `g` (×1024, ×1024², ×1024³). Undefined when the text is not one.
 */
export function parseGitInt(value: string): number | undefined {
  const m = /^([-+]?\d+)([kmg]?)$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** An environment flag: set and true by git's boolean rules (`1`, `true`, `yes`, `on`, ...). */
export function envFlag(env: NodeJS.ProcessEnv, setting: EnvSetting): boolean {
  const v = env[setting.name];
  return v !== undefined && parseGitBool(v) === true;
}

/**
 * How long a writer waits for the store lock by default: generous, because holders keep it for
 * milliseconds, and only a machine under heavy load (fifty writers, each getting the CPU now
 * and then) makes the wait long.
 */
export const LOCK_TIMEOUT_MS = 60_000;

/** The store lock wait: `$GIT_CREDENTIAL_BITBUCKET_LOCK_TIMEOUT` (ms) when valid, else the default. */
export function lockTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = parseGitInt(env[ENV.lockTimeout.name] ?? '');
  return n !== undefined && n >= 0 ? n : LOCK_TIMEOUT_MS;
}

// ---------------------------------------------------------------------------------------------
// Directories

/** `value` when it is an absolute path; the XDG spec says relative ones are to be ignored. */
function absolute(value: string | undefined): string | undefined {
  return value && path.isAbsolute(value) ? value : undefined;
}

/**
 * The home directory: `$HOME` when absolute, else the account's own (the password database).
 * An empty or relative HOME is ignored, as the XDG variables are: taken as it is, it would put
 * the token file into the working directory, often a repository's work tree.
 */
function home(env: NodeJS.ProcessEnv): string {
  const found = absolute(env.HOME) ?? accountHome();
  if (found) return found;
  throw new Error(
    `HOME is ${env.HOME ? `not an absolute path (${JSON.stringify(env.HOME)})` : 'not set'} and this account has no home directory; set HOME, or ${ENV.dir.name}`,
  );
}

/** This account's home directory as the system knows it (the password database; the profile on Windows). */
function accountHome(): string | undefined {
  try {
    return absolute(process.getBuiltinModule('node:os').userInfo().homedir);
  } catch {
    return undefined; // no entry for this uid (a container's arbitrary user)
  }
}

/** `$GIT_CREDENTIAL_BITBUCKET_DIR`, resolved, when set. */
function ownDir(env: NodeJS.ProcessEnv): string | undefined {
  const dir = env[ENV.dir.name];
  return dir ? path.resolve(dir) : undefined;
}

/**
 * The data directory (tokens, the keyring index, settings.json): `$GIT_CREDENTIAL_BITBUCKET_DIR`,
 * else `$XDG_DATA_HOME/git-credential-bitbucket` (absolute only) or
 * `~/.local/share/git-credential-bitbucket` on Linux, `~/Library/Application
 * Support/git-credential-bitbucket` on macOS, `%APPDATA%\git-credential-bitbucket` on Windows.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const own = ownDir(env);
  if (own) return own;
  if (platform === 'darwin') return path.join(home(env), 'Library', 'Application Support', PROGRAM);
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home(env), 'AppData', 'Roaming'), PROGRAM);
  return path.join(absolute(env.XDG_DATA_HOME) ?? path.join(home(env), '.local', 'share'), PROGRAM);
}

/**
 * The cache directory (files that only save time and may vanish: the guard's server facts in
 * `prepush/`, the launcher's compiled code in `code/`): `$XDG_CACHE_HOME/git-credential-bitbucket`
 * (absolute only, on every platform), else `cache` in `$GIT_CREDENTIAL_BITBUCKET_DIR`, else
 * `~/.cache/git-credential-bitbucket`. The launcher has a copy of this rule (see file header).
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = absolute(env.XDG_CACHE_HOME);
  if (xdg) return path.join(xdg, PROGRAM);
  const own = ownDir(env);
  if (own) return path.join(own, 'cache');
  return path.join(home(env), '.cache', PROGRAM);
}

/**
 * The state directory (what the program remembers between runs that is neither a token nor a
 * cache, e.g. notices already shown): `$XDG_STATE_HOME/git-credential-bitbucket` (absolute
 * only), else `state` in `$GIT_CREDENTIAL_BITBUCKET_DIR`, else
 * `~/.local/state/git-credential-bitbucket` on Linux and `state` in the data directory elsewhere.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  const xdg = absolute(env.XDG_STATE_HOME);
  if (xdg) return path.join(xdg, PROGRAM);
  const own = ownDir(env);
  if (own) return path.join(own, 'state');
  if (platform === 'darwin' || platform === 'win32') return path.join(dataDir(env, platform), 'state');
  return path.join(home(env), '.local', 'state', PROGRAM);
}
