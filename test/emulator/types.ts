// Public types of the Bitbucket Server / Data Center emulator: the fixture format, the
// behaviour switches, faults and the request log. See README.md in this folder.

/** Project-level permission a user grant or a token may carry. */
export type ProjectPermission = 'PROJECT_READ' | 'PROJECT_WRITE' | 'PROJECT_ADMIN';
/** Repository-level permission a user grant or a token may carry. */
export type RepoPermission = 'REPO_READ' | 'REPO_WRITE' | 'REPO_ADMIN';
/** Any permission of a grant or a token. */
export type Permission = ProjectPermission | RepoPermission;

/** A user of the fixture. SERVICE users have no email and a `/bots/{slug}` self link. */
export interface FixtureUser {
  name: string;
  /** Defaults to the name lowercased with characters outside `[a-z0-9._-]` replaced by `_`. */
  slug?: string;
  displayName?: string;
  email?: string;
  password?: string;
  /** Global admin (SYS_ADMIN): ADMIN on every repository. */
  admin?: boolean;
  type?: 'NORMAL' | 'SERVICE';
}

/** A project of the fixture. Personal projects (`~SLUG`) exist implicitly for each NORMAL user. */
export interface FixtureProject {
  key: string;
  name?: string;
  /** Every repository of a public project is readable anonymously. */
  public?: boolean;
}

/** A repository: `project` is a project key, or `~userslug` for a personal repository. */
export interface FixtureRepo {
  project: string;
  slug: string;
  name?: string;
  public?: boolean;
  /** Give the bare repository one initial commit on `main`. */
  seed?: boolean;
}

/** A grant to a user: on a project (PROJECT_x) or on one repository (REPO_x, with `repo`). */
export interface FixturePermission {
  user: string;
  project: string;
  repo?: string;
  permission: Permission;
}

/** Who owns a token: a user (personal token), a project, or a repository. */
export type TokenOwner = { user: string } | { project: string; repo?: string };

/** An access token of the fixture (or given to `Emulator.addToken`). */
export interface FixtureToken {
  owner: TokenOwner;
  name: string;
  /** The raw token, accepted verbatim. Generated (BBDC style) when omitted. */
  token?: string;
  permissions: Permission[];
  /** 12-digit string. Else decoded from a BBDC/legacy token, else generated. */
  id?: string;
  /** ISO date; presented as createdDate + expiryDays. */
  expiresAt?: string;
  /** ISO date; defaults to now (or expiresAt - expiryDays when expiresAt is set). */
  createdAt?: string;
  revoked?: boolean;
}

/** The whole fixture, usually loaded from JSON. */
export interface Fixture {
  users?: FixtureUser[];
  projects?: FixtureProject[];
  repos?: FixtureRepo[];
  permissions?: FixturePermission[];
  tokens?: FixtureToken[];
}

/** Behaviours the reference document marks [unsure], plus a few limits. All changeable at run time. */
export interface Switches {
  /** Bitbucket 10.x: an unrecognised (unknown or revoked) Bearer token is served as anonymous. */
  unknownBearerAsAnonymous: boolean;
  /** Basic auth disabled on REST: any Basic header on `/rest` gets 403. */
  basicAuthDisabled: boolean;
  /** What `GET users/{slug}` answers for a SERVICE user. */
  serviceUserLookup: 'object' | '404' | '401';
  /** `GET repos?permission=` uses min(user, token ceiling) rather than the user's own rights. */
  tokenCeilingNarrowsRepoFilter: boolean;
  /** Token objects carry `expiryDate` (epoch ms). */
  exposeExpiryDate: boolean;
  /** A token may GET its own entry in the access-token API. */
  tokenCanReadOwnEntry: boolean;
  /** Where a push without REPO_WRITE is refused with 403. */
  refuseReadOnlyPushAt: 'advertisement' | 'upload';
  /** Maximum number of live tokens per owner (user, project or repository). */
  maxTokensPerOwner: number;
  /** Failed Basic attempts for a username before the CAPTCHA lock. */
  captchaThreshold: number;
  /** Version reported by application-properties. */
  version: string;
  /** Project/repository tokens: `absent` sends no `X-AUSERNAME`/`X-AUSERID` (unpublished either way). */
  projectTokenUserHeader: 'present' | 'absent';
  /** Project/repository tokens: `401` refuses them on `/rest/api/1.0/users…` (unpublished either way). */
  projectTokenUsersApi: 'allowed' | '401';
  /** `X-AUSERNAME` URL-encoded (`url`, as captured) or as is (`raw`). */
  userHeaderEncoding: 'url' | 'raw';
  /** A CAPTCHA lock on git over HTTP: a smart-HTTP `ERR` packet (captured) or a 401. */
  captchaOnGit: 'error-packet' | '401';
  /** Anonymous `repos?permission=`: an empty page (documented) or the public repositories. */
  anonymousPermissionFilter: 'empty' | 'public';
  /** Admin-enforced maximum token expiry in days (0: none); creating beyond it is a 400 on `expiryDays`. */
  tokenMaxExpiryDays: number;
  /** `GET /rest/authconfig/1.0/login-options`: the login form (default), or an identity provider only (SSO). */
  loginOptions: 'form' | 'idp';
}

/** Default values of every switch. */
export const DEFAULT_SWITCHES: Readonly<Switches> = Object.freeze({
  unknownBearerAsAnonymous: false,
  basicAuthDisabled: false,
  serviceUserLookup: '404',
  tokenCeilingNarrowsRepoFilter: true,
  exposeExpiryDate: false,
  tokenCanReadOwnEntry: true,
  refuseReadOnlyPushAt: 'advertisement',
  maxTokensPerOwner: 100,
  captchaThreshold: 5,
  version: '9.4.22',
  projectTokenUserHeader: 'present',
  projectTokenUsersApi: 'allowed',
  userHeaderEncoding: 'url',
  captchaOnGit: 'error-packet',
  anonymousPermissionFilter: 'empty',
  tokenMaxExpiryDays: 0,
  loginOptions: 'form',
});

/** Kinds of injected faults. */
export type FaultKind =
  | 'latency'
  | 'status'
  | 'rateLimit'
  | 'reset'
  | 'hang'
  | 'invalidJson'
  | 'loginRedirect'
  | 'redirect'
  | 'signInPage'
  | 'afterHandling';

/** What becomes of the answer of a request an `afterHandling` fault let through. */
export type LostAnswer = 'reset' | 'hang' | 'status' | 'latency';

/**
 * A fault injected before normal handling, or (`afterHandling`) after it: the request takes
 * effect, and then its answer is lost, replaced or delayed. Admin endpoints (`__emulator`) are
 * never faulted.
 */
export interface Fault {
  kind: FaultKind;
  /** Regular expression (unanchored) tested against the request path, context path included. */
  path?: string;
  /** Only for this HTTP method (case-insensitive). */
  method?: string;
  /** Apply to the first N matching requests only; unlimited when omitted. */
  times?: number;
  /** `latency`: delay in milliseconds before normal handling continues; `afterHandling` with `then: 'latency'`: before the answer goes out. */
  ms?: number;
  /** `status`: the status code to answer (default 500); `redirect`: its 3xx (default 302); `afterHandling` with `then: 'status'`: the one replacing the answer (default 502). */
  status?: number;
  /** `redirect`: where to, a URL or a path; the request's path and query are appended (a front that moved the server). */
  to?: string;
  /** `afterHandling`: what becomes of the answer (default `reset`). */
  then?: LostAnswer;
  /** `rateLimit`: `Retry-After` in seconds, or a string sent as it is (an HTTP date); omitted when unset. */
  retryAfter?: number | string;
}

/** One entry of the request log. Never holds credentials. */
export interface LogEntry {
  time: number;
  method: string;
  /** Path as requested, context path included. */
  path: string;
  /** Raw query string without `?` ('' when none). */
  query: string;
  auth: 'none' | 'basic' | 'bearer';
  /** Name of the authenticated user (the bot user for project/repository tokens). */
  user?: string;
  /** How the user authenticated. */
  via?: 'password' | 'token';
  /** Final status; 0 when the connection was reset or left hanging. */
  status: number;
  /** The fault applied, if any (latency included). */
  fault?: FaultKind;
}
