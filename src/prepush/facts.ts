/**
 * The facts a pre-push check gathers, as plain data: what the verdict is computed from, what
 * the cache keeps (server facts only) and what `check --json` prints. Never a secret.
 */
import type { HttpErrorKind } from '../bitbucket/http.js';

/** What Bitbucket says about the token, for one repository. */
export interface ServerFacts {
  /** `unknown`: the token works but the server would not say whose it is (see `unknownBecause`). */
  kind: 'personal' | 'project' | 'unknown';
  /** Why the kind stays unknown: what the server would not tell. */
  unknownBecause?: string;
  /** Empty name and slug when the server names no user for the token. */
  user: { name: string; slug: string; email?: string; displayName?: string };
  /** Whether the token may push to the repository; undefined when the server could not tell. */
  writable?: boolean;
  /** The server says the repository does not exist (404, its words): nothing about the token. */
  repositoryMissing?: string;
  permissions?: string[];
  /** Epoch ms; undefined when unknown or never. */
  expiresAt?: number;
  tokenName?: string;
  /** The row of docs/classifier.md that decided `kind`. */
  decidedBy?: string;
  /** What the time budget or the page cap left unchecked, in words (docs/classifier.md). */
  unchecked?: string[];
  /** Epoch ms of the lookup. */
  fetchedAt: number;
}

export type ServerOutcome =
  | { status: 'ok'; facts: ServerFacts; fromCache: boolean }
  /**
   * No answer in time, or no connection: `network` says what failed, as the HTTP client
   * classified it (the guard's own deadline is a `timeout`). Never cached (src/prepush/cache.ts).
   */
  | { status: 'unreachable'; network: HttpErrorKind; message: string }
  /** The server refused the token (401) or answered something unusable. */
  | { status: 'rejected' | 'error'; message: string }
  /** git would send an account password: never sent for the checks, so nothing was asked. */
  | { status: 'password'; username: string; message: string; fix: string };

/** One commit of the pushed range (e-mails lower-cased). */
export interface CommitInfo {
  sha: string;
  author: string;
  committer: string;
  committerName: string;
  subject: string;
}

/** An annotated tag pushed: its tag object's tagger (e-mail lower-cased), as git recorded it. */
export interface TagInfo {
  /** The tag's name (`v1.0`), as the remote will have it. */
  name: string;
  /** The local tag name (`v1.0`), or the local ref as git named it, for the fix command. */
  local: string;
  oid: string;
  tagger: { name: string; email: string };
}

/**
 * Commits of the pushed range grouped by (author email, committer email, committer name),
 * e-mails lower-cased; and the annotated tags pushed (lightweight tags have no tagger).
 */
export interface IdentityScan {
  total: number;
  groups: Array<{ author: string; committer: string; committerName: string; count: number; samples: CommitInfo[] }>;
  tags: TagInfo[];
  /**
   * Set when nothing in this repository tells which commits the remote has beyond the ref list
   * git gave (src/prepush/known.ts): why, and what to run. The commits listed may then be on the
   * server already.
   */
  unsure?: string;
}

export type CredentialSource = 'http.extraHeader' | 'remote URL' | 'credential store' | 'git credential fill';

export interface CheckFacts {
  remote: { name: string; url: string; baseUrl: string; projectKey?: string; repoSlug?: string };
  credential:
    | { found: true; source: CredentialSource; scheme: 'basic' | 'bearer'; username?: string }
    | { found: false; reason: string };
  server?: ServerOutcome;
  /** The refs pushed, as `git push` takes them (`<local>:<remote>`), for the command that pushes them again. */
  pushed?: string[];
  /** Absent when nothing new is pushed (deletes only) or the identity check is off. */
  identity?: IdentityScan | { error: string };
  /** Epoch ms. */
  now: number;
}

/** `PRJ/app`, or the URL when the remote names no repository. */
export function repoLabel(r: CheckFacts['remote']): string {
  return r.projectKey !== undefined && r.repoSlug !== undefined ? `${r.projectKey}/${r.repoSlug}` : r.url;
}
