/**
 * doctor's reading of the credential helpers git asks for the server, in the order it asks them:
 * whether this helper is among them, and what comes before it (answers first) and after it (is
 * handed every token git confirms); and whether the paths our lines name are still there.
 */
import { isOurHelper } from '../prepush/remote-config.js';
import { brokenHelperPaths } from './shared/invocation.js';
import type { Finding } from './doctor-findings.js';

/** Helpers that keep what git hands them on `store`, in plain text or elsewhere. */
const PLAINTEXT_STORING = /^(store|!?\S*git-credential-store)\b/;

/** Pure: what the helper chain for a URL means, in the order git runs it. */
export function analyseHelpers(helpers: string[], url: string, tokenStored = false): Finding[] {
  const ours = helpers.findIndex(isOurHelper);
  const setupFix = `git credential-bitbucket setup ${url}`;
  if (ours < 0 && tokenStored)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `token stored, git not set up: git does not ask this helper for ${url}${helpers.length ? ` (it asks: ${helpers.join(', ')})` : ' and will prompt'}`,
        fix: setupFix,
      },
    ];
  if (helpers.length === 0)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `no credential helper is configured for ${url}: git will prompt`,
        fix: setupFix,
      },
    ];
  if (ours < 0)
    return [
      {
        id: 'helper-missing',
        level: 'error',
        title: `this helper is not configured for ${url}; git asks: ${helpers.join(', ')}`,
        fix: setupFix,
      },
    ];
  const out: Finding[] = [
    {
      id: 'helper-chain',
      level: 'ok',
      title: `helper chain for ${url}: ${helpers.map((h, i) => (i === ours ? `[${h}]` : h)).join(' → ')}`,
    },
  ];
  for (const [i, h] of helpers.slice(0, ours).entries()) {
    // what `setup --cache` writes, right before us (a bare `cache` is someone else's choice)
    const cache = /^cache --timeout=(\d+)$/.exec(h.trim());
    if (cache && i === ours - 1) {
      out.push({
        id: 'helper-cache',
        level: 'info',
        title: `git's credential-cache answers before this helper for ${cache[1]} s after each get (setup --cache): no Node starts then, and the token sits in the cache daemon's memory that long`,
        detail:
          'git 2.41+ drops a cached token at its password_expiry_utc, which this helper passes on; older git may use it until the cache times out. After logout or rotate, run: git credential-cache exit',
      });
      continue;
    }
    out.push({
      id: 'helper-before',
      level: 'warn',
      title: `'${h}' is asked before this helper: if it has any credential for this host, git uses that instead`,
      fix: setupFix,
    });
  }
  for (const h of helpers.slice(ours + 1)) {
    const plain = PLAINTEXT_STORING.test(h.trim());
    out.push({
      id: plain ? 'helper-plaintext' : 'helper-after',
      level: 'warn',
      title: plain
        ? `'${h}' runs after this helper and receives every token git confirms: it copies it to a plain-text file`
        : `'${h}' runs after this helper and also receives the token on 'store'`,
      fix: `remove it for this host (e.g. git config --unset credential.helper, or in the repository: git config --local --unset credential.helper), then: ${setupFix}`,
    });
  }
  return out;
}

/**
 * An error for each path our helper lines name that is gone (a Node upgrade, an uninstalled or
 * moved package): git's sh fails on it, and nothing else would say so.
 */
export function helperPathFindings(helpers: readonly string[], url: string): Finding[] {
  return brokenHelperPaths(helpers, url).map((title) => ({
    id: 'helper-paths',
    level: 'error',
    title,
    fix: `git credential-bitbucket setup ${url}`,
  }));
}
