// Bare repositories on disk, one per fixture repository, with `main` as the initial branch.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Path of a repository relative to the repos dir: `{projectkey lowercased}/{slug}.git`. */
export function bareRepoRelPath(projectKey: string, slug: string): string {
  return `${projectKey.toLowerCase()}/${slug.toLowerCase()}.git`;
}

/** Environment for git child processes: no system or global config, no prompts. */
export function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
  };
}

function git(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args[0] ?? ''} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Creates a bare repository (and, with `seed`, one commit on main); returns its path. */
export async function createBareRepo(
  reposDir: string,
  projectKey: string,
  slug: string,
  seed: boolean,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const dir = join(reposDir, bareRepoRelPath(projectKey, slug));
  await mkdir(dir, { recursive: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main', dir], env);
  if (!seed) return dir;
  // One fast-import process writes the blob, the commit and refs/heads/main.
  const readme = `# ${slug}\n`;
  const message = 'Initial commit\n';
  const who = 'Emulator <emulator@example.com> 1704067200 +0000';
  const stream = [
    'blob',
    'mark :1',
    `data ${Buffer.byteLength(readme)}`,
    readme,
    'commit refs/heads/main',
    'mark :2',
    `author ${who}`,
    `committer ${who}`,
    `data ${Buffer.byteLength(message)}`,
    message,
    'M 100644 :1 README.md',
    '',
    'done',
    '',
  ].join('\n');
  await git(['--git-dir', dir, 'fast-import', '--quiet', '--done'], env, stream);
  return dir;
}

/** Config given to every `git http-backend`: pushes are authorised by the emulator itself. */
export const BACKEND_CONFIG_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'http.receivepack',
  GIT_CONFIG_VALUE_0: 'true',
};
