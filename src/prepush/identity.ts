/**
 * The identity scan: the pushed commits' author and committer emails, grouped, from
 * of `git rev-list --format=` output. The collector is pure (feed it chunks); `scanPushedCommits`
 * runs git. Only commits new to the remote are listed.
 */
import { revListSync, type GitRun } from '../git/repo.js';
import type { CommitInfo, IdentityScan } from './facts.js';
import type { PushUpdate } from './stdin.js';

/** sha, author email, committer email, subject, NUL-separated (none of them holds a NUL). */
export const REV_LIST_FORMAT = '%H%x00%ae%x00%ce%x00%s';
/** Commits kept per (author, committer) group, enough for the finding's capped list. */
const SAMPLES = 5;

interface Group {
  author: string;
  committer: string;
  count: number;
  samples: CommitInfo[];
}

/** Accumulates rev-list output chunk by chunk; lines may be split across chunks. */
export class IdentityCollector {
  private rest = '';
  private total = 0;
  private readonly groups = new Map<string, Group>();

  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text.slice(start, nl));
      start = nl + 1;
    }
    this.rest = text.slice(start);
  }

  end(): IdentityScan {
    if (this.rest !== '') this.line(this.rest);
    this.rest = '';
    return { total: this.total, groups: [...this.groups.values()] };
  }

  private line(line: string): void {
    const a = line.indexOf('\0');
    const b = line.indexOf('\0', a + 1);
    const c = line.indexOf('\0', b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    this.total++;
    const author = line.slice(a + 1, b).toLowerCase();
    const committer = line.slice(b + 1, c).toLowerCase();
    const key = `${author}\0${committer}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { author, committer, count: 0, samples: [] }));
    g.count++;
    if (g.samples.length < SAMPLES)
      g.samples.push({ sha: line.slice(0, a), author, committer, subject: line.slice(c + 1) });
  }
}

/** The rev-list range for a push: new local tips, minus old remote tips and the remote's refs. */
export function pushRange(updates: readonly PushUpdate[]): { include: string[]; exclude: string[] } {
  const include = [...new Set(updates.flatMap((u) => (u.localOid ? [u.localOid] : [])))];
  const exclude = [...new Set(updates.flatMap((u) => (u.remoteOid ? [u.remoteOid] : [])))];
  return { include, exclude };
}

/**
 * Runs the scan; undefined when nothing new is pushed. `remote` is a remote name (not a URL).
 * One synchronous git run: spawnSync needs no stream objects, so the hook never loads Node's
 * stream and net modules for it.
 */
export function scanPushedCommits(
  updates: readonly PushUpdate[],
  remote: string,
  run: GitRun = {},
): IdentityScan | { error: string } | undefined {
  const range = pushRange(updates);
  if (range.include.length === 0) return undefined;
  const named = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remote) ? remote : undefined;
  const r = revListSync({ format: REV_LIST_FORMAT, ...range, ...(named ? { remote: named } : {}) }, run);
  if (r.status !== 0) return { error: `git rev-list failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}` };
  const collector = new IdentityCollector();
  collector.push(r.stdout);
  return collector.end();
}
