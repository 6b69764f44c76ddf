/**
 * The account password, for the steps a token cannot do itself (docs/bitbucket-server.md section 5:
 * only a password or a browser session may create or delete tokens). It is read once (hidden prompt
 * or --password-stdin, never an argument or environment variable), kept only inside the session
 * object, sent as Basic, and never retried after a refusal: a few failed attempts lock the account
 * behind a CAPTCHA (section 2).
 */
import {
  createAccessToken,
  listAccessTokens,
  loginOptions,
  revokeAccessToken,
  type NewTokenRequest,
} from '../../bitbucket/access-tokens.js';
import { utcMinute, type Auth, type BitbucketClient } from '../../bitbucket/client.js';
import { CommandError, EXIT } from '../shared/errors.js';
import type { CommandIO } from '../shared/io.js';
import { waitingFor } from '../shared/progress.js';
import { promptHidden, promptLine, readAllStdin } from '../shared/prompt.js';

/** Why the password cannot be used on this server; the guided path (web UI) takes over. */
export class PasswordUnusable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PasswordUnusable';
  }
}

/** A signed-in account: the steps that need the password, with the password kept inside. */
export interface PasswordSession {
  username: string;
  slug: string;
  create(req: NewTokenRequest): ReturnType<typeof createAccessToken>;
  list(): ReturnType<typeof listAccessTokens>;
  revoke(tokenId: string): ReturnType<typeof revokeAccessToken>;
}

export interface SignInOptions {
  client: BitbucketClient;
  io: CommandIO;
  /** Given with --username, or known from the URL or the stored account. */
  username?: string;
  /** Whether `username` came from the user (--username) rather than a guess to offer. */
  usernameGiven: boolean;
  passwordStdin: boolean;
}

/**
 * Asks for the username (prefilled when known) and the password, and checks them with exactly one
 * Basic request. Throws PasswordUnusable where the server takes no password (SSO only, Basic
 * disabled, CAPTCHA lock) and CommandError for a wrong password, before anything is created.
 */
export async function signIn(opts: SignInOptions): Promise<PasswordSession> {
  const { client, io } = opts;
  // Each request shows a progress line on a terminal when it takes over a second (never while a prompt is open).
  const options = await waitingFor(io, `${client.baseUrl} to answer`, loginOptions(client));
  if (options.status === 'ok' && !options.passwordLogin) {
    throw new PasswordUnusable(
      `${client.baseUrl} signs people in through an identity provider (SSO), so there is no account password to send`,
    );
  }
  const username = await askUsername(opts);
  // the final line break is the pipe's, not the password's (as docker login --password-stdin)
  const password = opts.passwordStdin
    ? (await readAllStdin(io)).replace(/\r?\n$/, '')
    : await promptHidden(
        io,
        `Password for ${username} on ${client.baseUrl} (used once, not stored; input is hidden): `,
        'no terminal to read the password from; pipe it with --password-stdin',
      );
  if (password === '') throw new CommandError('no password given; nothing was changed', EXIT.usage);
  const auth: Auth = { scheme: 'basic', username, secret: password };
  const before = client.basicRefusedAt(password);
  if (before !== undefined) throw rememberedRefusal(client, before);
  const who = await waitingFor(io, `${client.baseUrl} to check the password`, client.whoAmI(auth));
  if (who.status === 'unauthorized') {
    throw new CommandError(
      `${client.baseUrl} refused the username or password (one failed attempt; not retried, since repeated failures lock the account behind a CAPTCHA); nothing was changed`,
      EXIT.auth,
    );
  }
  if (who.status === 'captcha') {
    throw new PasswordUnusable(
      `${client.baseUrl} has locked ${username} behind a CAPTCHA (or asks for two-step verification), so a password cannot be used from here`,
    );
  }
  if (who.status === 'forbidden') {
    throw new PasswordUnusable(`${client.baseUrl} does not accept passwords on its REST API (Basic is disabled: 403)`);
  }
  if (who.status !== 'ok') throw new CommandError(`${client.baseUrl}: ${who.message}; nothing was changed`);
  const slug = await waitingFor(io, `${client.baseUrl} to look up ${who.username}`, slugOf(client, auth, who.username));
  const wait = <T>(what: string, work: Promise<T>): Promise<T> => waitingFor(io, `${client.baseUrl} to ${what}`, work);
  return {
    username: who.username,
    slug,
    create: (req) => wait('create the token', createAccessToken(client, auth, slug, req)),
    list: () => wait('list the tokens', listAccessTokens(client, auth, slug)),
    revoke: (id) => wait('revoke the token', revokeAccessToken(client, auth, slug, id)),
  };
}

/**
 * The password was refused before and is remembered (refused-basic.json): it is not sent again,
 * since each failed attempt counts towards the CAPTCHA lock. Says so, and how to forget it.
 */
function rememberedRefusal(client: BitbucketClient, at: number): CommandError {
  const where = client.refusalsKeptIn;
  const forget = where
    ? `if it is right now, delete ${where} (it forgets every remembered refusal) and try again`
    : 'type the right password';
  return new CommandError(
    `${client.baseUrl}: this password was not sent: the server refused it on ${utcMinute(at)}, and that refusal is remembered so that it costs no second failed attempt; ${forget}; nothing was changed`,
    EXIT.auth,
  );
}

async function askUsername(opts: SignInOptions): Promise<string> {
  const { io, username } = opts;
  if (username !== undefined && (opts.usernameGiven || opts.passwordStdin || !io.stdinIsTTY)) return username;
  if (opts.passwordStdin || !io.stdinIsTTY) {
    throw new CommandError('the account is not known: pass --username', EXIT.usage);
  }
  const typed = await promptLine(io, `Username${username ? ` [${username}]` : ''}: `);
  const name = typed === '' ? username : typed;
  if (!name) throw new CommandError('no username given; nothing was changed', EXIT.usage);
  return name;
}

/** The account's slug (addresses in the token API use it; it can differ from the name). */
async function slugOf(client: BitbucketClient, auth: Auth, name: string): Promise<string> {
  const direct = await client.getUser(auth, name);
  if (direct.status === 'ok') return direct.user.slug;
  const found = await client.findUserByName(auth, name);
  return found.status === 'ok' ? found.user.slug : name;
}
