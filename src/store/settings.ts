/**
 * Small persistent settings and notices, kept with conf in `settings.json`. Today: why new
 * tokens went to the file store, so that login and status can say it once, clearly, instead
 * of every `get` saying it on stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConf } from './storefile.js';
import { ensurePrivateDir } from '../private-dir.js';
import { withLock } from './lock.js';
import { storePaths } from './paths.js';
import { PROGRAM } from '../settings.js';

export interface Settings {
  fileFallback?: { reason: string; at: number };
  /** What `setup` added, per `<config file>|<url>`, so that `unsetup` removes exactly that. */
  setups?: Record<string, SetupRecord>;
  /** Tokens this helper handed out that the server then refused (git erased them), until the next login. */
  refused?: Refusal[];
}

/** A token the server refused, without the secret: which account, where, when. */
export interface Refusal {
  protocol: string;
  host: string;
  username?: string;
  baseUrl?: string;
  /** A project or repository token (its new one is logged in with --allow-project-token). */
  kind?: 'project';
  /** Epoch milliseconds. */
  at: number;
}

function sameAccount(a: Omit<Refusal, 'at'>, b: Omit<Refusal, 'at'>): boolean {
  return a.protocol === b.protocol && a.host.toLowerCase() === b.host.toLowerCase() && a.username === b.username;
}

/** Remembers refused tokens (replacing older records of the same accounts). */
export async function recordRefusals(dir: string, refusals: readonly Refusal[]): Promise<void> {
  if (refusals.length === 0) return;
  await updateSettings(dir, (s) => {
    const kept = (s.refused ?? []).filter((r) => !refusals.some((n) => sameAccount(r, n)));
    s.refused = [...kept, ...refusals];
  });
}

/** Forgets the refusal of an account (a new login replaced its token); writes only when there is one. */
export async function clearRefusal(dir: string, account: Omit<Refusal, 'at'>): Promise<void> {
  if (!(readSettings(dir).refused ?? []).some((r) => sameAccount(r, account))) return;
  await updateSettings(dir, (s) => {
    s.refused = (s.refused ?? []).filter((r) => !sameAccount(r, account));
    if (s.refused.length === 0) delete s.refused;
  });
}

/**
 * What one `setup` wrote into one config file. setup's helper lines are recognised by their form
 * (src/commands/setup-plan.ts); the record says what the form cannot.
 */
export interface SetupRecord {
  /** false only from versions that reused an empty value the user had: that one stays. */
  addedReset: boolean;
  addedUseHttpPath: boolean;
  /** The file did not exist before setup (or before another setup of the same file that did). */
  createdFile: boolean;
  /** `setup --cache`: the credential-cache helper value it put before ours. */
  cache?: string;
  /**
   * `setup --hook` with git 2.54+: `installed` when the global config-based hook was not there (or
   * another setup had installed it), so the last unsetup of such setups removes it; `found` when it was.
   */
  hook?: 'installed' | 'found';
}

export function readSettings(dir: string): Settings {
  try {
    // never through a link (as the store files): what it says decides what unsetup removes
    const fd = fs.openSync(storePaths(dir).settings, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    let text: string;
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
    const data = JSON.parse(text) as unknown;
    return typeof data === 'object' && data !== null ? (data as Settings) : {};
  } catch {
    return {};
  }
}

/** Records (or, with `undefined`, clears) the file fall-back notice; writes only on change. */
export async function recordFileFallback(dir: string, reason: string | undefined, now = Date.now()): Promise<void> {
  const current = readSettings(dir).fileFallback;
  if (current?.reason === reason) return;
  await updateSettings(dir, (s) => {
    if (reason === undefined) delete s.fileFallback;
    else s.fileFallback = { reason, at: now };
  });
}

/** Read-modify-write of the settings file through conf (atomic replace, mode 0600). */
export async function updateSettings(dir: string, fn: (s: Settings) => void): Promise<void> {
  const { default: Conf } = await loadConf();
  ensurePrivateDir(dir, 'data directory');
  const conf = new Conf<Settings>({
    cwd: dir,
    configName: path.basename(storePaths(dir).settings, '.json'),
    projectName: PROGRAM,
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
  });
  await withLock(`${storePaths(dir).settings}.lock`, () => {
    const next = { ...conf.store };
    fn(next);
    conf.store = next;
  });
}
