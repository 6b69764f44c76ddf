/**
 * The guided path, where a password cannot be used (SSO only, Basic disabled, CAPTCHA or two-step
 * verification): the user does the step in the web UI, on their own token page
 * (docs/bitbucket-server.md section 10), with exactly the settings to choose, and pastes the result.
 */
import { tokenPageUrl } from '../../bitbucket/links.js';
import type { CommandIO } from '../shared/io.js';
import { promptHidden } from '../shared/prompt.js';

const LABELS: Record<string, string> = {
  PROJECT_READ: 'Project read',
  PROJECT_WRITE: 'Project write',
  PROJECT_ADMIN: 'Project admin',
  REPO_READ: 'Repository read',
  REPO_WRITE: 'Repository write',
  REPO_ADMIN: 'Repository admin',
};

export interface GuidedCreate {
  baseUrl: string;
  userSlug?: string;
  /** One line: why the password cannot be used. */
  reason: string;
  name: string;
  permissions: string[];
  expiryDays: number;
  /** The command that stores a token read from stdin, for scripts. */
  scriptHint: string;
}

/** Says why, shows where and what to create, and reads the pasted token from the terminal. */
export async function guidedCreate(g: GuidedCreate, io: CommandIO): Promise<string> {
  const perms = g.permissions.map((p) => `${LABELS[p] ?? p} (${p})`).join(', ');
  io.stderr(`${g.reason}.\n`);
  io.stderr(
    `Create the token in the web UI instead:\n  ${tokenPageUrl(g.baseUrl, g.userSlug)}\n` +
      `  name: ${g.name}\n  permissions: ${perms}\n  expiry: ${g.expiryDays} days\n`,
  );
  return promptHidden(
    io,
    'Paste the new token (input is hidden): ',
    `no terminal to read the token from; create it as above, then run: ${g.scriptHint}`,
  );
}
