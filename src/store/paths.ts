/** Where the project keeps its files. Everything can be moved with one environment variable. */
import os from 'node:os';
import path from 'node:path';

export const DIR_ENV = 'GIT_CREDENTIAL_BITBUCKET_DIR';

/**
 * The data directory: `$GIT_CREDENTIAL_BITBUCKET_DIR`, else the platform's per-user data
 * directory (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application Support`
 * on macOS, `%APPDATA%` on Windows) plus `git-credential-bitbucket`.
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env[DIR_ENV]) return path.resolve(env[DIR_ENV]);
  const home = env.HOME || os.homedir();
  if (process.platform === 'darwin')
    return path.join(home, 'Library', 'Application Support', 'git-credential-bitbucket');
  if (process.platform === 'win32')
    return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), 'git-credential-bitbucket');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'git-credential-bitbucket');
}

/** The files inside the data directory. */
export function storePaths(dir: string) {
  return {
    /** The file backend: entries with their secrets. */
    credentials: path.join(dir, 'credentials.json'),
    /** The keyring backend's index: entries without secrets. */
    keyringIndex: path.join(dir, 'keyring-index.json'),
    /** Settings and notices (e.g. why the file backend is in use). */
    settings: path.join(dir, 'settings.json'),
  };
}
