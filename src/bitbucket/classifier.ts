/**
 * The one token classifier: who a credential acts as, whether it is a person's token or a project
 * or repository token (a second, system-generated identity, docs/bitbucket-server.md section 4),
 * what it may do, and whether the server accepts it. `login`, `status`, `doctor`, `rotate`, `check`
 * and the pre-push guard all ask this module, so the same token gets the same answer everywhere.
 *
 * The decision table, its order and what each server variant yields are in docs/classifier.md;
 * every `decidedBy` value is a row of that table (R1…R15), and test/bitbucket/classifier.test.ts
 * walks the table as written there.
 */
import type { ApiFailure, ApiResult, Auth, BitbucketClient, PermissionResult } from './client.js';
import { classifyUser } from './classify.js';
import { notAnAuthenticationFailure } from './failure.js';
import type { AccessTokenInfo, BitbucketUser } from './model.js';
import { decodeTokenId } from './token.js';
import type { HttpErrorKind } from './http.js';

/** The credential to classify, as git would send it. */
export type Credential = { scheme: 'basic'; username: string; secret: string } | { scheme: 'bearer'; secret: string };

/** A row of the decision table in docs/classifier.md. */
export type Row =
  'R1' | 'R2' | 'R3' | 'R4' | 'R5' | 'R6' | 'R7' | 'R8' | 'R9' | 'R10' | 'R11' | 'R12' | 'R13' | 'R14' | 'R15';

export interface ClassifyInput {
  /** The server's client: base URL, git's HTTP settings, the refusal memory. */
  client: BitbucketClient;
  credential: Credential;
  /** The time budget in ms from now: nothing is sent after it (see docs/classifier.md, "Time and pages"). */
  budgetMs?: number;
  /** Whether one Basic attempt may be spent to settle an inconclusive record (never for a secret refused before). */
  allowBasic: boolean;
  /** The repository the credential is for: its effective level there is looked up. */
  repository?: { projectKey: string; repoSlug?: string };
  /** The user the caller expects (a credential's or an account's username): checked, and asked for early. */
  username?: string;
  /** Other names the token may belong to (accounts stored for the host): asked for early, never checked. */
  nameHints?: readonly string[];
  /** The server as recognised already (or not to be asked): its version is not asked again. */
  server?: { version?: string };
}

/** The user a token acts as. Empty name and slug when the server names none. */
export interface TokenUser {
  name: string;
  slug: string;
  displayName?: string;
  email?: string;
  type?: string;
}

/** A working credential, classified. */
export interface ValidTokenReport {
  status: 'valid';
  kind: 'personal' | 'project' | 'unknown';
  /** The row of docs/classifier.md that decided `kind`. */
  decidedBy: Row;
  /** What the server said that decided it, in words. */
  evidence: string[];
  user: TokenUser;
  /** How git should send it: Basic for personal tokens, Bearer for project and repository tokens. */
  authScheme: 'basic' | 'bearer';
  /** R4: the server accepts it only as Basic: an account password, not an access token. */
  accountPassword?: boolean;
  tokenId?: string;
  tokenName?: string;
  permissions?: string[];
  /** epoch ms; absent when unknown or the token never expires. */
  expiresAt?: number;
  createdAt?: number;
  lastAuthenticatedAt?: number;
  /**
   * The effective level on `repository`: `writable` undefined when it could not be checked.
   * `missing`: the server says the repository does not exist (its words); nothing about the token.
   */
  repository?: { projectKey: string; repoSlug: string; writable?: boolean; missing?: string };
  server: { version?: string };
  /** Set when `username` was given and the server acts as someone else. */
  usernameMismatch?: { expected: string; actual: string };
  /** What was left unchecked (time budget, page cap), each in words. */
  unchecked: string[];
}

/** A credential the classifier could not accept; `message` never contains the secret. */
export type FailedTokenReport = UnreachableReport | RefusedReport;

interface FailedBase {
  decidedBy?: Row;
  message: string;
  unchecked: string[];
}

/** R1: no answer from the server; `network` says why, as the HTTP client classified it. */
export interface UnreachableReport extends FailedBase {
  status: 'unreachable';
  network: HttpErrorKind;
}

/** Refused, or not Bitbucket, or an answer that could not be used. */
interface RefusedReport extends FailedBase {
  status: 'invalid' | 'captcha' | 'not-bitbucket' | 'error';
  network?: undefined;
}

export type TokenReport = ValidTokenReport | FailedTokenReport;

type Entry = ApiResult<{ token: AccessTokenInfo }>;
const notAsked: Entry = { status: 'not-found', message: 'not asked' };
const NAME_HINTS = 3;
/** What an identity that could not be learnt leaves unchecked. */
const WHO_UNCHECKED = 'whose token it is, its kind, permissions and expiry';

/** The slug Bitbucket usually gives a name (docs/bitbucket-server.md section 3): only a first guess. */
export function guessSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
}

/** Classifies `credential` (see the module comment and docs/classifier.md). */
export async function classifyToken(input: ClassifyInput): Promise<TokenReport> {
  const client = input.budgetMs === undefined ? input.client : input.client.withDeadline(Date.now() + input.budgetMs);
  const secret = input.credential.secret;
  if (secret === '' || /[\r\n\0]/.test(secret))
    return fail('invalid', 'R3', 'the token is empty or contains control characters');
  return new Classification({ ...input, client }).run();
}

function fail(status: RefusedReport['status'], row: Row | undefined, message: string, unchecked: string[] = []) {
  const out: FailedTokenReport = { status, message, unchecked };
  if (row) out.decidedBy = row;
  return out;
}

/** R1: the server did not answer; the kind of failure goes with the report (the guard's title names it). */
function unreachable(f: Extract<ApiFailure, { status: 'network' }>): UnreachableReport {
  return { status: 'unreachable', decidedBy: 'R1', message: f.message, network: f.network, unchecked: [WHO_UNCHECKED] };
}

function timedOut(r: { status: string; network?: string }): boolean {
  return r.status === 'network' && r.network === 'timeout';
}

class Classification {
  private readonly id: string | null;
  private readonly bearer: Auth;
  private readonly unchecked: string[] = [];

  constructor(private readonly input: ClassifyInput) {
    this.id = decodeTokenId(input.credential.secret);
    this.bearer = { scheme: 'bearer', secret: input.credential.secret };
  }

  async run(): Promise<TokenReport> {
    const { client, repository: repo } = this.input;
    const names = this.names();
    // Round one, every request at once and as Bearer: a failed Bearer attempt names no user, so it
    // never counts towards anyone's CAPTCHA lock (docs/bitbucket-server.md section 2).
    // The write look-up may page; it runs beside the rest and is awaited only when needed, so a
    // slow look-up never holds up who the token is.
    const write =
      repo?.repoSlug !== undefined ? client.canWrite(this.bearer, repo.projectKey, repo.repoSlug) : undefined;
    const [props, who, hinted, repoEntry, projectEntry] = await Promise.all([
      this.input.server ? Promise.resolve({ status: 'known' } as const) : client.applicationProperties(),
      client.whoAmI(this.bearer),
      Promise.all(names.map((n) => this.userWithEntry(this.bearer, n))),
      this.id && repo?.repoSlug !== undefined
        ? client.getAccessToken(this.bearer, { project: repo.projectKey, repo: repo.repoSlug }, this.id)
        : notAsked,
      this.id && repo ? client.getAccessToken(this.bearer, { project: repo.projectKey }, this.id) : notAsked,
    ]);
    if (props.status === 'not-bitbucket') return fail('not-bitbucket', undefined, props.message);
    if (props.status === 'network') return unreachable(props);
    const version = props.status === 'ok' ? props.version : this.input.server?.version;
    const server = version !== undefined ? { version } : {};
    const projectEntry_ = [repoEntry, projectEntry].find((e) => e.status === 'ok');

    if (who.status === 'network') return unreachable(who);
    if (who.status === 'captcha') return fail('captcha', 'R2', who.message);
    if (who.status !== 'ok') {
      if (who.status !== 'unauthorized')
        return fail('error', undefined, `could not validate the token: ${who.message}`);
      if (!notAnAuthenticationFailure(who)) return this.refusedAsBearer(who, server, 'R3');
      return (await this.unnamed(server, write, projectEntry_)) ?? this.refusedAsBearer(who, server, 'R5');
    }
    return this.named(this.bearer, who.username, server, hinted, write, projectEntry_);
  }

  /** The expected username first, then the other hints; at most a few, no duplicates. */
  private names(): string[] {
    const out: string[] = [];
    for (const n of [this.input.username, ...(this.input.nameHints ?? [])])
      if (n && !out.some((o) => o.toLowerCase() === n.toLowerCase())) out.push(n);
    return out.slice(0, NAME_HINTS);
  }

  /** A user record and the token's entry under the record's slug (as guessed from the name), at once. */
  private async userWithEntry(auth: Auth, name: string): Promise<{ name: string; user?: BitbucketUser; entry: Entry }> {
    const slug = guessSlug(name);
    const [user, entry] = await Promise.all([
      this.input.client.getUser(auth, slug),
      this.id ? this.input.client.getAccessToken(auth, { user: slug }, this.id) : notAsked,
    ]);
    if (timedOut(user)) this.unchecked.push(`the user record of ${name} (the time budget ran out)`);
    return { name, ...(user.status === 'ok' ? { user: user.user } : {}), entry };
  }

  /**
   * R3/R4: refused as Bearer. A Basic credential (what git sends) gets its one Basic attempt when
   * allowed: an account password works only as Basic (R4); else the credential is refused (R3).
   */
  private async refusedAsBearer(who: ApiFailure, server: { version?: string }, row: Row): Promise<TokenReport> {
    const c = this.input.credential;
    const refused = `Bitbucket rejected the token (${who.message})`;
    if (c.scheme !== 'basic' || !this.input.allowBasic) return fail('invalid', row, refused);
    const basic: Auth = { scheme: 'basic', username: c.username, secret: c.secret };
    // a secret refused as Basic before is not sent again: the client answers "not tried again"
    const asBasic = await this.input.client.whoAmI(basic);
    if (asBasic.status === 'network') return unreachable(asBasic);
    if (asBasic.status === 'captcha') return fail('captcha', 'R2', asBasic.message);
    if (asBasic.status !== 'ok') return fail('invalid', 'R3', `Bitbucket refused the token: ${asBasic.message}`);
    const repo = this.input.repository;
    const write =
      repo?.repoSlug !== undefined ? this.input.client.canWrite(basic, repo.projectKey, repo.repoSlug) : undefined;
    const hinted = await this.userWithEntry(basic, asBasic.username);
    const report = await this.named(basic, asBasic.username, server, [hinted], write, undefined);
    if (report.status !== 'valid') return report;
    return {
      ...report,
      kind: 'personal',
      decidedBy: 'R4',
      accountPassword: true,
      authScheme: 'basic',
      evidence: ['Bearer is refused but Basic works: an account password, not an access token'],
    };
  }

  private mayTryBasic(): boolean {
    return this.input.allowBasic && this.input.client.basicRefusedAt(this.input.credential.secret) === undefined;
  }

  /**
   * R5-R7: the server names no user (no `X-AUSERNAME`, or the users API refuses the token). It
   * still works when it sees what anonymous callers never see (docs/bitbucket-server.md section 7).
   */
  private async unnamed(
    server: { version?: string },
    pendingWrite: Promise<PermissionResult> | undefined,
    entry: Entry | undefined,
  ): Promise<TokenReport | undefined> {
    const { client, repository: repo } = this.input;
    const write = await pendingWrite;
    let works = entry !== undefined || (write?.status === 'ok' && write.writable === true);
    if (!works && repo?.repoSlug !== undefined) {
      const read = await client.canRead(this.bearer, repo.projectKey, repo.repoSlug);
      works = read.status === 'ok' && read.writable === true;
    }
    if (!works || (!entry && this.id)) {
      // what it sees, and its entry under those projects and repositories (a project or
      // repository token sees only its own), so that every command finds the same entry
      const seen = await client.visibleRepositories(this.bearer);
      works ||= seen.length > 0;
      if (works && !entry && this.id) entry = await this.entryAmong(seen);
    }
    if (!works) return undefined;
    const report = this.report(entry ? 'project' : 'unknown', entry ? 'R6' : 'R7', server, { name: '', slug: '' });
    report.evidence = [
      'Bitbucket accepts the token (it shows repositories anonymous callers never see) but names no user for it',
      entry ? 'its entry is under the project or repository' : 'its entry could not be read',
    ];
    report.authScheme = 'bearer';
    if (entry?.status === 'ok') this.applyEntry(report, entry.token);
    else if (this.id) report.tokenId = this.id;
    this.applyWrite(report, write);
    return report;
  }

  /** The token's entry under the first projects and repositories it sees, asked at once. */
  private async entryAmong(seen: Array<{ projectKey: string; slug: string }>): Promise<Entry | undefined> {
    const owners = [
      ...seen.map((r) => ({ project: r.projectKey, repo: r.slug })),
      ...[...new Set(seen.map((r) => r.projectKey))].map((project) => ({ project })),
    ].slice(0, 6);
    const found = await Promise.all(owners.map((o) => this.input.client.getAccessToken(this.bearer, o, this.id!)));
    return found.find((e) => e.status === 'ok');
  }

  /** R8-R15: the server names the user `name`. */
  private async named(
    auth: Auth,
    name: string,
    server: { version?: string },
    hinted: Array<{ name: string; user?: BitbucketUser; entry: Entry }>,
    pendingWrite: Promise<PermissionResult> | undefined,
    projectEntry: Entry | undefined,
  ): Promise<TokenReport> {
    const { client } = this.input;
    // The record under a hinted name counts only when the server acts as that user: a project
    // token sent with a person's name runs as its generated user, not as the person.
    let found = hinted.find((h) => h.name.toLowerCase() === name.toLowerCase() && h.user);
    if (!found) {
      // Round two: the record under the reported name (by slug and by search: slugs may differ).
      const [direct, search] = await Promise.all([this.userWithEntry(auth, name), client.findUserByName(auth, name)]);
      found = direct.user ? direct : search.status === 'ok' ? { name, user: search.user, entry: notAsked } : undefined;
    }
    const user = found?.user;
    let kind: 'personal' | 'project' | 'unknown';
    let row: Row;
    let evidence: string[];
    if (projectEntry) {
      kind = 'project';
      row = 'R8';
      evidence = ['its entry is under the project or repository'];
    } else {
      const c = classifyUser(user);
      evidence = c.evidence;
      if (c.kind === 'project') [kind, row] = ['project', 'R9'];
      else if (c.kind === 'personal') [kind, row] = ['personal', 'R10'];
      else {
        const settled = await this.settleWithBasic(name, user);
        if ('status' in settled) return settled;
        [kind, row] = [settled.kind, settled.row];
        evidence = [...evidence, settled.evidence];
      }
    }
    const report = this.report(kind, row, server, describeUser(name, user));
    report.evidence = evidence;
    const expected = this.input.username;
    if (expected !== undefined && expected.toLowerCase() !== name.toLowerCase())
      report.usernameMismatch = { expected, actual: name };
    const entry =
      projectEntry ?? (kind === 'personal' ? await this.ownEntry(auth, report.user.slug, found) : undefined);
    if (entry?.status === 'ok') this.applyEntry(report, entry.token);
    else if (this.id) report.tokenId = this.id;
    this.applyWrite(report, await pendingWrite);
    return report;
  }

  /** The token's entry under its user: from the first round when the slug was guessed right. */
  private async ownEntry(auth: Auth, slug: string, found: { name: string; entry: Entry } | undefined): Promise<Entry> {
    if (!this.id) return notAsked;
    // asked in the same round as the record, under the slug guessed from the name
    if (found && found.entry !== notAsked && guessSlug(found.name) === slug) return found.entry;
    const e = await this.input.client.getAccessToken(auth, { user: slug }, this.id);
    if (timedOut(e)) this.unchecked.push("the token's name, permissions and expiry (the time budget ran out)");
    return e;
  }

  /** R11-R15: an inconclusive record; one Basic attempt with the reported name, when allowed. */
  private async settleWithBasic(
    name: string,
    user: BitbucketUser | undefined,
  ): Promise<{ kind: 'personal' | 'project' | 'unknown'; row: Row; evidence: string } | FailedTokenReport> {
    const secret = this.input.credential.secret;
    if (!this.mayTryBasic()) {
      const before = this.input.client.basicRefusedAt(secret);
      if (before !== undefined)
        return {
          kind: 'project',
          row: 'R14',
          evidence: `Basic was refused on ${new Date(before).toISOString().slice(0, 10)} while Bearer works`,
        };
      this.unchecked.push('whether Basic works with the reported name (no Basic attempt allowed)');
      return { kind: 'unknown', row: 'R15', evidence: 'no Basic attempt allowed to settle it' };
    }
    const basic = await this.input.client.whoAmI({ scheme: 'basic', username: name, secret });
    if (basic.status === 'ok')
      return { kind: 'personal', row: 'R11', evidence: 'Basic with the reported username works' };
    if (basic.status === 'network') return unreachable(basic);
    // A person's account under CAPTCHA cannot tell us anything; a refused (likely bot) record can.
    if (basic.status === 'captcha' && user !== undefined) return fail('captcha', 'R2', basic.message);
    if (basic.status === 'forbidden' && user?.type === 'NORMAL')
      return { kind: 'personal', row: 'R12', evidence: 'user type NORMAL; Basic is disabled on REST (403)' };
    return {
      kind: 'project',
      row: 'R13',
      evidence: `Basic with the reported username fails (${basic.status}) while Bearer works`,
    };
  }

  private report(
    kind: ValidTokenReport['kind'],
    row: Row,
    server: { version?: string },
    user: TokenUser,
  ): ValidTokenReport {
    return {
      status: 'valid',
      kind,
      decidedBy: row,
      evidence: [],
      user,
      authScheme: kind === 'personal' ? 'basic' : 'bearer',
      server,
      unchecked: this.unchecked,
    };
  }

  private applyEntry(report: ValidTokenReport, t: AccessTokenInfo): void {
    report.tokenId = t.id;
    // a name the boundary dropped (src/bitbucket/server-values.ts) is no name, not an empty one
    if (t.name !== '') report.tokenName = t.name;
    report.permissions = t.permissions;
    if (t.expiresAt !== undefined) report.expiresAt = t.expiresAt;
    if (t.createdDate !== undefined) report.createdAt = t.createdDate;
    if (t.lastAuthenticated !== undefined) report.lastAuthenticatedAt = t.lastAuthenticated;
  }

  private applyWrite(report: ValidTokenReport, write: PermissionResult | undefined): void {
    const repo = this.input.repository;
    if (!repo?.repoSlug) return;
    const where = { projectKey: repo.projectKey, repoSlug: repo.repoSlug };
    if (write?.status === 'ok' && write.writable !== undefined) {
      report.repository = { ...where, writable: write.writable };
      return;
    }
    if (write?.status === 'missing') {
      report.repository = { ...where, missing: write.message };
      return;
    }
    report.repository = where;
    const why =
      write?.status === 'ok'
        ? (write.unchecked ?? 'not finished')
        : write
          ? `the look-up failed: ${write.message}`
          : 'not asked';
    this.unchecked.push(`write permission on ${repo.projectKey}/${repo.repoSlug} (${why})`);
  }
}

function describeUser(name: string, user: BitbucketUser | undefined): TokenUser {
  const out: TokenUser = { name: user?.name ?? name, slug: user?.slug ?? name };
  if (user?.displayName !== undefined) out.displayName = user.displayName;
  if (user?.email !== undefined) out.email = user.email;
  if (user?.type !== undefined) out.type = user.type;
  return out;
}
