import { describe, expect, it } from 'vitest';
import type { CheckFacts, ServerFacts } from '../../src/prepush/facts.js';
import { DEFAULT_POLICY, type Policy } from '../../src/prepush/policy.js';
import { CHECKS, type CheckName, type Level } from '../../src/settings.js';
import { renderVerdict } from '../../src/prepush/render.js';
import { COMMIT_LIST_CAP, decide } from '../../src/prepush/verdict.js';

const NOW = Date.UTC(2025, 0, 15);
const DAY = 86_400_000;
const personal: ServerFacts = {
  kind: 'personal',
  user: { name: 'alice', slug: 'alice', email: 'Alice@Example.com' },
  writable: true,
  permissions: ['REPO_WRITE'],
  fetchedAt: NOW,
};
const commit = (n: number, email: string, committer = email) => ({
  sha: `${n}`.padStart(40, 'a'),
  author: email,
  committer,
  subject: `change ${n}`,
});

function facts(
  server: Partial<ServerFacts> | CheckFacts['server'] | null,
  extra: Partial<CheckFacts> = {},
): CheckFacts {
  const s =
    server === null
      ? undefined
      : server && 'status' in server
        ? server
        : { status: 'ok' as const, fromCache: false, facts: { ...personal, ...server } };
  return {
    remote: {
      name: 'origin',
      url: 'https://bb/scm/prj/app.git',
      baseUrl: 'https://bb',
      projectKey: 'PRJ',
      repoSlug: 'app',
    },
    credential: { found: true, source: 'credential store', scheme: 'basic', username: 'alice' },
    ...(s ? { server: s } : {}),
    now: NOW,
    ...extra,
  };
}
const policy = (check?: CheckName, level?: Level, more: Partial<Policy> = {}): Policy => ({
  ...DEFAULT_POLICY,
  ...more,
  levels: { ...DEFAULT_POLICY.levels, ...(check && level ? { [check]: level } : {}) },
});
const mismatch = {
  total: 3,
  groups: [
    {
      author: 'alice@example.com',
      committer: 'alice@example.com',
      count: 1,
      samples: [commit(1, 'alice@example.com')],
    },
    {
      author: 'bob@example.com',
      committer: 'bob@example.com',
      count: 2,
      samples: [commit(2, 'bob@example.com'), commit(3, 'bob@example.com')],
    },
  ],
};

/** For each check, facts that trigger it. */
const TRIGGERS: Record<CheckName, CheckFacts> = {
  projectToken: facts({ kind: 'project', user: { name: 'bot-1', slug: 'bot-1' } }),
  identity: facts({}, { identity: mismatch }),
  writePermission: facts({ writable: false, permissions: ['REPO_READ'] }),
  expiry: facts({ expiresAt: NOW - DAY }),
  unreachable: facts({ status: 'unreachable', message: 'timeout' }),
};

describe('decide: every policy level for every finding', () => {
  it('is silent when all is well', () => {
    expect(decide(facts({}, { identity: { total: 1, groups: [mismatch.groups[0]!] } }), DEFAULT_POLICY)).toEqual({
      findings: [],
      exitCode: 0,
    });
  });

  for (const check of CHECKS) {
    it.each(['off', 'warn', 'block'] as Level[])(`${check} at %s`, (level) => {
      const v = decide(TRIGGERS[check], policy(check, level));
      const mine = v.findings.filter((f) => f.check === check);
      if (level === 'off') expect(mine).toEqual([]);
      else expect(mine.map((f) => f.severity)).toEqual([level]);
      expect(v.exitCode).toBe(v.findings.some((f) => f.severity === 'block') ? 1 : 0);
      expect(v.exitCode).toBe(level === 'block' ? 1 : 0);
    });
  }

  it('write permission: also refused when the token permissions lack any write level', () => {
    const v = decide(facts({ writable: undefined, permissions: ['PROJECT_READ', 'REPO_READ'] }), DEFAULT_POLICY);
    expect(v.findings[0]).toMatchObject({
      check: 'writePermission',
      severity: 'block',
      title: 'alice cannot push to PRJ/app: REPO_WRITE is needed',
    });
    expect(v.findings[0]!.details.join('\n')).toContain('https://bb/plugins/servlet/access-tokens/users/alice/manage');
    expect(decide(facts({ writable: undefined, permissions: undefined }), DEFAULT_POLICY).findings).toEqual([]);
  });

  it('project token: explains the bot identity and skips the identity check', () => {
    const v = decide({ ...TRIGGERS.projectToken, identity: mismatch }, DEFAULT_POLICY);
    expect(v.findings.map((f) => f.check)).toEqual(['projectToken']);
    expect(v.findings[0]!.details[0]).toContain('generated bot identity "bot-1"');
  });

  it('identity: lists commits compactly, capped, compares case-insensitively', () => {
    const many = {
      total: 9,
      groups: [
        {
          author: 'bob@x',
          committer: 'carol@x',
          count: 8,
          samples: [1, 2, 3, 4, 5].map((n) => commit(n, 'bob@x', 'carol@x')),
        },
        { author: 'alice@example.com', committer: 'alice@example.com', count: 1, samples: [] },
      ],
    };
    const f = decide(facts({}, { identity: many }), DEFAULT_POLICY).findings[0]!;
    expect(f.title).toBe('8 commits to push are not authored and committed as Alice@Example.com (alice)');
    expect(f.details.slice(0, COMMIT_LIST_CAP)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `${`${n}`.padStart(40, 'a').slice(0, 10)}  bob@x, committer carol@x  change ${n}`),
    );
    expect(f.details[COMMIT_LIST_CAP]).toBe('… and 3 more');
    expect(f.details.at(-1)).toContain('--reset-author');
    expect(f.details.at(-1)).toContain('.mailmap');
    expect(f.details.join('\n')).not.toMatch(/Bitbucket account/);
  });

  it('identity: a note when the email is unknown', () => {
    expect(
      decide(facts({ user: { name: 'alice', slug: 'alice' } }, { identity: mismatch }), DEFAULT_POLICY).findings[0],
    ).toMatchObject({ severity: 'note' });
  });

  it('identity: when the commits cannot be listed, the level decides (block blocks, with the reason in one line)', () => {
    const failed = facts({}, { identity: { error: 'git rev-list failed: spawnSync git E2BIG\nmore' } });
    const title = 'could not list the commits to push; identity not checked: git rev-list failed: spawnSync git E2BIG';
    const blocked = decide(failed, policy('identity', 'block'));
    expect(blocked.exitCode).toBe(1);
    expect(blocked.findings).toEqual([{ check: 'identity', severity: 'block', title, details: [] }]);
    expect(decide(failed, policy('identity', 'warn'))).toEqual({
      exitCode: 0,
      findings: [{ check: 'identity', severity: 'warn', title, details: [] }],
    });
    expect(decide(failed, DEFAULT_POLICY).findings[0]!.severity).toBe('warn');
    expect(decide(failed, policy('identity', 'off'))).toEqual({ exitCode: 0, findings: [] });
  });

  it('expiry: warns within N days even at block, blocks once expired, silent beyond N days', () => {
    const at = (ms: number, p = DEFAULT_POLICY) => decide(facts({ expiresAt: NOW + ms }), p).findings;
    expect(at(DAY + 1000)[0]).toMatchObject({ severity: 'warn', title: 'the token expires in 1 day (on 2025-01-16)' });
    expect(at(3600_000)[0]!.title).toContain('within a day');
    expect(at(8 * DAY)).toEqual([]);
    expect(at(8 * DAY, policy(undefined, undefined, { expiryDays: 10 }))[0]!.severity).toBe('warn');
    expect(at(DAY, policy('expiry', 'off'))).toEqual([]);
    expect(at(0)[0]).toMatchObject({ severity: 'block', title: 'the token expired on 2025-01-15' });
  });

  it('a server error or refusal counts as unreachable; no credential is a note', () => {
    expect(decide(facts({ status: 'rejected', message: 'no' }), DEFAULT_POLICY).findings[0]).toMatchObject({
      check: 'unreachable',
      severity: 'warn',
      title: 'could not verify the token; the push was not checked',
    });
    const none = decide(facts(null, { credential: { found: false, reason: 'none' } }), policy('unreachable', 'block'));
    expect(none).toMatchObject({ exitCode: 0, findings: [{ check: 'credential', severity: 'note' }] });
  });

  it('a token of unknown kind is reported at the projectToken level: block still blocks, off is silent', () => {
    const unknown = facts({
      kind: 'unknown',
      user: { name: '', slug: '' },
      unknownBecause: 'Bitbucket names no user for it',
    });
    const warned = decide(unknown, DEFAULT_POLICY);
    expect(warned).toMatchObject({ exitCode: 0, findings: [{ check: 'projectToken', severity: 'warn' }] });
    expect(warned.findings[0]!.details[0]).toBe('Bitbucket names no user for it');
    expect(decide(unknown, policy('projectToken', 'block')).exitCode).toBe(1);
    expect(decide(unknown, policy('projectToken', 'off')).findings).toEqual([]);
  });

  it('orders blocks first and says how to bypass', () => {
    const v = decide(
      facts({ writable: false, kind: 'project', user: { name: 'bot', slug: 'bot' } }),
      policy('projectToken', 'block'),
    );
    expect(v.findings.map((f) => f.check)).toEqual(['writePermission', 'projectToken']);
    const text = renderVerdict(v, TRIGGERS.projectToken);
    expect(text).toContain('git push --no-verify');
    expect(text).toContain('git config bitbucket.writePermission warn / git config bitbucket.projectToken warn');
    expect(renderVerdict(decide(facts({}), DEFAULT_POLICY), TRIGGERS.identity)).toBe('');
  });
});
