/**
 * Which commits the repository pushed to has already, as far as this repository can tell: those
 * the ref list git gives the hook says it has (`<remote-oid>`, githooks(5)), and those that
 * remote-tracking refs reach, but only the refs of a remote that fetches from the URL pushed to.
 * `refs/remotes/<name>/*` describe the repository `git fetch <name>` reads (remote.<name>.url);
 * a push may go elsewhere (`remote.<name>.pushurl`, `pushInsteadOf`, a URL typed on the command
 * line), and a remote never fetched from, or a bare clone (no fetch refspec), has no such refs at
 * all. Without them, commits the server has may look new: the scan is then "unsure" and the
 * verdict never blocks on it nor asks to rewrite them (src/prepush/verdict.ts).
 */
import { configGetSync, hasTrackingRefs, remoteFetchUrls, type GitRun } from '../git/repo.js';
import { isPlainName } from './chars.js';

/** The remotes whose remote-tracking refs describe the push target, or why there are none. */
export type Known = { known: string[] } | { known: []; unsure: string };

/**
 * The first of:
 * 1. the pushed remote's own refs, when it fetches from the URL pushed to and has such refs
 *    (what the installed hook script checks too, hooks/pre-push `gcb_tracked`: its commit list
 *    is then the one the guard takes);
 * 2. the refs of every remote that fetches from that URL, user name and password aside, and has
 *    such refs (`git remote add bb <url of origin>`, never fetched: origin's refs);
 * 3. none, with the reason and what to run.
 */
export function knownRemotes(remote: string, url: string, run: GitRun = {}): Known {
  const self = isPlainName(remote) ? remote : undefined;
  const fetchUrls = remoteFetchUrls(run);
  if (self !== undefined && fetchUrls.get(self) === url && hasTrackingRefs(self, run)) return { known: [self] };
  const target = sameRepository(url);
  const others = [...fetchUrls]
    .filter(([name, u]) => isPlainName(name) && sameRepository(u) === target)
    .map(([name]) => name)
    .filter((name) => hasTrackingRefs(name, run));
  if (others.length > 0) return { known: others };
  return { known: [], unsure: whyUnknown(remote, self, url, fetchUrls.get(remote), run) };
}

function whyUnknown(
  remote: string,
  self: string | undefined,
  url: string,
  fetchUrl: string | undefined,
  run: GitRun,
): string {
  if (self === undefined)
    return remote === url || /^[a-z][a-z0-9+.-]*:\/\//i.test(remote)
      ? 'no remote fetches from this URL: push to a remote that does, after a git fetch'
      : `no remote-tracking refs this check can read for ${remote}`;
  if (fetchUrl === undefined) return `${self} has no URL to fetch from, so no remote-tracking refs`;
  if (sameRepository(fetchUrl) !== sameRepository(url))
    return `${self} pushes to another URL than it fetches from; its remote-tracking refs describe the other one`;
  if (configGetSync(`remote.${self}.fetch`, {}, run) === undefined)
    return `no remote-tracking refs: git config remote.${self}.fetch '+refs/heads/*:refs/remotes/${self}/*', then git fetch ${self}`;
  return `no remote-tracking refs: run git fetch ${self}`;
}

/** A URL without user name and password (host lower-cased), for comparing where two URLs lead. */
function sameRepository(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}
