/**
 * doctor's reading of the credential helpers git asks for the server, in the order it asks them:
 * whether this helper is among them, and what comes before it (answers first) and after it (is
 * handed every token git confirms); and whether the paths our lines name are still there.
 */
import { isOurHelper, resolveRemoteConfig } from '../prepush/remote-config.js';
import { scopesUnder, type ConfigEntry } from '../prepush/urlmatch.js';
import { brokenHelperPaths } from './shared/invocation.js';
import type { Finding } from './doctor-findings.js';

/** Helpers that keep what git hands them on `store`, in plain text or elsewhere. */
const PLAINTEXT_STORING = /^(store|!?\S*git-credential-store)\b/;

/** The helpers git asks for one URL, and those it asks after this one (every helper when it does not ask this one). */
export interface Chain {
  url: string;
  helpers: string[];
  used: boolean;
  after: string[];
}

function chainFor(entries: readonly ConfigEntry[], url: string): Chain {
  const helpers = resolveRemoteConfig(entries, url).helpers;
  const last = helpers.findLastIndex(isOurHelper);
  return { url, helpers, used: last >= 0, after: helpers.slice(last + 1) };
}

/**
 * The chain git builds for the server (`<baseUrl>/`), then one for each path under it where a
 * credential section makes it differ (`[credential "<base>/scm/prj"]`, scopesUnder), every scope
 * and include read as git reads them.
 */
export function helperChains(baseUrl: string, entries: readonly ConfigEntry[]): { server: Chain; under: Chain[] } {
  const server = chainFor(entries, `${baseUrl}/`);
  const under = scopesUnder(entries, 'credential', baseUrl)
    .map((url) => chainFor(entries, url))
    .filter((c) => c.helpers.join('\0') !== server.helpers.join('\0'));
  return { server, under };
}

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
 * For a path under the server whose credential section changes the chain (`helperChains`): a
 * warning for each helper asked after this one (or the chain, when git does not ask this one
 * there), never an error: whether git is set up for the server is its own chain's finding.
 */
export function underFindings(c: Chain, url: string): Finding[] {
  const where = `for repositories under ${c.url}`;
  const fix = `remove that section's helper (git config --show-origin --get-regexp '^credential\\.' shows where), or run git credential-bitbucket setup ${url} when it is in the same file`;
  if (!c.used)
    return [
      {
        id: 'helper-under',
        level: 'warn',
        title: `${where}, git does not ask this helper (it asks: ${c.helpers.join(', ') || 'no helper, and prompts'})`,
        fix,
      },
    ];
  return analyseHelpers(c.helpers, url)
    .filter((f) => f.level !== 'ok')
    .map((f) => ({ ...f, title: `${where}: ${f.title}`, fix }));
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
