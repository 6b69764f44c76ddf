/**
 * The JSON files behind the file store and the keyring index: their format, a fast
 * validating reader (used by `get`, which must not load conf), and a writer through conf
 * (atomic replace, mode 0600) used under the store lock, loaded before it is taken.
 */
import fs from 'node:fs';
import path from 'node:path';
import { StoreError, type Secrets, type StoredEntry } from './types.js';
import { loadEsm } from '../load-esm.js';
import { PROGRAM } from '../settings.js';
import { ensurePrivateDir } from '../private-dir.js';

/** One entry as kept on disk; `secrets` only in the file store, never in the keyring index. */
export type DiskEntry = StoredEntry & { secrets?: Secrets };

export interface StoreFileData {
  version: 1;
  entries: DiskEntry[];
}

export const STORE_FILE_VERSION = 1;

/**
 * Reads and validates a store file. A missing file is an empty store. A file that is not
 * valid JSON or not in our format raises a StoreError naming the file; the file is left
 * untouched so that nothing in it is lost.
 */
export function readStoreFile(file: string): StoreFileData {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { version: 1, entries: [] };
    throw new StoreError(`cannot read credential store ${file}: ${code ?? (err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corrupt(file, 'not valid JSON');
  }
  // A line break or NUL in a value can only be written as an escape (\n, \r, \u0000, ...):
  // without one anywhere in the file, no field needs the per-field check.
  const problem = validate(data, /\\[nr]|\\u00/i.test(text));
  if (problem) throw corrupt(file, problem);
  return data as StoreFileData;
}

function corrupt(file: string, why: string): StoreError {
  return new StoreError(`credential store ${file} is corrupt (${why}); it was left unchanged: repair or remove it`);
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isOptStr = (v: unknown) => v === undefined || isStr(v);
const unsafe = (v: unknown) => isStr(v) && /[\r\n\0]/.test(v);

function validate(data: unknown, mayHaveBreaks = true): string | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return 'not an object';
  const d = data as Record<string, unknown>;
  if (d.version !== STORE_FILE_VERSION) return `unknown format version ${JSON.stringify(d.version)}`;
  if (!Array.isArray(d.entries)) return "'entries' is not a list";
  for (const [i, e] of d.entries.entries()) {
    const problem = validateEntry(e, mayHaveBreaks);
    if (problem) return `entry ${i + 1}: ${problem}`;
  }
  return undefined;
}

function validateEntry(e: unknown, mayHaveBreaks: boolean): string | undefined {
  if (typeof e !== 'object' || e === null) return 'not an object';
  const r = e as Record<string, unknown>;
  if (!isStr(r.protocol) || r.protocol === '' || !isStr(r.host) || r.host === '') return 'protocol or host missing';
  if (!isOptStr(r.path) || !isOptStr(r.username) || !isOptStr(r.authtype))
    return 'path, username or authtype is not text';
  if (mayHaveBreaks && [r.protocol, r.host, r.path, r.username, r.authtype].some(unsafe))
    return 'a field contains a line break or NUL';
  if (typeof r.hasPassword !== 'boolean' || typeof r.hasCredential !== 'boolean')
    return 'hasPassword/hasCredential missing';
  if (typeof r.storedAt !== 'number') return 'storedAt missing';
  if (r.passwordExpiryUtc !== undefined && typeof r.passwordExpiryUtc !== 'number')
    return 'passwordExpiryUtc is not a number';
  if (r.meta !== undefined && (typeof r.meta !== 'object' || r.meta === null)) return 'meta is not an object';
  if (r.secrets !== undefined) {
    if (typeof r.secrets !== 'object' || r.secrets === null) return 'secrets is not an object';
    const s = r.secrets as Record<string, unknown>;
    if (!isOptStr(s.password) || !isOptStr(s.oauthRefreshToken) || !isOptStr(s.credential))
      return 'a secret is not text';
  }
  return undefined;
}

let conf: Promise<typeof import('conf')> | undefined;

/**
 * Loads conf (once per process). Writers call it *before* taking the store lock: the import
 * alone costs about 0.25 s on a loaded machine, time every other writer would wait. `get`
 * never calls it.
 */
export function loadConf(): Promise<typeof import('conf')> {
  conf ??= loadEsm<typeof import('conf')>('conf');
  return conf;
}

/**
 * Writes a store file through conf: atomic replace (temp file + rename) with mode 0600. conf
 * keeps this role (an atomic, mode-preserving JSON write) because that is what it does best;
 * it is loaded by {@link loadConf}, which callers run before taking the lock.
 */
export async function writeStoreFile(file: string, data: StoreFileData): Promise<void> {
  const { default: Conf } = await loadConf();
  const dir = path.dirname(file);
  try {
    ensurePrivateDir(dir);
    const ext = path.extname(file);
    const conf = new Conf<StoreFileData>({
      cwd: dir,
      configName: path.basename(file, ext),
      fileExtension: ext.replace(/^\./, ''),
      projectName: PROGRAM,
      configFileMode: 0o600,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
      watch: false,
    });
    conf.store = data;
    if (process.platform !== 'win32') fs.chmodSync(file, 0o600);
  } catch (err) {
    // Only the error code: a JSON parser's message can quote the file, and the file holds secrets.
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name ?? 'error';
    throw new StoreError(`cannot write credential store ${file} (${code}); it was left unchanged`);
  }
}
