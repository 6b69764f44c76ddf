/**
 * The red-team harness, repository side: commits and refs an attacker controls. Names, e-mails
 * and subjects carry terminal escape sequences (clear screen, window title, hyperlinks), line
 * breaks that imitate the guard's own output and bidirectional overrides; branch names carry
 * shell syntax. Everything goes through real git.
 */
import { repoWithOrigin } from '../helpers/repo.js';
import { BIN, describe as desc, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const ESC = '\x1b';
const BEL = '\x07';

/** Strings meant to take over a terminal or fake this program's output. */
export const HOSTILE = {
  clearScreen: `${ESC}[2J${ESC}[H`,
  title: `${ESC}]0;pwned${BEL}`,
  hyperlink: `${ESC}]8;;https://attacker.invalid/${BEL}click${ESC}]8;;${BEL}`,
  fakeOk: '\rgit-credential-bitbucket: no problems found',
  bidi: 'alice\u202eelgoog',
  c1: '\u009b31m',
};

/** Every hostile string, joined: what a commit's subject carries. */
export const HOSTILE_TEXT = Object.values(HOSTILE).join(' ');

/** The hostile commits made: e-mails and subjects as git recorded them. */
export interface HostileRepo {
  emails: string[];
  subjects: string[];
  branches: string[];
}

/**
 * Adds hostile commits on top of HEAD in `work` (which must exist), authored and committed with
 * hostile names and e-mails, and creates branches with hostile names pointing at them.
 */
export async function addHostileCommits(sb: Sandbox, work: string): Promise<HostileRepo> {
  const made: HostileRepo = { emails: [], subjects: [], branches: [] };
  const git = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = await runGit(sb, ['-C', work, ...args], '', { env: { ...sb.env, ...env } });
    if (r.exitCode !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
    return r.stdout;
  };
  const people = [
    { name: `Mallory${HOSTILE.clearScreen}`, email: `mallory${HOSTILE.title}@example.invalid` },
    { name: `Eve${HOSTILE.hyperlink}`, email: `eve@example.invalid${HOSTILE.c1}` },
  ];
  for (const [i, p] of people.entries()) {
    const subject = `change ${i} ${HOSTILE_TEXT}`;
    await git(['commit', '-q', '--allow-empty', '-m', subject], {
      GIT_AUTHOR_NAME: p.name,
      GIT_AUTHOR_EMAIL: p.email,
      GIT_COMMITTER_NAME: p.name,
      GIT_COMMITTER_EMAIL: p.email,
    });
    made.emails.push(p.email);
    made.subjects.push(subject);
  }
  for (const b of ['$(touch${IFS}pwned)', 'x;id', '`id`', 'feature/ünï', `dash"quote'`]) {
    await git(['branch', b]);
    made.branches.push(b);
  }
  return made;
}

/**
 * A working repository in the sandbox whose origin is PRJ/app on `baseUrl`, with one commit, this
 * program as the credential helper and `token` stored for alice: ready for `check`.
 */
export async function guardedRepo(sb: Sandbox, baseUrl: string, token: string): Promise<string> {
  const helper = await runGit(sb, ['config', '--global', 'credential.helper', BIN]);
  if (helper.exitCode !== 0) throw new Error(`git config credential.helper: ${helper.stderr}`);
  const work = await repoWithOrigin(sb, baseUrl);
  const host = new URL(baseUrl).host;
  const r = await runBin(sb, ['store'], desc({ protocol: 'http', host, username: 'alice', password: token }));
  if (r.exitCode !== 0) throw new Error(`store: ${r.stderr}`);
  return work;
}
