/** The files inside the data directory (which directory that is: `dataDir` in src/settings.ts). */
import path from 'node:path';

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
