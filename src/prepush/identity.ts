/**
 * The identity scan: the pushed commits' author e-mail and committer e-mail and name, grouped,
 * from `git rev-list --format=` output, and the tagger of each annotated tag pushed. The
 * collector and the tag parser are pure; `scanPushedCommits` runs git. Only commits the remote
 * is not known to have are listed (./known.ts).
 */
import {
  catFileBatch,
  revListStdin,
  revListSync,
  type GitResult,
  type GitRun,
  type RevListRange,
} from '../git/repo.js';
import { knownRemotes } from './known.js';
import type { CommitInfo, IdentityScan, TagInfo } from './facts.js';
import type { PushUpdate } from './stdin.js';
import { isPlainName } from './chars.js';
import { trace } from '../trace.js';

/**
 * sha, author e-mail, committer e-mail, committer name, subject, NUL-separated (none of them
 * holds a NUL). Raw, not mailmapped (`%ae`, not `%aE`): the server checks what the commit says.
 */
export const REV_LIST_FORMAT = '%H%x00%ae%x00%ce%x00%cn%x00%s';
/** Commits kept per (author, committer) group, enough for the finding's capped list. */
const SAMPLES = 5;

interface Group {
  author: string;
  committer: string;
  committerName: string;
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
    return { total: this.total, groups: [...this.groups.values()], tags: [] };
  }

  private line(line: string): void {
    const a = line.indexOf('\0');
    const b = line.indexOf('\0', a + 1);
    const c = line.indexOf('\0', b + 1);
    const d = line.indexOf('\0', c + 1);
    if (a < 0 || b < 0 || c < 0 || d < 0) return;
    this.total++;
    const author = line.slice(a + 1, b).toLowerCase();
    const committer = line.slice(b + 1, c).toLowerCase();
    const committerName = line.slice(c + 1, d);
    const key = `${author}\0${committer}\0${committerName}`;
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { author, committer, committerName, count: 0, samples: [] }));
    g.count++;
    if (g.samples.length < SAMPLES)
      g.samples.push({ sha: line.slice(0, a), author, committer, committerName, subject: line.slice(d + 1) });
  }
}

/** The identity groups of a whole `git rev-list --format=REV_LIST_FORMAT` output (no tags yet). */
export function collectIdentities(out: string): IdentityScan {
  const collector = new IdentityCollector();
  collector.push(out);
  return collector.end();
}

/** The tag refs of a push that bring a new object: candidates for an annotated tag's tagger. */
export function pushedTags(updates: readonly PushUpdate[]): PushUpdate[] {
  return updates.filter((u) => u.localOid && u.localOid !== u.remoteOid && u.remoteRef.startsWith('refs/tags/'));
}

/**
 * Pure: the tagger of a tag object's text (`tagger Name <email> 1700000000 +0000`), e-mail
 * lower-cased; undefined when the object has no tagger line (very old tags).
 */
export function parseTagger(content: string): { name: string; email: string } | undefined {
  const header = content.split('\n\n', 1)[0] ?? '';
  const line = header.split('\n').find((l) => l.startsWith('tagger '));
  const m = line ? /^tagger (.*?) ?<([^<>]*)>/.exec(line) : null;
  return m ? { name: m[1]!, email: m[2]!.toLowerCase() } : undefined;
}

/** The annotated tags among `updates` with their taggers (one `git cat-file --batch`). */
export function scanPushedTags(updates: readonly PushUpdate[], run: GitRun = {}): TagInfo[] | { error: string } {
  const tags = pushedTags(updates);
  if (tags.length === 0) return [];
  const r = catFileBatch(
    tags.map((t) => t.localOid!),
    run,
  );
  if (r.status !== 0) return { error: `git cat-file failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}` };
  const out: TagInfo[] = [];
  for (const [i, t] of tags.entries()) {
    const o = r.objects[i];
    if (o?.type !== 'tag') continue; // a lightweight tag: the commit is in the commit scan
    const tagger = parseTagger(o.content);
    if (!tagger) continue;
    const name = t.remoteRef.slice('refs/tags/'.length);
    const local = t.localRef.startsWith('refs/tags/') ? t.localRef.slice('refs/tags/'.length) : t.localRef;
    out.push({ name, local, oid: o.oid, tagger });
  }
  return out;
}

/** The rev-list range for a push: new local tips, minus old remote tips and the remote's refs. */
export function pushRange(updates: readonly PushUpdate[]): { include: string[]; exclude: string[] } {
  const include = [...new Set(updates.flatMap((u) => (u.localOid ? [u.localOid] : [])))];
  const exclude = [...new Set(updates.flatMap((u) => (u.remoteOid ? [u.remoteOid] : [])))];
  return { include, exclude };
}

/**
 * Runs the scan; undefined when nothing new is pushed. `remote` is git's first hook argument (a
 * remote's name, or the URL pushed to without its password) and `url` the URL git pushes to.
 * The commits listed are those the target is not known to have (./known.ts); when nothing tells
 * what it has, the scan says why (`unsure`). One synchronous git run on the common path, or none
 * when the hook script has the list: spawnSync needs no stream objects, so the hook never loads
 * Node's stream and net modules for it.
 */
export function scanPushedCommits(
  updates: readonly PushUpdate[],
  remote: string,
  url: string,
  run: GitRun = {},
): IdentityScan | { error: string } | undefined {
  const range = { format: REV_LIST_FORMAT, ...pushRange(updates) };
  if (range.include.length === 0) return undefined;
  // The hook script lists the commits the pushed remote's refs do not reach when they describe
  // the URL pushed to, else those the ref list does not (hooks/pre-push); the first answer
  // taken is the script's, never a list git was not asked for.
  const self = isPlainName(remote) ? remote : undefined;
  let r = self === undefined ? undefined : takePrefetched({ ...range, known: [self] }, run);
  let unsure: string | undefined;
  if (r) trace('guard', () => `commit list from the hook script: not reached by refs/remotes/${self}/*`);
  else {
    const stdinOnly = takePrefetched({ ...range, known: [] }, run);
    const k = knownRemotes(remote, url, run);
    if ('unsure' in k) unsure = k.unsure;
    const from = k.known.length === 0 && stdinOnly ? 'from the hook script' : 'run here';
    trace('guard', () =>
      unsure !== undefined
        ? `commit list ${from}: not reached by the remote oids git gave; which are new is unknown (${unsure})`
        : `commit list ${from}: not reached by ${k.known.map((name) => `refs/remotes/${name}/*`).join(', ')}`,
    );
    r = k.known.length === 0 && stdinOnly ? stdinOnly : revListSync({ ...range, known: k.known }, run);
  }
  if (r.status !== 0) return { error: `git rev-list failed: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.status}`}` };
  const scan = collectIdentities(r.stdout);
  if (unsure !== undefined) scan.unsure = unsure;
  const tags = scanPushedTags(updates, run);
  if ('error' in tags) return tags;
  scan.tags = tags;
  return scan;
}

/** The hook script's commit list for exactly this range, if it has it (src/git/prefetched.ts). */
function takePrefetched(range: RevListRange, run: GitRun): GitResult | undefined {
  const { args, input } = revListStdin(range);
  return run.prefetched?.take(args, input);
}
