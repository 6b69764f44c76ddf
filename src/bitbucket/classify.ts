/**
 * Pure classification of the user a token acts as (docs/bitbucket-server.md section 4): never by the
 * shape of the name, only by type, email, self link, and whether the record could be read.
 */
import type { BitbucketUser } from './model.js';

/** `unknown` means the record is missing or inconclusive: confirm with Basic. */
export interface Classification {
  kind: 'personal' | 'project' | 'unknown';
  evidence: string[];
}

/**
 * - SERVICE type or a `/bots/` self link: project/repository token.
 * - NORMAL with an email address and no `/bots/` link: personal token.
 * - No record (lookup refused), or no email / no type: unknown (project unless Basic works).
 */
export function classifyUser(user: BitbucketUser | undefined): Classification {
  if (!user) return { kind: 'unknown', evidence: ['user lookup refused'] };
  const evidence: string[] = [];
  if (user.type === 'SERVICE') evidence.push('user type SERVICE');
  if (user.selfUrl !== undefined && /\/bots\//.test(user.selfUrl)) evidence.push('self link under /bots/');
  if (evidence.length > 0) return { kind: 'project', evidence };
  if (user.type === 'NORMAL' && user.email)
    return { kind: 'personal', evidence: ['user type NORMAL with an email address'] };
  if (!user.email) evidence.push('user has no email address');
  if (user.type === undefined) evidence.push('user type not reported');
  return { kind: 'unknown', evidence };
}
