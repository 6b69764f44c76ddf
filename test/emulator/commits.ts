// `GET /rest/api/{1.0,latest}/projects/{key}/repos/{slug}/commits/{commitId}`: the commit as the
// repository's own git has it, read from the bare repository `/scm/` serves
// (docs/bitbucket-server.md section 7).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { sendJson, type Ctx } from './http-util.js';
import type { Repo } from './model.js';
import { errorBody } from './render.js';
import { bareRepoRelPath } from './repos.js';

/** sha, author name, e-mail, time; committer name, e-mail, time; parents; message (NUL-separated). */
const FORMAT = '%H%x00%an%x00%ae%x00%at%x00%cn%x00%ce%x00%ct%x00%P%x00%B';

/** Answers for one commit of `repo`, whose read permission the caller has been checked for. */
export async function getCommit(ctx: Ctx, repo: Repo, id: string): Promise<void> {
  const dir = join(ctx.state.reposDir, bareRepoRelPath(repo.project.key, repo.slug));
  // never an option to git; `--` ends the revisions, so the id cannot name a path either
  const out = id.startsWith('-') ? undefined : await gitLog(dir, `${id}^{commit}`, ctx.state.gitEnv);
  if (out === undefined)
    return sendJson(
      ctx.res,
      404,
      errorBody(
        `Commit '${id}' does not exist in repository '${repo.name}'.`,
        'com.atlassian.bitbucket.commit.NoSuchCommitException',
      ),
    );
  const [sha = '', an, ae, at, cn, ce, ct, parents = '', ...message] = out.split('\0');
  const person = (name?: string, email?: string) => ({ name, emailAddress: email });
  sendJson(ctx.res, 200, {
    id: sha,
    displayId: sha.slice(0, 11),
    author: person(an, ae),
    authorTimestamp: Number(at) * 1000,
    committer: person(cn, ce),
    committerTimestamp: Number(ct) * 1000,
    message: message.join('\0').replace(/\n+$/, ''),
    parents: parents
      .split(' ')
      .filter(Boolean)
      .map((p) => ({ id: p, displayId: p.slice(0, 11) })),
  });
}

/** `git log -1` of one revision in a bare repository; undefined when git does not know it. */
function gitLog(dir: string, rev: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['--git-dir', dir, 'log', '-1', `--format=${FORMAT}`, rev, '--'], { env }, (err, stdout) =>
      resolve(err ? undefined : stdout),
    );
  });
}
