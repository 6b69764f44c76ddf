/**
 * `login URL --create`: the token comes from the server rather than from the user. Permissions are
 * checked before anything is sent; the password goes out once; where it cannot be used, the user is
 * guided to create the token in the web UI and paste it.
 */
import { permissionProblem } from '../../bitbucket/access-tokens.js';
import type { BitbucketLocation } from '../../bitbucket/url.js';
import { listAccounts, storesFor, type Account } from '../shared/accounts.js';
import { CommandError, EXIT } from '../shared/errors.js';
import type { CommandIO } from '../shared/io.js';
import { clientFor } from '../shared/server.js';
import { namedTimeout } from '../shared/timeout.js';
import {
  createToken,
  defaultTokenName,
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_PERMISSIONS,
  MAX_EXPIRY_DAYS,
  tokenLine,
  type Created,
} from './create.js';
import { guidedCreate } from './guided.js';
import { PasswordUnusable, signIn, type PasswordSession } from './password.js';
import { stillWorksNotice } from './revoke.js';
import { watchCreated, type CreatedWatch } from './interrupt.js';

/** The options of `login` that `--create` uses. */
export interface CreateFlags {
  username?: string;
  /** Comma-separated, e.g. `PROJECT_READ,REPO_WRITE`. */
  permissions?: string;
  expiryDays?: number;
  passwordStdin: boolean;
  /** Seconds per request. */
  timeout: number;
}

/** Usage errors in the combination of flags, before anything else happens. */
export function checkCreateFlags(o: {
  create?: boolean;
  tokenStdin: boolean;
  permissions?: string;
  expiryDays?: number;
  passwordStdin?: boolean;
}): void {
  if (o.create && o.tokenStdin) {
    throw new CommandError('--create makes the token; --token-stdin reads one: use one of them', EXIT.usage);
  }
  const needCreate = [
    o.permissions !== undefined && '--permissions',
    o.expiryDays !== undefined && '--expiry-days',
    o.passwordStdin && '--password-stdin',
  ].filter((x): x is string => typeof x === 'string');
  if (!o.create && needCreate.length > 0) {
    throw new CommandError(`${needCreate.join(', ')}: only with --create`, EXIT.usage);
  }
  if (o.create) creationSettings(o);
}

/** Parses and checks `--permissions` and `--expiry-days`; usage errors, before any request. */
export function creationSettings(flags: Pick<CreateFlags, 'permissions' | 'expiryDays'>): {
  permissions: string[];
  expiryDays?: number;
} {
  const permissions =
    flags.permissions === undefined
      ? DEFAULT_PERMISSIONS
      : flags.permissions
          .split(/[\s,]+/)
          .filter((p) => p !== '')
          .map((p) => p.toUpperCase());
  const problem = permissionProblem(permissions);
  if (problem) throw new CommandError(`--permissions: ${problem}`, EXIT.usage);
  const days = flags.expiryDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_EXPIRY_DAYS)) {
    throw new CommandError(`--expiry-days: give a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`, EXIT.usage);
  }
  return { permissions, ...(days !== undefined ? { expiryDays: days } : {}) };
}

/**
 * A token `login --create` got: its raw value, and (when this program created it with the password)
 * the session and the server's record of it, so that a later failure can revoke it.
 */
export interface ForLogin {
  raw: string;
  made?: { session: PasswordSession; created: Created; watch: CreatedWatch };
}

/** Creates a token for `login --create` (or takes the one the user pasted on the guided path). */
export async function createForLogin(server: BitbucketLocation, flags: CreateFlags, io: CommandIO): Promise<ForLogin> {
  const { permissions, expiryDays } = creationSettings(flags);
  const client = await clientFor(server.baseUrl, io, flags.timeout * 1000, {
    timeoutNamed: namedTimeout(flags.timeout),
  });
  const name = defaultTokenName();
  const known = flags.username ?? server.username ?? (await storedUsername(server, io));
  try {
    const session = await signIn({
      client,
      io,
      ...(known !== undefined ? { username: known } : {}),
      usernameGiven: flags.username !== undefined,
      passwordStdin: flags.passwordStdin,
    });
    // for a notice and the id never to revoke: a store that cannot be read now is no reason to stop
    const before = (await accountsFor(server, io).catch(() => [])).find((a) => a.username === session.username);
    const created = await createToken({
      session,
      io,
      baseUrl: server.baseUrl,
      name,
      permissions,
      ...(expiryDays !== undefined ? { expiryDays } : {}),
      interactive: io.stdinIsTTY && !flags.passwordStdin,
      ...(before?.meta?.tokenId !== undefined ? { keep: [before.meta.tokenId] } : {}),
    });
    const watch = await watchCreated(session, created, server.baseUrl, io);
    io.stderr(`Created token ${tokenLine(created.info)} [${created.info.permissions.join(', ')}].\n`);
    if (before) io.stderr(`${stillWorksNotice(before, true)}\n`);
    return { raw: created.raw, made: { session, created, watch } };
  } catch (err) {
    if (!(err instanceof PasswordUnusable)) throw err;
    const raw = await guidedCreate(
      {
        baseUrl: server.baseUrl,
        ...(known !== undefined ? { userSlug: known } : {}),
        reason: err.reason,
        name,
        permissions,
        expiryDays: expiryDays ?? DEFAULT_EXPIRY_DAYS,
        scriptHint: `git credential-bitbucket login ${server.baseUrl} --token-stdin`,
      },
      io,
    );
    return { raw };
  }
}

/** The accounts stored for this host. */
async function accountsFor(server: BitbucketLocation, io: CommandIO): Promise<Account[]> {
  return (await listAccounts(storesFor(io).stores)).filter(
    (a) => a.protocol === server.protocol && a.host.toLowerCase() === server.host.toLowerCase() && a.username,
  );
}

/** The account already stored for this host, when there is exactly one: the username to offer. */
async function storedUsername(server: BitbucketLocation, io: CommandIO): Promise<string | undefined> {
  const accounts = await accountsFor(server, io);
  return accounts.length === 1 ? accounts[0]?.username : undefined;
}
