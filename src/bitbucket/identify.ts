/**
 * Token introspection: who a token acts as, whether it is a person's token or a project/repository
 * token (a second, system-generated identity), how git should send it, and what its entry says.
 * Decisions follow docs/bitbucket-server.md sections 2-5; never the shape of a user name.
 */
import type { Auth, BitbucketClient } from './client.js';
import type { AccessTokenInfo, BitbucketUser } from './model.js';
import { decodeTokenId } from './token.js';
import { classifyUser, type Classification } from './classify.js';
import { notAnAuthenticationFailure } from './failure.js';

/** Input of {@link introspectToken}. */
export interface IntrospectOptions {
  client: BitbucketClient;
  token: string;
  /** The username the caller expects (from the remote URL or the credential request). */
  username?: string;
  /** Where the token is used; lets a project/repository token's entry be looked up. */
  projectKey?: string;
  repoSlug?: string;
}

/** What a valid token is. `authScheme` is how git should send it: Basic for personal tokens. */
export interface ValidTokenReport {
  status: 'valid';
  /** `unknown`: the token works but the server names no user for it (docs/bitbucket-server.md section 12). */
  kind: 'personal' | 'project' | 'unknown';
  user: { name: string; slug: string; displayName?: string; email?: string; type?: string };
  authScheme: 'basic' | 'bearer';
  tokenId?: string;
  tokenName?: string;
  permissions?: string[];
  /** epoch ms; absent when unknown or the token never expires. */
  expiresAt?: number;
  createdAt?: number;
  lastAuthenticatedAt?: number;
  server: { version?: string };
  /** Set when `username` was given and the server acts as someone else. */
  usernameMismatch?: { expected: string; actual: string };
  /** Short human-readable reasons for `kind`, e.g. `user type SERVICE`. */
  evidence: string[];
}

/** Result of {@link introspectToken}; messages never contain the token. */
export type TokenReport =
  ValidTokenReport | { status: 'invalid' | 'captcha' | 'unreachable' | 'not-bitbucket' | 'error'; message: string };

/**
 * Learns the acting user with Bearer first (a failed Bearer never counts towards a person's CAPTCHA
 * lock), classifies the token from the user record, confirms with Basic only when the record is
 * missing or inconclusive (and only with the username the server reported), then reads the token's
 * own entry on a best-effort basis.
 */
export async function introspectToken(opts: IntrospectOptions): Promise<TokenReport> {
  const { client, token } = opts;
  if (token === '' || /[\r\n\0]/.test(token))
    return { status: 'invalid', message: 'the token is empty or contains control characters' };
  const props = await client.applicationProperties();
  if (props.status === 'not-bitbucket') return { status: 'not-bitbucket', message: props.message };
  if (props.status === 'network') return { status: 'unreachable', message: props.message };
  const server = props.status === 'ok' ? { version: props.version } : {};

  const bearer: Auth = { scheme: 'bearer', secret: token };
  const who = await client.whoAmI(bearer);
  if (who.status === 'unauthorized') {
    // Servers may name no user for project and repository tokens, or refuse them the users API;
    // the token still works if it sees what anonymous callers never see.
    if (notAnAuthenticationFailure(who) && (await client.seesRepositories(bearer)))
      return unnamedReport(opts, bearer, server);
    return { status: 'invalid', message: `Bitbucket rejected the token (${who.message})` };
  }
  if (who.status === 'captcha') return { status: 'captcha', message: who.message };
  if (who.status === 'network') return { status: 'unreachable', message: who.message };
  if (who.status !== 'ok') return { status: 'error', message: `could not validate the token: ${who.message}` };

  const user = await lookUpUser(client, bearer, who.username);
  const verdict = await decide(client, token, who.username, user);
  if (verdict.status !== 'decided') return verdict;

  const report: ValidTokenReport = {
    status: 'valid',
    kind: verdict.kind,
    authScheme: verdict.kind === 'personal' ? 'basic' : 'bearer',
    user: describeUser(who.username, user),
    server,
    evidence: verdict.evidence,
  };
  if (opts.username !== undefined && opts.username.toLowerCase() !== who.username.toLowerCase()) {
    report.usernameMismatch = { expected: opts.username, actual: who.username };
  }
  await addTokenEntry(report, opts, bearer);
  return report;
}

/** A working token the server names no user for: `project` when its entry says so, else `unknown`. */
async function unnamedReport(
  opts: IntrospectOptions,
  auth: Auth,
  server: { version?: string },
): Promise<ValidTokenReport> {
  const report: ValidTokenReport = {
    status: 'valid',
    kind: 'unknown',
    authScheme: 'bearer',
    user: { name: '', slug: '' },
    server,
    evidence: [
      'Bitbucket accepts the token (it lists repositories anonymous callers never see) but names no user for it',
    ],
  };
  await addTokenEntry(report, opts, auth);
  if (report.tokenName !== undefined) {
    report.kind = 'project';
    report.evidence.push('its entry is under the project or repository');
  }
  return report;
}

/** The user record, by name and then by search (slugs can differ from names); undefined if refused. */
async function lookUpUser(client: BitbucketClient, auth: Auth, name: string): Promise<BitbucketUser | undefined> {
  const direct = await client.getUser(auth, name);
  if (direct.status === 'ok') return direct.user;
  if (direct.status !== 'not-found' && direct.status !== 'unauthorized') return undefined;
  const found = await client.findUserByName(auth, name);
  return found.status === 'ok' ? found.user : undefined;
}

type Decision =
  | { status: 'decided'; kind: 'personal' | 'project'; evidence: string[] }
  | { status: 'unreachable' | 'captcha'; message: string };

async function decide(
  client: BitbucketClient,
  token: string,
  name: string,
  user: BitbucketUser | undefined,
): Promise<Decision> {
  const c: Classification = classifyUser(user);
  if (c.kind !== 'unknown') return { status: 'decided', kind: c.kind, evidence: c.evidence };
  // Inconclusive: Basic with the server-reported name. Project tokens fail Basic; a person's token passes.
  const basic = await client.whoAmI({ scheme: 'basic', username: name, secret: token });
  if (basic.status === 'ok')
    return { status: 'decided', kind: 'personal', evidence: [...c.evidence, 'Basic with the reported username works'] };
  if (basic.status === 'network') return { status: 'unreachable', message: basic.message };
  // A person's account under CAPTCHA cannot tell us anything; a refused (likely bot) record can.
  if (basic.status === 'captcha' && user !== undefined) return { status: 'captcha', message: basic.message };
  if (basic.status === 'forbidden' && user?.type === 'NORMAL') {
    return {
      status: 'decided',
      kind: 'personal',
      evidence: [...c.evidence, 'user type NORMAL; Basic is disabled on REST (403)'],
    };
  }
  return {
    status: 'decided',
    kind: 'project',
    evidence: [...c.evidence, `Basic with the reported username fails (${basic.status}) while Bearer works`],
  };
}

function describeUser(name: string, user: BitbucketUser | undefined): ValidTokenReport['user'] {
  const out: ValidTokenReport['user'] = { name: user?.name ?? name, slug: user?.slug ?? name };
  if (user?.displayName !== undefined) out.displayName = user.displayName;
  if (user?.email !== undefined) out.email = user.email;
  if (user?.type !== undefined) out.type = user.type;
  return out;
}

/** Best effort: the token's own entry (under the user, or the project/repository from the hints). */
async function addTokenEntry(report: ValidTokenReport, opts: IntrospectOptions, auth: Auth): Promise<void> {
  const id = decodeTokenId(opts.token);
  if (id === null) return;
  report.tokenId = id;
  const owners =
    report.kind === 'personal'
      ? [{ user: report.user.slug }]
      : opts.projectKey === undefined
        ? []
        : [
            ...(opts.repoSlug !== undefined ? [{ project: opts.projectKey, repo: opts.repoSlug }] : []),
            { project: opts.projectKey },
          ];
  for (const owner of owners) {
    const res = await opts.client.getAccessToken(auth, owner, id);
    if (res.status === 'ok') {
      applyEntry(report, res.token);
      return;
    }
  }
}

function applyEntry(report: ValidTokenReport, t: AccessTokenInfo): void {
  report.tokenName = t.name;
  report.permissions = t.permissions;
  if (t.expiresAt !== undefined) report.expiresAt = t.expiresAt;
  if (t.createdDate !== undefined) report.createdAt = t.createdDate;
  if (t.lastAuthenticated !== undefined) report.lastAuthenticatedAt = t.lastAuthenticated;
}
