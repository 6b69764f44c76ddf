/**
 * `git-credential-bitbucket hook pre-push <remote> <url>` with git's ref list on stdin: the
 * hook's whole flow, IO injected. Exit 1 only when a check blocks; 2 when the hook's own input
 * is unusable (the shim reports that and lets the push go); SSH and other non-http remotes,
 * and hosts that are not Bitbucket, pass at once and silently. An internal failure is reported
 * and lets the push go: a broken guard must not stop anyone's work.
 */
import { parseBitbucketUrl } from '../bitbucket/url.js';
import { withoutPassword } from '../git/config.js';
import type { Prefetched } from '../git/prefetched.js';
import type { GitRun } from '../git/repo.js';
import { gatherFacts } from './gather.js';
import { renderVerdict } from './render.js';
import { ENV, PROGRAM as PREFIX } from '../settings.js';
import { parsePushInput } from './stdin.js';
import { decide } from './verdict.js';
import { initTrace, trace } from '../trace.js';
import { markRunFailed } from '../load-esm.js';

export interface HookIO {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  now(): number;
  stderr(text: string): void;
  /** git answers the hook script collected (see git/prefetched.ts). */
  prefetched?: Prefetched;
}

export async function runPrePush(args: readonly string[], input: string, io: HookIO): Promise<number> {
  // A push to a URL (`git push https://user:token@host/...`) makes the URL the remote's name:
  // the name is traced and reported, so it loses its password here (a remote's name has no ':',
  // git-check-ref-format(1), so only a URL changes). `url` keeps it: git authenticates with it,
  // and so the guard finds the credential there (credential.ts).
  const remote = args[0] === undefined ? undefined : withoutPassword(args[0]);
  const url = args[1];
  initTrace(io.env);
  trace(
    'guard',
    () =>
      `pre-push ${remote ?? '?'} ${url ? withoutPassword(url) : '?'}${io.prefetched ? ' (git answers prefetched by the hook script)' : ''}`,
  );
  if (remote === undefined || url === undefined) {
    io.stderr(`${PREFIX}: hook pre-push: expected <remote> <url> (git passes them to the pre-push hook)\n`);
    return 2;
  }
  const loc = parseBitbucketUrl(url);
  if (!loc || loc.kind !== 'http') {
    trace('guard', () => 'not an http(s) remote: nothing to check');
    return 0;
  }
  const parsed = parsePushInput(input);
  if (!parsed.ok) {
    io.stderr(`${PREFIX}: pre-push: ${parsed.error}\n`);
    return 2;
  }
  if (parsed.updates.length === 0) return 0;
  const run: GitRun = {
    env: io.env,
    ...(io.cwd !== undefined ? { cwd: io.cwd } : {}),
    ...(io.prefetched ? { prefetched: io.prefetched } : {}),
  };
  try {
    const g = await gatherFacts({
      remote,
      url,
      loc,
      updates: parsed.updates,
      env: io.env,
      run,
      now: io.now(),
      stepAsideForConfigHook: io.env[ENV.hook.name] !== 'config',
    });
    if (g.skip) return 0;
    const verdict = decide(g.facts, g.policy);
    trace('guard', () => {
      const found = verdict.findings.map((f) => `${f.check}: ${f.severity}`).join(', ');
      return `verdict: ${found || 'no findings'}; exit ${verdict.exitCode}`;
    });
    io.stderr(renderVerdict(verdict, g.facts, g.problems));
    return verdict.exitCode;
  } catch (err) {
    markRunFailed();
    const message = err instanceof Error ? err.message.split('\n')[0] : 'unexpected error';
    io.stderr(`${PREFIX}: pre-push check skipped: ${message}\n`);
    return 0;
  }
}
