/**
 * The pre-push verdict: facts and policy in, findings and an exit code out. Pure; every
 * message is built here so that the hook and `check` say the same thing.
 */
import { repoLabel, type CheckFacts, type CommitInfo, type IdentityScan, type ServerFacts } from './facts.js';
import { WRITE_PERMISSIONS } from '../bitbucket/model.js';
import type { CheckName, Level } from '../settings.js';
import { configKey, type Policy } from './policy.js';
import { tokenPageUrl } from '../bitbucket/links.js';
import type { HttpErrorKind } from '../bitbucket/http.js';

export type Severity = 'block' | 'warn' | 'note';

export interface Finding {
  check: CheckName | 'credential';
  severity: Severity;
  title: string;
  details: string[];
}

export interface Verdict {
  findings: Finding[];
  exitCode: 0 | 1;
}

/** What the title of an unchecked push says of the failure, by its kind (nothing for the others). */
const UNREACHABLE_WHY: Partial<Record<HttpErrorKind, string>> = {
  timeout: ' in time',
  tls: ': TLS failed',
  unreachable: ': no connection',
  reset: ': the connection was closed',
  proxy: ': the proxy failed',
};

/** How many commits an identity finding lists before "… and N more". */
export const COMMIT_LIST_CAP = 5;
const DAY_MS = 86_400_000;

export function decide(facts: CheckFacts, policy: Policy): Verdict {
  const findings: Finding[] = [];
  const add = (check: Finding['check'], level: Level | 'note', title: string, details: string[]) => {
    if (level !== 'off') findings.push({ check, severity: level, title, details });
  };
  const repo = repoLabel(facts.remote);
  const levels = policy.levels;
  if (!facts.credential.found) {
    add('credential', 'note', `no token found for ${facts.remote.url}; nothing checked`, [facts.credential.reason]);
  } else if (facts.server?.status === 'password') {
    // the same line doctor and check print; nothing was asked, so the unchecked push's level decides
    add('unreachable', levels.unreachable, `${facts.server.message}; the push was not checked`, [
      'An account password is never sent to the server for these checks (a wrong one counts towards the CAPTCHA lock).',
      `Fix: ${facts.server.fix}`,
    ]);
  } else if (facts.server && facts.server.status !== 'ok') {
    const what =
      facts.server.status === 'unreachable'
        ? `could not reach ${facts.remote.baseUrl}${UNREACHABLE_WHY[facts.server.network] ?? ''}`
        : 'could not verify the token';
    add('unreachable', levels.unreachable, `${what}; the push was not checked`, [facts.server.message]);
  } else if (facts.server) {
    serverFindings(facts.server.facts, facts, policy, repo, add);
  }
  findings.sort((a, b) => rank(a.severity) - rank(b.severity));
  return { findings, exitCode: findings.some((f) => f.severity === 'block') ? 1 : 0 };
}

type Add = (check: Finding['check'], level: Level | 'note', title: string, details: string[]) => void;

function serverFindings(s: ServerFacts, facts: CheckFacts, policy: Policy, repo: string, add: Add): void {
  const levels = policy.levels;
  const who = !s.user.name ? 'the token' : s.user.displayName ? `${s.user.name} (${s.user.displayName})` : s.user.name;
  const writable =
    s.writable === false || (s.permissions !== undefined && !s.permissions.some((p) => WRITE_PERMISSIONS.includes(p)))
      ? false
      : s.writable;
  if (s.repositoryMissing !== undefined) {
    // Not a permission problem, and never a block: git runs the hook only after the server has
    // answered git for this repository, so a 404 here means REST and git disagree (renamed or
    // deleted meanwhile, a path read differently), and the server decides the push. Where the
    // repository is truly missing git fails first with its own "not found". `check` exits 1 on it.
    const level = levels.writePermission;
    add(
      'writePermission',
      level === 'off' || level === 'note' ? level : 'warn',
      `${s.repositoryMissing} (check the remote URL); write permission not checked`,
      [`Bitbucket answers that ${repo} does not exist; a push there fails at the server whatever the token may do.`],
    );
  }
  const writeUnchecked = s.unchecked?.find((u) => u.startsWith('write permission'));
  if (writable === undefined && writeUnchecked)
    // a check the time budget or page cap left undone: its level decides, so `block` still blocks
    add('writePermission', levels.writePermission, `could not check whether ${who} can push to ${repo}`, [
      `Not checked: ${writeUnchecked}.`,
    ]);
  if (writable === false) {
    const tokenPerms = s.permissions
      ? `the token has ${s.permissions.join(', ') || 'no permissions'}`
      : 'the token or its user lacks write access';
    add('writePermission', levels.writePermission, `${who} cannot push to ${repo}: REPO_WRITE is needed`, [
      `Bitbucket refuses pushes to ${repo} without REPO_WRITE for ${s.kind === 'project' ? 'this access token' : `user ${s.user.name}`} (${tokenPerms}).`,
      s.kind === 'personal'
        ? `Create a token with REPO_WRITE at ${tokenPageUrl(facts.remote.baseUrl, s.user.slug)} (and ask a project admin for write access if you lack it).`
        : `Use a token with REPO_WRITE on ${repo}.`,
    ]);
  }
  if (s.kind === 'project') {
    add('projectToken', levels.projectToken, `pushing with a project or repository access token, not a personal one`, [
      `Bitbucket records this push, and any pull-request activity done with this token, under the generated bot identity${s.user.name ? ` "${s.user.name}"` : ''}, separate from your own account.`,
      `To act as yourself, use a personal access token for ${facts.remote.baseUrl}.`,
    ]);
  }
  if (s.kind === 'unknown') {
    // at the projectToken level, so that `block` still blocks what may be a project token
    add(
      'projectToken',
      levels.projectToken,
      'could not tell whether the token is a personal or a project/repository token',
      [
        s.unknownBecause ?? 'Bitbucket did not say whose token it is.',
        `bitbucket.projectToken (${levels.projectToken}) applies. To push as yourself, use a personal access token for ${facts.remote.baseUrl}.`,
      ],
    );
  }
  expiryFinding(s, facts, policy, add);
  if (s.kind === 'personal' && facts.identity) identityFindings(s, facts.identity, facts.remote.name, policy, add);
}

function expiryFinding(s: ServerFacts, facts: CheckFacts, policy: Policy, add: Add): void {
  const { now } = facts;
  if (s.expiresAt === undefined || s.expiresAt - now > policy.expiryDays * DAY_MS) return;
  const date = new Date(s.expiresAt).toISOString().slice(0, 10);
  const rotate = rotateCommand(s, facts);
  if (s.expiresAt <= now) {
    add('expiry', policy.levels.expiry, `the token expired on ${date}`, [
      rotate
        ? `Bitbucket will refuse it: replace it with: ${rotate} (an expiry date cannot be extended).`
        : 'Bitbucket will refuse it: create a new token and store it (expiry cannot be extended).',
    ]);
    return;
  }
  if (s.expiresAt - now <= policy.expiryDays * DAY_MS) {
    const days = Math.floor((s.expiresAt - now) / DAY_MS);
    const when = days === 0 ? 'within a day' : `in ${days} day${days === 1 ? '' : 's'}`;
    const level = policy.levels.expiry;
    add('expiry', level === 'off' || level === 'note' ? level : 'warn', `the token expires ${when} (on ${date})`, [
      rotate
        ? `Renew it before then with: ${rotate} (an expiry date cannot be extended).`
        : 'Create a new token before then; an expiry date cannot be extended.',
    ]);
  }
}

/**
 * The command that renews the token, as `status` and the renewal notice name it: only for a token
 * from our store (what `rotate` replaces) that is not a project token (which `rotate` refuses).
 */
function rotateCommand(s: ServerFacts, facts: CheckFacts): string | undefined {
  if (s.kind === 'project' || !facts.credential.found || facts.credential.source !== 'credential store')
    return undefined;
  return `git credential-bitbucket rotate ${facts.remote.baseUrl}`;
}

function identityFindings(
  s: ServerFacts,
  scan: IdentityScan | { error: string },
  remote: string,
  policy: Policy,
  add: Add,
): void {
  const { identity, tagger, author } = policy.levels;
  if ('error' in scan) {
    // A check that cannot run is decided by its level: `block` must not become a note.
    const level = [identity, tagger, author].reduce((a, b) => (rankLevel(b) > rankLevel(a) ? b : a));
    add('identity', level, `could not list the commits to push; identity not checked: ${oneLine(scan.error)}`, []);
    return;
  }
  const email = s.user.email?.toLowerCase();
  if (!email) {
    add('identity', 'note', `Bitbucket did not say the email address of ${s.user.name}; identity not checked`, []);
    return;
  }
  const display = s.user.displayName;
  const you = `${s.user.email}${display ? ` (${display})` : ''}`;
  // A commit checker on the server compares committers and taggers, never authors
  // (docs/bitbucket-server.md section 13).
  const nameOk = (name: string) => display === undefined || sameName(name, display);
  const committerOk = (g: { committer: string; committerName: string }) =>
    g.committer === email && nameOk(g.committerName);
  const setUp = (emailWrong: boolean, nameWrong: boolean) =>
    [
      ...(emailWrong ? [`git config user.email ${shWord(s.user.email!)}`] : []),
      ...(nameWrong && display ? [`git config user.name ${shWord(withoutCrud(display))}`] : []),
    ].join('; ');

  const committed = scan.groups.filter((g) => !committerOk(g));
  if (identity !== 'off' && committed.length > 0) {
    const count = committed.reduce((n, g) => n + g.count, 0);
    const lines = sampleLines(committed, count, (c) => commitLine(c, email, display));
    if (scan.unsure !== undefined) {
      // Perhaps all on the server already: never a block, never "rewrite them".
      lines.push(unsureAdvice(count));
      add(
        'identity',
        atMostWarn(identity),
        `${couldNotTell(remote, scan.unsure)}; ${count} commit${count === 1 ? '' : 's'} pushed ${count === 1 ? 'is' : 'are'} not committed as ${you}`,
        lines,
      );
    } else {
      const first = setUp(
        committed.some((g) => g.committer !== email),
        committed.some((g) => !nameOk(g.committerName)),
      );
      lines.push(
        `Fix: ${first}, then commit them again as yourself ` +
          `(the last one: git commit --amend --no-edit; several: git rebase --exec 'git commit --amend --no-edit' <base>; ` +
          `each keeps its author; add --reset-author to take the authorship too).`,
      );
      add(
        'identity',
        identity,
        `${count} commit${count === 1 ? '' : 's'} to push ${count === 1 ? 'is' : 'are'} not committed as ${you}: a commit checker on the server would reject ${count === 1 ? 'it' : 'them'}`,
        lines,
      );
    }
  }

  const tags = scan.tags.filter((t) => t.tagger.email !== email || !nameOk(t.tagger.name));
  if (tagger !== 'off' && tags.length > 0) {
    const lines = tags
      .slice(0, COMMIT_LIST_CAP)
      .map((t) => `${t.name}  tagger ${who(t.tagger.email, t.tagger.name, email, display)}`);
    if (tags.length > lines.length) lines.push(`… and ${tags.length - lines.length} more`);
    const first = setUp(
      tags.some((t) => t.tagger.email !== email),
      tags.some((t) => !nameOk(t.tagger.name)),
    );
    const t = tags[0]!;
    lines.push(
      `Fix: ${first}, then re-create each tag as yourself on the same commit (git tag -f -a ${shWord(t.local)} ${shWord(`${t.local}^{}`)}; add -s for a signed tag).`,
    );
    add(
      'tagger',
      tagger,
      `${tags.length} annotated tag${tags.length === 1 ? '' : 's'} to push ${tags.length === 1 ? 'is' : 'are'} not tagged as ${you}: a commit checker on the server would reject ${tags.length === 1 ? 'it' : 'them'}`,
      lines,
    );
  }

  // committed by you, authored by someone else: often right (pair work, an applied patch)
  const authored = scan.groups.filter((g) => committerOk(g) && g.author !== email);
  if (author !== 'off' && authored.length > 0) {
    const count = authored.reduce((n, g) => n + g.count, 0);
    const lines = sampleLines(authored, count, (c) => commitLine(c, email, display));
    const what = `${count} commit${count === 1 ? '' : 's'} ${scan.unsure !== undefined ? 'pushed' : 'to push'} ${count === 1 ? 'is' : 'are'} committed by you but authored by another e-mail`;
    if (scan.unsure !== undefined) {
      lines.push(unsureAdvice(count));
      add('author', atMostWarn(author), `${couldNotTell(remote, scan.unsure)}; ${what}`, lines);
      return;
    }
    // A Data Center account has one e-mail address, from its user directory (docs/bitbucket-server.md
    // section 3): the fix is in git, never "add the address to the account".
    lines.push(
      `If they are yours: git config user.email ${shWord(s.user.email!)}, then take the authorship ` +
        `(the last one: git commit --amend --no-edit --reset-author; several: git rebase --exec 'git commit --amend --no-edit --reset-author' <base>); ` +
        `for an address of yours in history already shared, map it in .mailmap.`,
    );
    add('author', author, what, lines);
  }
}

/** The headline of a finding on commits that may be on the server already (src/prepush/known.ts). */
function couldNotTell(remote: string, why: string): string {
  return `could not tell which commits are new to ${remote} (${why})`;
}

function unsureAdvice(count: number): string {
  return (
    `A commit checker on the server looks only at commits new to it; ${count === 1 ? 'this one' : 'these'} may be there already. ` +
    'Rewrite nothing for this; once the commits new to the remote are known, they are checked as usual.'
  );
}

/** What cannot be known to be wrong warns at most. */
function atMostWarn(level: Level): Level {
  return level === 'block' ? 'warn' : level;
}

type Group = IdentityScan['groups'][number];

/**
 * Up to {@link COMMIT_LIST_CAP} commit lines: the first sample of each group, then the second,
 * and so on, so that a large group never hides another; then "… and N more".
 */
function sampleLines(groups: readonly Group[], count: number, line: (c: CommitInfo) => string): string[] {
  const lines: string[] = [];
  for (let i = 0; lines.length < COMMIT_LIST_CAP; i++) {
    const round = groups.flatMap((g) => (i < g.samples.length ? [g.samples[i]!] : []));
    if (round.length === 0) break;
    for (const c of round.slice(0, COMMIT_LIST_CAP - lines.length)) lines.push(line(c));
  }
  if (count > lines.length) lines.push(`… and ${count - lines.length} more`);
  return lines;
}

/** `e-mail` when the name is right, else `Name <e-mail>`, for a commit list line; `<>` for an empty e-mail. */
function who(mail: string, name: string, email: string, display: string | undefined): string {
  return display === undefined || sameName(name, display) || mail !== email ? shown(mail) : `${name} <${mail}>`;
}

/** An e-mail for a list line: as it is, or `<>` when empty (git records `<>` then), never a blank. */
function shown(mail: string): string {
  return mail === '' ? '<>' : mail;
}

/** `sha  who  subject`: the author alone when the committer is right, else who committed it. */
function commitLine(c: CommitInfo, email: string, display: string | undefined): string {
  const mine = c.committer === email && (display === undefined || sameName(c.committerName, display));
  const committer = who(c.committer, c.committerName, email, display);
  const text = mine
    ? shown(c.author)
    : c.author === c.committer
      ? committer
      : c.author === email
        ? `committer ${committer}`
        : `${shown(c.author)}, committer ${committer}`;
  const subject = c.subject.length > 60 ? `${c.subject.slice(0, 59)}…` : c.subject;
  return `${c.sha.slice(0, 10)}  ${text}  ${subject}`;
}

/** A word for a shell command line: as it is when plain, else in single quotes. */
function shWord(text: string): string {
  return /^[A-Za-z0-9@%+=:,./_^{}-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * git's own clean-up of a name (ident.c `strbuf_addstr_without_crud`): no `<`, `>` or line
 * break, no leading or trailing space or `.,:;"'\\`. git applies it to every name it records;
 * a display name may still carry such characters.
 */
export function withoutCrud(name: string): string {
  const kept = name.replaceAll('<', '').replaceAll('>', '').replaceAll('\n', '');
  let start = 0;
  let end = kept.length;
  while (start < end && isCrud(kept[start]!)) start++;
  while (end > start && isCrud(kept[end - 1]!)) end--;
  return kept.slice(start, end);
}

/** A character git trims from the ends of a name: a control character, space or `.,:;"'\`. */
function isCrud(ch: string): boolean {
  return ch <= ' ' || '.,:;"\'\\'.includes(ch);
}

/**
 * Whether a committer (or tagger) name is the account's display name as commit checkers compare
 * them: both cleaned up as git cleans names, then case-insensitively (docs/bitbucket-server.md
 * section 13).
 */
export function sameName(gitName: string, displayName: string): boolean {
  return withoutCrud(gitName).toLowerCase() === withoutCrud(displayName).toLowerCase();
}

function rankLevel(l: Level | 'note'): number {
  return l === 'block' ? 3 : l === 'warn' ? 2 : l === 'note' ? 1 : 0;
}

function oneLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function rank(s: Severity): number {
  return s === 'block' ? 0 : s === 'warn' ? 1 : 2;
}

/** A submodule pushed by its superproject's `git push --recurse-submodules`, for the bypass advice. */
export interface Submodule {
  /** The submodule's path from the superproject's work tree. */
  path: string;
  remote: string;
  /** The refs pushed, as `git push` takes them. */
  refs: readonly string[];
}

/**
 * The bypass advice for a blocked push: `--no-verify`, or the config key of each blocking check.
 * In a submodule, `git push --recurse-submodules` runs the submodule's push without passing
 * `--no-verify` on (git-push(1) names no such pass-through), so the advice is to push the
 * submodule itself first, and a lowered level goes into the submodule's config.
 */
export function bypassHint(findings: readonly Finding[], submodule?: Submodule): string {
  const keys = [
    ...new Set(
      findings
        .filter((f) => f.severity === 'block' && f.check !== 'credential')
        .map((f) => configKey(f.check as CheckName)),
    ),
  ];
  const git = submodule ? `git -C ${shWord(submodule.path)}` : 'git';
  const config = keys.map((k) => `${git} config ${k} warn`).join(' / ');
  const lower = config ? `, or lower the check: ${config}` : '';
  if (!submodule) return `To push anyway: git push --no-verify${lower}`;
  const push = [git, 'push', '--no-verify', shWord(submodule.remote), ...submodule.refs.map(shWord)].join(' ');
  return (
    `To push anyway: ${push}, then push again (this is submodule ${shWord(submodule.path)}, and git push ` +
    `--recurse-submodules does not pass --no-verify on to it)${lower}`
  );
}
