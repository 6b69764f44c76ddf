/**
 * Asks Bitbucket about the token for one repository, with every independent request in flight
 * at once (a cold check costs about one round trip, two for a Bearer token whose user must be
 * looked up by the name the server reports), all within one deadline. Loaded only on a cache
 * miss: the hook's warm path never loads HTTP.
 */
import { BitbucketClient, type ApiResult, type Auth } from '../bitbucket/client.js';
import { classifyUser } from '../bitbucket/classify.js';
import { notAnAuthenticationFailure } from '../bitbucket/failure.js';
import type { AccessTokenInfo, BitbucketUser } from '../bitbucket/model.js';
import { decodeTokenId } from '../bitbucket/token.js';
import { resolveHttpSettings } from '../git/config.js';
import { fileRefusals } from '../bitbucket/refusals.js';
import { stateDir } from '../settings.js';
import type { ServerFacts, ServerOutcome } from './facts.js';
import type { TokenAuth } from './credential.js';

export interface ServerQuery {
  baseUrl: string;
  /** The remote URL and its url-matched `http.*` config: proxy, CA file, TLS verification. */
  url: string;
  httpConfig: ReadonlyMap<string, string | null>;
  env: NodeJS.ProcessEnv;
  auth: TokenAuth;
  projectKey?: string;
  repoSlug?: string;
  timeoutMs: number;
  now: number;
}

export async function fetchServerFacts(q: ServerQuery): Promise<ServerOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ServerOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'unreachable', message: `no answer within ${q.timeoutMs} ms (bitbucket.timeout)` }),
      q.timeoutMs,
    );
  });
  try {
    return await Promise.race([gather(q), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Token = ApiResult<{ token: AccessTokenInfo }>;
const none: Promise<Token> = Promise.resolve({ status: 'not-found', message: 'not looked up' });

async function gather(q: ServerQuery): Promise<ServerOutcome> {
  const settings = resolveHttpSettings(new Map(q.httpConfig), q.url, q.env);
  const client = new BitbucketClient({
    baseUrl: q.baseUrl,
    settings,
    timeoutMs: q.timeoutMs,
    maxRetries429: 0,
    refusals: fileRefusals(stateDir(q.env)),
    // The guard sends only the credential git is about to send to this URL over the same path
    // (one from our store has passed the same plain-http rule as `get`).
    allowHttp: true,
  });
  // Every request of a round is in flight at once. With Basic, each failure would count towards
  // the user's CAPTCHA lock (docs/bitbucket-server.md section 2), so the round goes out as Bearer
  // (a personal token works as both). Only if Bearer is refused, one Basic request tells a real
  // password apart from a bad token, and the round is repeated with Basic if it works.
  if (q.auth.scheme === 'basic') {
    const bearer = await round(q, client, { scheme: 'bearer', secret: q.auth.secret });
    if (
      bearer.status === 'ok' &&
      bearer.facts.user.name.toLowerCase() !== q.auth.username.toLowerCase() &&
      bearer.facts.kind === 'personal'
    ) {
      return {
        status: 'rejected',
        message: `the token belongs to '${bearer.facts.user.name}', but git sends it with the username '${q.auth.username}'`,
      };
    }
    if (bearer.status !== 'rejected') return bearer;
    const basic = await client.whoAmI(q.auth);
    if (basic.status !== 'ok')
      return basic.status === 'network'
        ? { status: 'unreachable', message: basic.message }
        : { status: 'rejected', message: `Bitbucket refused the token: ${basic.message}` };
  }
  return round(q, client, q.auth);
}

async function round(q: ServerQuery, client: BitbucketClient, auth: Auth & { secret: string }): Promise<ServerOutcome> {
  const id = decodeTokenId(q.auth.secret);
  const { projectKey: key, repoSlug: slug } = q;
  const basicUser = q.auth.scheme === 'basic' ? q.auth.username : undefined;
  // Round one: everything that does not depend on who the token acts as.
  const [who, write, userByName, ownEntry, repoEntry, projectEntry] = await Promise.all([
    client.whoAmI(auth),
    key !== undefined && slug !== undefined ? client.canWrite(auth, key, slug) : Promise.resolve(undefined),
    basicUser !== undefined ? client.getUser(auth, basicUser) : Promise.resolve(undefined),
    basicUser !== undefined && id ? client.getAccessToken(auth, { user: basicUser }, id) : none,
    auth.scheme === 'bearer' && id && key !== undefined && slug !== undefined
      ? client.getAccessToken(auth, { project: key, repo: slug }, id)
      : none,
    auth.scheme === 'bearer' && id && key !== undefined ? client.getAccessToken(auth, { project: key }, id) : none,
  ]);
  if (who.status === 'network') return { status: 'unreachable', message: who.message };
  const projectTokenEntry = [repoEntry, projectEntry].find((t) => t.status === 'ok');
  if (who.status !== 'ok' && notAnAuthenticationFailure(who) && auth.scheme === 'bearer') {
    // No user named (no X-AUSERNAME, or the users API refused): servers may treat project and
    // repository tokens so (docs/bitbucket-server.md section 12). The token still counts as
    // working when the server shows it something an anonymous caller never sees.
    const anon = await withoutNamedUser(client, auth, q, write, projectTokenEntry);
    if (anon) return anon;
  }
  if (who.status === 'unauthorized' || who.status === 'captcha')
    return { status: 'rejected', message: `Bitbucket refused the token: ${who.message}` };
  if (who.status !== 'ok') return { status: 'error', message: `Bitbucket answered with an error: ${who.message}` };
  // Round two, only when needed: the user record under the name the server reported.
  // The record under git's username describes the token only when the server acts as that user:
  // a project token sent with a person's name runs as its generated user, not as the person.
  const actsAsBasicUser = basicUser !== undefined && who.username.toLowerCase() === basicUser.toLowerCase();
  let user = userByName?.status === 'ok' && actsAsBasicUser ? userByName.user : undefined;
  if (!user) user = await lookUpUser(client, auth, who.username);
  const classified = classifyUser(user);
  const kind = projectTokenEntry
    ? 'project'
    : classified.kind === 'unknown'
      ? actsAsBasicUser
        ? 'personal'
        : 'project'
      : classified.kind;
  let entry = projectTokenEntry ?? ownEntry;
  if (entry.status !== 'ok' && kind === 'personal' && id && user && user.slug !== basicUser)
    entry = await client.getAccessToken(auth, { user: user.slug }, id);
  return { status: 'ok', fromCache: false, facts: toFacts(kind, who.username, user, write, entry, q.now) };
}

/**
 * The outcome for a Bearer token the server names no user for, when it demonstrably
 * authenticates: its entry under the project or repository (a project token), a write or read
 * hit in the repository permission filter (empty for anonymous callers). The kind is `unknown`
 * unless the entry says `project`; undefined when nothing shows the token works.
 */
async function withoutNamedUser(
  client: BitbucketClient,
  auth: Auth,
  q: ServerQuery,
  write: ApiResult<{ writable: boolean }> | undefined,
  entry: Token | undefined,
): Promise<ServerOutcome | undefined> {
  const { projectKey: key, repoSlug: slug } = q;
  const writable = write?.status === 'ok' ? write.writable : undefined;
  let works = entry !== undefined || writable === true;
  if (!works && key !== undefined && slug !== undefined) {
    const read = await client.canRead(auth, key, slug);
    works = read.status === 'ok' && read.writable;
  }
  if (!works) return undefined;
  const unnamed = { status: 'not-found' as const, message: 'not named' };
  const facts = toFacts(entry ? 'project' : 'unknown', '', undefined, write, entry ?? unnamed, q.now);
  facts.user = { name: '', slug: '' };
  facts.unknownBecause = entry
    ? undefined
    : 'Bitbucket accepts the token but names no user for it (no X-AUSERNAME, or the users API refuses it), and its token entry could not be read';
  if (!facts.unknownBecause) delete facts.unknownBecause;
  return { status: 'ok', fromCache: false, facts };
}

async function lookUpUser(client: BitbucketClient, auth: Auth, name: string): Promise<BitbucketUser | undefined> {
  const direct = await client.getUser(auth, name);
  if (direct.status === 'ok') return direct.user;
  const found = direct.status === 'not-found' ? await client.findUserByName(auth, name) : undefined;
  return found?.status === 'ok' ? found.user : undefined;
}

function toFacts(
  kind: ServerFacts['kind'],
  name: string,
  user: BitbucketUser | undefined,
  write: ApiResult<{ writable: boolean }> | undefined,
  entry: Token,
  now: number,
): ServerFacts {
  const facts: ServerFacts = { kind, user: { name: user?.name ?? name, slug: user?.slug ?? name }, fetchedAt: now };
  if (user?.email) facts.user.email = user.email;
  if (user?.displayName) facts.user.displayName = user.displayName;
  if (write?.status === 'ok') facts.writable = write.writable;
  if (entry.status === 'ok') {
    facts.permissions = entry.token.permissions;
    facts.tokenName = entry.token.name;
    if (entry.token.expiresAt !== undefined) facts.expiresAt = entry.token.expiresAt;
  }
  return facts;
}
