/**
 * `doctor`: whether the data directory (tokens or the keyring's index, settings) can be made and
 * written, before a `login` finds out. Nothing is created. A directory that breaks the private
 * rule (src/private-dir.ts) is left to the store finding, which names it.
 */
import fs from 'node:fs';
import { creationProblem } from '../private-dir.js';
import { dataDir } from '../settings.js';
import type { Finding } from './doctor-findings.js';

export function dataDirFindings(env: NodeJS.ProcessEnv): Finding[] {
  const dir = dataDir(env);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch {
    st = undefined;
  }
  if (st === undefined) {
    const problem = creationProblem(dir, 'data directory');
    return problem
      ? [{ id: 'data-dir', level: 'error', title: `${problem.why}: no token can be stored`, fix: problem.way }]
      : [];
  }
  if (!st.isDirectory()) return []; // the store finding names it
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return [];
  } catch {
    return [
      {
        id: 'data-dir',
        level: 'error',
        title: `the data directory ${dir} is not writable (mode ${(st.mode & 0o777).toString(8)}): no token can be stored`,
        fix: `chmod 700 '${dir}'`,
      },
    ];
  }
}
