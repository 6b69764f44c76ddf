/**
 * Project and repository tokens are stored as a Bearer credential (`authtype=Bearer`): they do not
 * work with a username. git sends a Bearer credential that a helper gives it only from 2.46 on;
 * older git drops it and prompts, so such a token cannot work there (docs/bitbucket-server.md).
 * `login`, `check` and `doctor` say so with the upgrade. An `http.<url>.extraHeader` would work
 * on older git, but only with the token written into a config file (or into a command line,
 * where other users see it), so it is not suggested.
 */
import { gitVersion, type GitRun } from '../../git/repo.js';

/** The installed git's version when it cannot send a Bearer credential from a helper, else undefined. */
export function gitWithoutBearer(run: GitRun): string | undefined {
  const v = gitVersion(run);
  if (!v) return undefined;
  const [major, minor] = v;
  // git 2.46 sends `authtype`/`credential` from helpers
  return major < 2 || (major === 2 && minor < 46) ? v.join('.') : undefined;
}

/** Why a project/repository token cannot work with that git. */
export function bearerReason(version: string): string {
  return `git ${version} cannot use this project/repository token: it is a Bearer credential, and git sends one from a credential helper only from 2.46 on (older git drops it and prompts for a password)`;
}

/** The way out. */
export function bearerFix(baseUrl: string): string {
  return `upgrade git to 2.46 or newer, or log in with a personal token: git credential-bitbucket login ${baseUrl}`;
}

export function bearerAdvice(version: string, baseUrl: string): string {
  return `${bearerReason(version)}; ${bearerFix(baseUrl)}`;
}
