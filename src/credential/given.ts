/**
 * What `get` just gave out, so that git's `store` of exactly that credential needs no Node.
 *
 * After every successful request git runs `store` on every helper (gitcredentials(7)), with the
 * credential it used. When that is the one this helper handed out a moment earlier, and no store
 * was written since, storing it changes nothing. The helper line that `setup` writes starts
 * `bin/git-credential-bitbucket.sh` (a small sh front) instead of Node; for `store` the front
 * compares a digest of the request with the digests listed in the data directory's `given` file
 * and exits without starting Node on a match. Everything else goes to Node as before.
 *
 * The file holds a random salt and SHA-256 digests of `salt\ncanonical` (never a secret):
 * - `get` adds its answer's digests (only when the front announced the same file in
 *   GIT_CREDENTIAL_BITBUCKET_GIVEN, i.e. a front that computes the same data directory);
 * - `get` without an answer, and every write to a store (put, erase), delete the file; `get`
 *   writes it under the answering store's lock, only if that store is unchanged since it was
 *   read (see noteGiven), so a digest only ever describes a credential the store still holds
 *   exactly as it was given out:
 *   a token typed at a prompt after that (new or the same) always reaches Node.
 * The canonical text lists the attributes `store` keeps, in this fixed order, as `key=value`
 * lines; the front builds the same text from the request (capability[] and state[] left out,
 * any other attribute means no match).
 *
 * The file ends with a memo of the latest record: its canonical text without the secret values
 * and the store's identity when `get` read it (see memoLine). A `get` that gives out the same
 * again from an unchanged store finds the memo and is done without hashing, which is most of
 * the record's cost. The front never takes the memo for a digest (it is not one).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialRequest } from './protocol.js';
import { sha256Hex } from '../prepush/sha256.js';
import { isLowerHex } from '../prepush/chars.js';
import { ENV } from '../settings.js';
import type { TokenStore } from '../store/types.js';

export const GIVEN_FILE = 'given';
const HEADER = 'v1 ';
/** Enough for several accounts and hosts used in turn; older digests fall off. */
const MAX_DIGESTS = 16;

/** The attributes of a `store` request that the comparison covers, in canonical order. */
export const CANONICAL_KEYS = [
  'protocol',
  'host',
  'path',
  'username',
  'password',
  'password_expiry_utc',
  'oauth_refresh_token',
  'authtype',
  'credential',
] as const;

/** Attributes git 2.39 (before 2.41) does not hand back in `store`. */
const NEWER_KEYS = new Set(['password_expiry_utc', 'oauth_refresh_token']);
/** Attributes whose values the memo leaves out. */
const SECRET_KEYS = new Set(['password', 'oauth_refresh_token', 'credential']);
const MEMO = 'm ';

export function givenPath(dir: string): string {
  return path.join(dir, GIVEN_FILE);
}

/** Pure: the canonical texts git may echo back in `store` for this answer (with and without the 2.41+ attributes). */
export function canonicalForms(req: CredentialRequest, answer: ReadonlyArray<readonly [string, string]>): string[] {
  const values = canonicalValues(req, answer);
  const forms = [canonicalText(values, () => false)];
  if ([...NEWER_KEYS].some((k) => values.has(k))) forms.push(canonicalText(values, (k) => NEWER_KEYS.has(k)));
  return forms;
}

function canonicalValues(
  req: CredentialRequest,
  answer: ReadonlyArray<readonly [string, string]>,
): Map<string, string> {
  const values = new Map<string, string>();
  if (req.protocol !== undefined) values.set('protocol', req.protocol);
  if (req.host !== undefined) values.set('host', req.host);
  if (req.path !== undefined) values.set('path', req.path);
  if (req.username !== undefined) values.set('username', req.username);
  for (const [k, v] of answer) if (k !== 'capability[]') values.set(k, v);
  return values;
}

function canonicalText(values: ReadonlyMap<string, string>, skip: (k: string) => boolean): string {
  return CANONICAL_KEYS.filter((k) => values.has(k) && !skip(k))
    .map((k) => `${k}=${values.get(k)}\n`)
    .join('');
}

/**
 * Pure: the memo line of a record, `m ["<store identity>","<canonical text>"]` with the secret
 * attributes' values left out (`password=` and so on): the same line means the same answer,
 * since a store that is unchanged holds one secret per account. Never a secret. Should it be
 * wrong (a keyring secret replaced by another program leaves the index, and so the identity, as
 * it was), the record is only not brought up to date: the front then sends git's `store` of the
 * new secret to Node, as it does without a record. A memo never makes anything be skipped.
 */
export function memoLine(
  stamp: string,
  req: CredentialRequest,
  answer: ReadonlyArray<readonly [string, string]>,
): string {
  const values = canonicalValues(req, answer);
  for (const k of SECRET_KEYS) if (values.has(k)) values.set(k, '');
  return `${MEMO}${JSON.stringify([stamp, canonicalText(values, () => false)])}`;
}

/** The digest the front computes: SHA-256 of the salt line and the canonical text. */
export function givenDigest(salt: string, canonical: string): string {
  return sha256Hex(`${salt}\n${canonical}`);
}

/**
 * After `get`: records the answer's digests when the front asked for it in `env`, or forgets
 * everything when there was no answer. Never throws: it only decides whether a later store
 * may skip Node.
 *
 * The record is written under the lock of `from`, the store that answered, and only while that
 * store is still as `get` read it (TokenStore.whileUnchanged; the lock is tried once, never
 * waited for). An erase or store in another process between `get`'s read and this write
 * changes the store file under that lock and deletes this file after it: either it is done
 * before (the store changed: nothing is recorded) or it comes after (and deletes the record).
 * Without that, an erased token could be recorded as given, and a later store of that very
 * token (typed again at a prompt) would be skipped.
 */
export async function noteGiven(
  env: NodeJS.ProcessEnv,
  dir: string,
  req: CredentialRequest,
  answer: ReadonlyArray<readonly [string, string]>,
  from: Pick<TokenStore, 'whileUnchanged' | 'seenStamp'> | undefined,
): Promise<void> {
  try {
    const own = givenPath(dir);
    const announced = env[ENV.given.name];
    if (answer.length === 0) {
      forgetGiven(dir);
      return;
    }
    if (!announced) return;
    if (announced !== own && path.resolve(announced) !== path.resolve(own)) {
      // the front looks at a file this data directory does not keep up to date: empty it
      if (path.basename(announced) === GIVEN_FILE) fs.rmSync(announced, { force: true });
      return;
    }
    // everything but the write happens before the lock is taken
    const lines = readLines(own);
    const stamp = from?.seenStamp?.();
    const memo = stamp === undefined ? undefined : memoLine(stamp, req, answer);
    // the same answer from the same store as the last record: its digests are there already
    if (memo !== undefined && lines.length > 2 && lines[0]!.startsWith(HEADER) && lines.at(-1) === memo) return;
    let salt = lines[0]?.startsWith(HEADER) ? lines[0].slice(HEADER.length) : undefined;
    if (!salt || !isLowerHex(salt, 32)) salt = newSalt();
    const digests = canonicalForms(req, answer).map((c) => givenDigest(salt, c));
    const kept = lines.slice(1).filter((d) => isLowerHex(d, 64) && !digests.includes(d));
    const next = [`${HEADER}${salt}`, ...digests, ...kept.slice(0, MAX_DIGESTS - digests.length)];
    if (memo !== undefined) next.push(memo);
    if (next.join('\n') === lines.join('\n')) return;
    const tmp = `${own}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${next.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      if (!from?.whileUnchanged || !(await from.whileUnchanged(() => fs.renameSync(tmp, own)))) return;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } catch {
    // without the file the front starts Node for store: slower, never wrong
  }
}

/** Deletes the record: the next store reaches Node. */
export function forgetGiven(dir: string): void {
  try {
    fs.rmSync(givenPath(dir), { force: true });
  } catch {
    // a file that cannot be removed is one this user cannot write either
  }
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function newSalt(): string {
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  return randomBytes(16).toString('hex');
}
