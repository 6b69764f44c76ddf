/**
 * The fast path: what runs when git calls `git-credential-bitbucket get|store|erase`. It loads
 * the parser, the matching rules and the stores, nothing else: no CLI framework, no HTTP.
 * Stdout carries only the `get` answer; diagnostics go to stderr as one line.
 */
import { formatCredential, parseCredential, type CredentialRequest } from './protocol.js';
import type { StoredEntry, TokenStore } from '../store/types.js';
import {
  eraseCredentialEntries,
  getCredential,
  oneLine,
  storeCredential,
  storeSkipper,
  type Tagged,
} from './helper.js';
import { expiredTokenLine, refusedTokenLine } from './notices.js';
import { ALLOW_HTTP_KEY, dataDir, PROGRAM as PREFIX } from '../settings.js';
import { cleartextFilter, httpAllowed, isCleartextRemote } from './transport.js';
import { allStores, configuredBackend, openStores, selectBackend } from '../store/select.js';
import { readSettings, recordFileFallback, recordRefusals } from '../store/settings.js';
import { dueNotice } from './renewal.js';
import { noteGiven } from './given.js';
import { isRetired, withRetiredLock } from './retired.js';
import { hideInTrace, initTrace, trace } from '../trace.js';
import { passwordRefusal } from './passwords.js';

export const HELPER_OPERATIONS = ['get', 'store', 'erase'] as const;
export type HelperOperation = (typeof HELPER_OPERATIONS)[number];

export interface HelperIO {
  readInput(): string;
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  now(): number;
  /**
   * Whether stderr is a terminal (renewal notices are only for a person watching); a function is
   * asked only when a notice could be due.
   */
  stderrIsTTY?: boolean | (() => boolean);
}

const PURPOSE: Record<HelperOperation, string> = {
  get: 'print the stored token for the credential described on standard input',
  store: 'keep the credential described on standard input (git sends it after the server accepted it)',
  erase: 'forget the credential described on standard input (git sends it after the server refused it)',
};

/**
 * `get --help` and friends, or a usage error for any other argument (git never passes one),
 * decided before standard input is read; undefined when the operation should run.
 */
export function helperUsage(op: HelperOperation, args: readonly string[]): { text: string; code: number } | undefined {
  if (args.length === 0) return undefined;
  if (args.some((a) => a === '--help' || a === '-h')) {
    return {
      code: 0,
      text: `${PREFIX} ${op}\n\n${PURPOSE[op]}.\ngit runs this itself (gitcredentials(7)); it reads key=value lines ending with a blank line, for example:\n  printf 'protocol=https\\nhost=bitbucket.example.com\\n\\n' | ${PREFIX} ${op}\nTo manage tokens use 'login', 'status', 'list' and 'logout'; see '${PREFIX} --help'.\n`,
    };
  }
  return {
    code: 2,
    text: `${PREFIX}: ${op} takes no arguments (got ${args.join(' ')}); nothing was read or changed. Run '${PREFIX} ${op} --help'.\n`,
  };
}

/**
 * The one server `setup` set up on the request's host (its records in settings.json), when
 * there is exactly one: the base URL whose `bitbucket.allowHttp` applies when git sends no path.
 */
function setUpOn(req: CredentialRequest, dir: string): string | undefined {
  const origin = `${req.protocol}://${req.host}`.toLowerCase();
  const bases = new Set<string>();
  for (const key of Object.keys(readSettings(dir).setups ?? {})) {
    const url = key.slice(key.lastIndexOf('|') + 1);
    const lower = url.toLowerCase();
    if (lower === origin || lower.startsWith(`${origin}/`)) bases.add(url);
  }
  return bases.size === 1 ? [...bases][0] : undefined;
}

export async function runHelperOperation(op: HelperOperation, io: HelperIO): Promise<number> {
  const parsed = parseCredential(io.readInput());
  if (!parsed.ok) {
    io.stderr(
      `${PREFIX}: ${op}: ${parsed.error}; nothing was ${op === 'get' ? 'returned' : op === 'store' ? 'stored' : 'erased'}\n`,
    );
    return 1;
  }
  const req = parsed.request;
  const dir = dataDir(io.env);
  const stores = openStores(dir);
  if (initTrace(io.env)) {
    hideInTrace(req.password, req.oauthRefreshToken, req.credential);
    trace(op, () => `request ${describeRequest(req)}; data directory ${dir}`);
  }
  try {
    switch (op) {
      case 'get': {
        // Over plain http to another machine, only tokens the user allowed that for.
        const onlyAllowed = await cleartextFilter(req, io.env, () => setUpOn(req, dir));
        if (onlyAllowed)
          trace(
            op,
            () =>
              'plain http:// to another host: only tokens logged in with --allow-http, or whose server bitbucket.allowHttp allows',
          );
        let chosen: Tagged | undefined;
        // a store that fails (a corrupt file) is named once and skipped: the others still answer
        const { skip, failed } = storeSkipper(op, io.stderr);
        const answer = await getCredential(
          req,
          allStores(stores),
          io.now(),
          onlyAllowed,
          (e) => {
            chosen = e;
          },
          skip,
        );
        trace(op, () => (answer.length > 0 ? `answered: ${answer.map(([k]) => k).join(', ')}` : 'no answer'));
        let held: Tagged | undefined;
        const unfiltered = () =>
          getCredential(req, allStores(stores), io.now(), undefined, (e) => void (held = e), skip);
        if (answer.length === 0 && onlyAllowed && (await unfiltered()).length > 0) {
          // the key for the server when one is known (a path under it is not sent without useHttpPath)
          const base = held?.meta?.baseUrl ?? setUpOn(req, dir);
          const key = base ? ALLOW_HTTP_KEY.replace('.', `.${base}.`) : ALLOW_HTTP_KEY;
          io.stderr(
            `${PREFIX}: not sending a token over plain http:// to ${req.host}; use https://, or allow it: git config --global ${key} true\n`,
          );
        }
        // Format fully before writing anything: an unsafe value means no answer at all.
        if (answer.length > 0) io.stdout(formatCredential(answer));
        else if (failed.size === 0) await sayWhyNothing(req, allStores(stores), io);
        // recorded under the answering store's lock, only if no writer changed it since it was read
        await noteGiven(io.env, dir, req, answer, chosen?.store);
        const notice =
          chosen && dueNotice(chosen, { env: io.env, now: io.now(), stderrIsTTY: io.stderrIsTTY ?? false });
        if (notice) io.stderr(notice);
        // nothing to answer and a store failed: a failure, as before (its line was written)
        return answer.length === 0 && failed.size > 0 ? 1 : 0;
      }
      case 'store': {
        if (isCleartextRemote(req) && !(await httpAllowed(req, io.env, () => setUpOn(req, dir)))) {
          trace(op, () => 'plain http:// to another host, not allowed: nothing stored');
          return 0;
        }
        const refuseRetired = (): number => {
          trace(op, () => 'a token login, rotate or logout took out: nothing stored');
          io.stderr(
            `${PREFIX}: store: not storing a token for ${req.host} that login, rotate or logout replaced or removed (a git command already running, or git's credential-cache, still held it; with a cache in front, run 'git credential-cache exit'; to use it again, log in with it); nothing changed\n`,
          );
          return 0;
        };
        // at once, before any store is read; the check that decides is the one under the lock below
        if (isRetired(dir, req)) return refuseRetired();
        const refusal = await passwordRefusal(req, allStores(stores), io.env);
        if (refusal) {
          trace(op, () => 'not a token: nothing stored');
          io.stderr(refusal);
          return 0;
        }
        const outcome = await storeCredential(
          req,
          allStores(stores),
          async () => {
            const selection = await selectBackend(stores, await configuredBackend(io.env));
            trace(op, () => {
              const c = selection.configured;
              const why = selection.fallbackReason ? ` (keyring not usable: ${selection.fallbackReason})` : '';
              return `backend ${c.choice} from ${c.source}: writing to the ${selection.store.kind} store${why}`;
            });
            // the notice is for login/status; failing to record it must not lose the credential
            if (selection.configured.choice === 'auto')
              await recordFileFallback(dir, selection.fallbackReason, io.now()).catch(() => undefined);
            return selection.store;
          },
          io.now(),
          // the record is checked again and the token written under the lock login, rotate and
          // logout hold while they retire a token and store its successor (src/credential/retired.ts):
          // a store between their write of the record and ours of the token cannot happen
          (write) =>
            withRetiredLock(
              dir,
              async () => {
                if (isRetired(dir, req)) return false;
                await write();
                return true;
              },
              { onBusy: () => trace(op, () => 'waiting for the lock of the retired record') },
            ),
        );
        trace(op, () => `${outcome.result}${outcome.store ? ` (${outcome.store.kind} store)` : ''}`);
        if (outcome.result === 'refused') return refuseRetired();
        return 0;
      }
      case 'erase': {
        // Only tokens from `login` (they know their server) that git sends back refused get a word and a record.
        const refused = (await eraseCredentialEntries(req, allStores(stores)))
          .filter((e) => e.refused && e.entry.meta?.baseUrl !== undefined)
          .map((e) => e.entry);
        for (const e of refused) io.stderr(refusedTokenLine(e));
        trace(op, () => `refused by the server: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} of login`);
        const at = io.now();
        await recordRefusals(
          dir,
          refused.map((e) => ({
            protocol: e.protocol,
            host: e.host,
            ...(e.username !== undefined ? { username: e.username } : {}),
            ...(e.meta?.baseUrl !== undefined ? { baseUrl: e.meta.baseUrl } : {}),
            ...(e.meta?.kind === 'project' ? { kind: 'project' as const } : {}),
            at,
          })),
        ).catch(() => undefined);
        return 0;
      }
    }
  } catch (err) {
    trace(op, () => `failed: ${oneLine(err)}`);
    io.stderr(`${PREFIX}: ${op}: ${oneLine(err)}\n`);
    return 1;
  }
}

/** A request for the trace: its key and which attributes came, never a secret's value. */
function describeRequest(req: CredentialRequest): string {
  const parts = [
    `${req.protocol ?? '?'}://${req.username !== undefined ? `${req.username}@` : ''}${req.host ?? '?'}/${req.path ?? ''}`,
  ];
  if (req.password !== undefined) parts.push('with password');
  if (req.credential !== undefined) parts.push(`with credential (${req.authtype ?? 'no authtype'})`);
  if (req.passwordExpiryUtc !== undefined) parts.push(`password_expiry_utc=${req.passwordExpiryUtc}`);
  if (req.capabilities.length > 0) parts.push(`capabilities ${req.capabilities.join(',')}`);
  if (req.wwwauth.length > 0) parts.push(`wwwauth ${req.wwwauth.map((w) => w.split(' ')[0]).join(',')}`);
  if (req.ephemeral) parts.push('ephemeral');
  return parts.join(', ');
}

/** After an empty `get` answer: one line when the reason is a token of ours that expired. */
async function sayWhyNothing(req: CredentialRequest, stores: readonly TokenStore[], io: HelperIO): Promise<void> {
  const entries: StoredEntry[] = [];
  for (const s of stores) entries.push(...(await s.list()));
  const line = expiredTokenLine(req, entries, io.now());
  if (line) io.stderr(line);
}
