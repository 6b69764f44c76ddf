// Pure parts of the token-lifecycle client: permission rules checked before sending, Bitbucket's
// 400 field errors, and the renewal line.
import { describe, expect, it } from 'vitest';
import { fieldError, permissionProblem } from '../../src/bitbucket/access-tokens.js';
import { renewalLine } from '../../src/credential/renewal.js';
import type { StoredEntry } from '../../src/store/types.js';

describe('permissionProblem', () => {
  it.each([[['PROJECT_READ', 'REPO_WRITE']], [['REPO_WRITE']], [['PROJECT_WRITE']], [['PROJECT_ADMIN', 'REPO_ADMIN']]])(
    'accepts %j',
    (p) => expect(permissionProblem(p)).toBeUndefined(),
  );
  it.each([
    [[], /at least one/],
    [['ADMIN'], /unknown permission ADMIN.*global ADMIN is refused/],
    [['REPO_FLY'], /unknown permission REPO_FLY/],
    [['PROJECT_WRITE', 'REPO_READ'], /REPO_READ is below PROJECT_WRITE/],
    [['REPO_READ', 'REPO_WRITE'], /at most one/],
  ])('refuses %j', (p, why) => expect(permissionProblem(p)).toMatch(why));
});

describe('fieldError', () => {
  const fallback = { status: 'error' as const, message: 'HTTP 400' };
  it('reads the field and the maximum expiry it names', () => {
    const e = fieldError(
      {
        errors: [{ context: 'expiryDays', message: 'Access tokens must expire within 30 days.', exceptionName: null }],
      },
      fallback,
    );
    expect(e).toEqual({
      status: 'field-error',
      context: 'expiryDays',
      message: 'Access tokens must expire within 30 days.',
      maxTokens: false,
      maxExpiryDays: 30,
    });
  });
  it('recognises the maximum number of tokens', () => {
    const e = fieldError(
      { errors: [{ context: null, message: 'The maximum number of access tokens (100) has been reached.' }] },
      fallback,
    );
    expect(e).toMatchObject({ context: null, maxTokens: true });
    expect(e).not.toHaveProperty('maxExpiryDays');
  });
  it('falls back to the failure message for a body of another shape', () => {
    expect(fieldError('nonsense', fallback)).toMatchObject({ context: null, message: 'HTTP 400', maxTokens: false });
  });
});

describe('renewalLine', () => {
  const DAY = 86_400_000;
  const now = Date.UTC(2026, 0, 10, 12);
  const entry: StoredEntry = {
    protocol: 'https',
    host: 'bb.example.com',
    username: 'alice',
    hasPassword: true,
    hasCredential: false,
    storedAt: 0,
    meta: { baseUrl: 'https://bb.example.com/bitbucket' },
  };
  it('says when and how to renew, within the window only', () => {
    expect(renewalLine(entry, now + 3 * DAY + 1000, now, 7)).toBe(
      'git-credential-bitbucket: the token for alice on https://bb.example.com/bitbucket expires on 2026-01-13 (in 3 days); renew it with: git credential-bitbucket rotate https://bb.example.com/bitbucket\n',
    );
    expect(renewalLine(entry, now + 7 * DAY + 1000, now, 7)).toBeUndefined();
    expect(renewalLine(entry, now + 3 * DAY, now, 0)).toBeUndefined();
    expect(renewalLine(entry, now + 1000, now, 7)).toContain('(today)');
    expect(renewalLine(entry, now - DAY, now, 7)).toContain('expired on 2026-01-09');
  });
});
