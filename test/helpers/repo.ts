/**
 * Working repositories for the tests that run the guard or git against the emulator.
 */
import path from 'node:path';
import { runGit, type RunResult, type Sandbox } from './sandbox.js';

/** Runs git in a sandbox: `runGit` itself, or a fixture's `git`, which keeps the output for the secret scan. */
export type GitRunner = (args: string[]) => Promise<RunResult>;

/**
 * A working repository at `<sandbox>/work` on branch main, whose origin is PRJ/app on `baseUrl`,
 * with one empty commit by Alice. Throws when a git step fails.
 */
export async function repoWithOrigin(
  sb: Sandbox,
  baseUrl: string,
  git: GitRunner = (args) => runGit(sb, args),
): Promise<string> {
  const work = path.join(sb.dir, 'work');
  const id = ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com'];
  for (const args of [
    ['init', '-q', '-b', 'main', work],
    ['-C', work, 'remote', 'add', 'origin', `${baseUrl}/scm/prj/app.git`],
    ['-C', work, ...id, 'commit', '-q', '--allow-empty', '-m', 'x'],
  ]) {
    const r = await git(args);
    if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  }
  return work;
}
