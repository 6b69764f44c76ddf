/**
 * The pushed commits the guard cannot place (./known.ts: no remote-tracking refs describe the
 * repository pushed to), confirmed with the server: the repository answers whether it has a
 * commit (docs/bitbucket-server.md section 7). A repository that has a commit has its ancestors
 * too, and one that lacks a commit lacks its descendants, so a few answers settle a whole range:
 * the commits not below one the server has are new when each of the oldest of them is one the
 * server said it lacks. The guard asks about at most {@link MAX_PROBES} commits whatever the size
 * of the push (the range's newest and oldest commits, then commits along the first-parent line
 * below each newest one, close together first, then ever further apart), all at once, alongside
 * the token's requests and within the same time budget: one round trip. What the answers leave
 * open stays "could not tell"; so does everything when the server cannot be asked.
 */
import type { BitbucketClient } from '../bitbucket/client.js';
import { revListSync, type GitRun } from '../git/repo.js';
import { trace } from '../trace.js';
import type { IdentityScan } from './facts.js';
import { collectIdentities, pushRange, REV_LIST_FORMAT } from './identity.js';
import type { PushUpdate } from './stdin.js';

/** Requests one confirmation makes at most, whatever the number of commits pushed. */
export const MAX_PROBES = 24;
/** Newest commits (and, apart, oldest) asked about at most. */
const MAX_ENDS = 8;
/** Along a first-parent line: every commit this close to its newest, then every power of two further. */
const DENSE = 8;

/** The pushed range: each commit with its parents, those outside the range included. */
export type Graph = Map<string, string[]>;

/** Pure: `git rev-list --format='%H %P'` output as a graph. */
export function parseGraph(text: string): Graph {
  const g: Graph = new Map();
  for (const line of text.split('\n')) {
    const [sha, ...parents] = line.split(' ');
    if (sha) g.set(sha, parents);
  }
  return g;
}

/**
 * Pure: the commits to ask about, at most `max`: the newest (no child in the range) and the
 * oldest (no parent in it), {@link MAX_ENDS} of each, then, in turns, one more commit down the
 * first-parent line of each newest one.
 */
export function probeSample(g: Graph, max = MAX_PROBES): string[] {
  const hasChild = new Set<string>();
  for (const parents of g.values()) for (const p of parents) hasChild.add(p);
  const tips = [...g.keys()].filter((c) => !hasChild.has(c)).slice(0, MAX_ENDS);
  const roots = [...g]
    .filter(([, parents]) => parents.every((p) => !g.has(p)))
    .map(([c]) => c)
    .slice(0, MAX_ENDS);
  const picked = new Set<string>();
  const lines = tips.map((tip) => firstParentSamples(g, tip));
  for (const c of [...tips, ...roots]) if (picked.size < max) picked.add(c);
  for (let i = 0; picked.size < max && lines.some((l) => i < l.length); i++)
    for (const l of lines) if (i < l.length && picked.size < max) picked.add(l[i]!);
  return [...picked];
}

/** The commits 1…DENSE first parents below `tip`, then 2×DENSE, 4×DENSE…, inside the range. */
function firstParentSamples(g: Graph, tip: string): string[] {
  const out: string[] = [];
  let next = 1;
  let depth = 0;
  for (let c = g.get(tip)?.[0]; c !== undefined && g.has(c); c = g.get(c)![0]) {
    if (++depth !== next) continue;
    out.push(c);
    next = depth < DENSE ? depth + 1 : depth * 2;
  }
  return out;
}

/** What the server's answers settle. */
export interface Settled {
  /** Commits the server has (asked about): they and their ancestors are not new. */
  present: string[];
  /** Commits of the range below none of `present`. */
  remaining: number;
  /** Each of the oldest of the remaining ones is a commit the server said it lacks: all of them are new. */
  settled: boolean;
}

/** Pure: what the answers (commit → whether the server has it) tell about the range. */
export function settle(g: Graph, answers: ReadonlyMap<string, boolean>): Settled {
  const present = [...answers].filter(([, has]) => has).map(([c]) => c);
  const onServer = new Set<string>();
  for (const stack = [...present]; stack.length > 0;) {
    const c = stack.pop()!;
    if (!g.has(c) || onServer.has(c)) continue;
    onServer.add(c);
    stack.push(...g.get(c)!);
  }
  let remaining = 0;
  let settled = true;
  for (const [c, parents] of g) {
    if (onServer.has(c)) continue;
    remaining++;
    const oldest = parents.every((p) => !g.has(p) || onServer.has(p));
    if (oldest && answers.get(c) !== false) settled = false;
  }
  return { present, remaining, settled };
}

/** Where to ask: the repository pushed to, with the token as Bearer (docs/bitbucket-server.md section 2). */
export interface Asking {
  client: BitbucketClient;
  secret: string;
  projectKey: string;
  repoSlug: string;
}

/**
 * The scan of an unsure push, with what the server confirms: its commits dropped, and `unsure`
 * gone when the rest is known to be new. The scan as it was when nothing could be asked or git
 * fails here.
 */
export async function confirmWithServer(
  scan: IdentityScan,
  updates: readonly PushUpdate[],
  run: GitRun,
  asking: Asking,
): Promise<IdentityScan> {
  const range = { ...pushRange(updates), known: [] };
  const listed = revListSync({ format: '%H %P', ...range }, run);
  if (listed.status !== 0) return scan;
  const g = parseGraph(listed.stdout);
  const sample = probeSample(g);
  const auth = { scheme: 'bearer' as const, secret: asking.secret };
  const results = await Promise.all(
    sample.map((c) => asking.client.hasCommit(auth, asking.projectKey, asking.repoSlug, c)),
  );
  const answers = new Map<string, boolean>();
  for (const [i, r] of results.entries()) if (r.status === 'ok') answers.set(sample[i]!, r.present);
  const s = settle(g, answers);
  trace('guard', () => {
    const failed = results.find((r) => r.status !== 'ok');
    const why =
      failed && 'message' in failed ? `; no answer for ${sample.length - answers.size} (${failed.message})` : '';
    const outcome = s.remaining === 0 ? 'none is new' : `${s.remaining} ${s.settled ? 'new' : 'still unplaced'}`;
    return `asked the server about ${sample.length} of ${g.size} unplaced commit(s): ${s.present.length} there${why}; ${outcome}`;
  });
  if (s.remaining === 0) return { total: 0, groups: [], tags: scan.tags };
  let out = scan;
  if (s.present.length > 0) {
    const r = revListSync({ format: REV_LIST_FORMAT, ...range, exclude: [...range.exclude, ...s.present] }, run);
    if (r.status !== 0) return scan;
    out = {
      ...collectIdentities(r.stdout),
      tags: scan.tags,
      ...(scan.unsure !== undefined ? { unsure: scan.unsure } : {}),
    };
  }
  if (!s.settled) return out;
  const { unsure: _settled, ...known } = out;
  return known;
}
