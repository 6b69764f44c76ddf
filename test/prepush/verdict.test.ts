import { describe, expect, it } from 'vitest';
import type { CheckFacts, ServerFacts } from '../../src/prepush/facts.js';
import { DEFAULT_POLICY, type Policy } from '../../src/prepush/policy.js';
import { CHECKS, type CheckName, type Level } from '../../src/settings.js';
import { renderVerdict } from '../../src/prepush/render.js';
import { bypassHint, COMMIT_LIST_CAP, decide } from '../../src/prepush/verdict.js';
import type { HttpErrorKind } from '../../src/bitbucket/http.js';

const NOW = Date.UTC(2025, 0, 15);
const DAY = 86_400_000;
const personal: ServerFacts = {
  kind: 'personal',
  user: { name: 'alice', slug: 'alice', email: 'Alice@Example.com', displayName: 'Alice Example.' },
  writable: true,
  permissions: ['REPO_WRITE'],
  fetchedAt: NOW,
};
const commit = (n: number, email: string, committer = email, committerName = 'Alice Example') => ({
  sha: `${n}`.padStart(40, 'a'),
  author: email,
  committer,
  committerName,
  subject: `change ${n}`,
});
const group = (author: string, committer: string, count: number, committerName = 'Alice Example') => ({
  author,
  committer,
  committerName,
  count,
  samples: Array.from({ length: Math.min(count, 5) }, (_, i) => commit(i + 1, author, committer, committerName)),
});
const tag = (name: string, email: string, taggerName = 'Alice Example') => ({
  name,
  local: name,
  oid: 'c'.repeat(40),
  tagger: { name: taggerName, email },
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
      committerName: 'Alice Example',
      count: 1,
      samples: [commit(1, 'alice@example.com')],
    },
    {
      author: 'bob@example.com',
      committer: 'bob@example.com',
      committerName: 'Bob',
      count: 2,
      samples: [
        commit(2, 'bob@example.com', 'bob@example.com', 'Bob'),
        commit(3, 'bob@example.com', 'bob@example.com', 'Bob'),
      ],
    },
  ],
  tags: [],
};

/** For each check, facts that trigger it (and only it). */
const TRIGGERS: Record<CheckName, CheckFacts> = {
  projectToken: facts({ kind: 'project', user: { name: 'bot-1', slug: 'bot-1' } }),
  identity: facts({}, { identity: mismatch }),
  tagger: facts({}, { identity: { total: 0, groups: [], tags: [tag('v1', 'bob@example.com')] } }),
  author: facts({}, { identity: { total: 1, groups: [group('bob@example.com', 'alice@example.com', 1)], tags: [] } }),
  writePermission: facts({ writable: false, permissions: ['REPO_READ'] }),
  expiry: facts({ expiresAt: NOW - DAY }),
  unreachable: facts({ status: 'unreachable', network: 'timeout', message: 'timeout' }),
};

describe('decide: every policy level for every finding', () => {
  it('is silent when all is well', () => {
    const fine = { total: 1, groups: [mismatch.groups[0]!], tags: [tag('v1', 'alice@example.com', 'alice example')] };
    expect(decide(facts({}, { identity: fine }), DEFAULT_POLICY)).toEqual({
      findings: [],
      exitCode: 0,
    });
  });

  for (const check of CHECKS) {
    it.each(['off', 'note', 'warn', 'block'] as Level[])(`${check} at %s`, (level) => {
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
      title: 'alice (Alice Example.) cannot push to PRJ/app: REPO_WRITE is needed',
    });
    expect(v.findings[0]!.details.join('\n')).toContain('https://bb/plugins/servlet/access-tokens/users/alice/manage');
    expect(decide(facts({ writable: undefined, permissions: undefined }), DEFAULT_POLICY).findings).toEqual([]);
  });

  it('project token: explains the bot identity and skips the identity check', () => {
    const v = decide({ ...TRIGGERS.projectToken, identity: mismatch }, DEFAULT_POLICY);
    expect(v.findings.map((f) => f.check)).toEqual(['projectToken']);
    expect(v.findings[0]!.details[0]).toContain('generated bot identity "bot-1"');
  });

  it('identity: lists commits compactly, capped, compares e-mails case-insensitively', () => {
    const many = {
      total: 9,
      groups: [group('bob@x', 'carol@x', 8, 'Carol'), group('alice@example.com', 'alice@example.com', 1)],
      tags: [],
    };
    const f = decide(facts({}, { identity: many }), DEFAULT_POLICY).findings[0]!;
    expect(f.title).toBe(
      '8 commits to push are not committed as Alice@Example.com (Alice Example.): a commit checker on the server would reject them',
    );
    expect(f.details.slice(0, COMMIT_LIST_CAP)).toEqual(
      [1, 2, 3, 4, 5].map((n) => `${`${n}`.padStart(40, 'a').slice(0, 10)}  bob@x, committer carol@x  change ${n}`),
    );
    expect(f.details[COMMIT_LIST_CAP]).toBe('… and 3 more');
    expect(f.details.at(-1)).toBe(
      "Fix: git config user.email Alice@Example.com; git config user.name 'Alice Example', then commit them again as yourself (the last one: git commit --amend --no-edit; several: git rebase --exec 'git commit --amend --no-edit' <base>; each keeps its author; add --reset-author to take the authorship too).",
    );
    expect(f.details.join('\n')).not.toMatch(/Bitbucket account/);
  });

  it('identity: the committer name against the display name, as git and the commit checker clean names up', () => {
    const named = (committerName: string) => ({
      total: 1,
      groups: [group('alice@example.com', 'alice@example.com', 1, committerName)],
      tags: [],
    });
    for (const same of ['Alice Example', 'alice example', 'ALICE EXAMPLE', ' Alice Example.. '])
      expect(decide(facts({}, { identity: named(same) }), DEFAULT_POLICY).findings, same).toEqual([]);
    const f = decide(facts({}, { identity: named('Alice') }), DEFAULT_POLICY).findings;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ check: 'identity', severity: 'warn' });
    expect(f[0]!.details[0]).toBe(`${'1'.padStart(40, 'a').slice(0, 10)}  Alice <alice@example.com>  change 1`);
    expect(f[0]!.details.at(-1)).toMatch(/^Fix: git config user\.name 'Alice Example', then commit them again/);
    // no display name known: only the e-mail is compared
    const noDisplay = facts(
      { user: { name: 'alice', slug: 'alice', email: 'alice@example.com' } },
      { identity: named('A') },
    );
    expect(decide(noDisplay, DEFAULT_POLICY).findings).toEqual([]);
  });

  it('author: committed by the user, authored by another e-mail, is a note of its own with the --reset-author fix', () => {
    const scan = {
      total: 3,
      groups: [group('bob@x', 'alice@example.com', 2), group('carol@x', 'carol@x', 1, 'Carol')],
      tags: [],
    };
    const v = decide(facts({}, { identity: scan }), DEFAULT_POLICY);
    expect(v.findings.map((f) => [f.check, f.severity])).toEqual([
      ['identity', 'warn'],
      ['author', 'note'],
    ]);
    const author = v.findings[1]!;
    expect(author.title).toBe('2 commits to push are committed by you but authored by another e-mail');
    expect(author.details.slice(0, 2)).toEqual(
      [1, 2].map((n) => `${`${n}`.padStart(40, 'a').slice(0, 10)}  bob@x  change ${n}`),
    );
    expect(author.details.at(-1)).toContain("git rebase --exec 'git commit --amend --no-edit --reset-author' <base>");
    expect(author.details.at(-1)).toContain('.mailmap');
    expect(v.findings[0]!.title).toMatch(/^1 commit to push is not committed as/);
    expect(decide(facts({}, { identity: scan }), policy('author', 'block')).exitCode).toBe(1);
  });

  it('tagger: annotated tags by someone else, with the command that re-creates them', () => {
    const scan = {
      total: 0,
      groups: [],
      tags: [tag('v1', 'alice@example.com'), tag('v2', 'bob@x', 'Bob'), tag("it's", 'alice@example.com', 'Alice')],
    };
    const f = decide(facts({}, { identity: scan }), DEFAULT_POLICY).findings;
    expect(f.map((x) => [x.check, x.severity])).toEqual([['tagger', 'warn']]);
    expect(f[0]!.title).toBe(
      '2 annotated tags to push are not tagged as Alice@Example.com (Alice Example.): a commit checker on the server would reject them',
    );
    expect(f[0]!.details.slice(0, 2)).toEqual(['v2  tagger bob@x', "it's  tagger Alice <alice@example.com>"]);
    expect(f[0]!.details.at(-1)).toBe(
      "Fix: git config user.email Alice@Example.com; git config user.name 'Alice Example', then re-create each tag as yourself on the same commit (git tag -f -a v2 v2^{}; add -s for a signed tag).",
    );
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
    // the commit list serves the committer, tagger and author checks: the highest of them decides
    const off = { ...DEFAULT_POLICY.levels, identity: 'off', tagger: 'off', author: 'off' } as const;
    expect(decide(failed, { ...DEFAULT_POLICY, levels: off })).toEqual({ exitCode: 0, findings: [] });
    expect(decide(failed, { ...DEFAULT_POLICY, levels: { ...off, author: 'note' } }).findings[0]!.severity).toBe(
      'note',
    );
    expect(decide(failed, { ...DEFAULT_POLICY, levels: { ...off, tagger: 'block' } }).exitCode).toBe(1);
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

  it('expiry: names rotate with the server URL for a token of our store, as status does; else a new token', () => {
    const rotate = 'git credential-bitbucket rotate https://bb';
    const details = (expiresAt: number, more: Partial<ServerFacts> = {}, extra: Partial<CheckFacts> = {}) =>
      decide(facts({ expiresAt, ...more }, extra), DEFAULT_POLICY).findings.find((f) => f.check === 'expiry')!.details;
    expect(details(NOW + DAY)).toEqual([`Renew it before then with: ${rotate} (an expiry date cannot be extended).`]);
    expect(details(NOW - DAY)).toEqual([
      `Bitbucket will refuse it: replace it with: ${rotate} (an expiry date cannot be extended).`,
    ]);
    const inContext = { ...facts(null).remote, baseUrl: 'https://host/bitbucket' };
    expect(details(NOW + DAY, {}, { remote: inContext })[0]).toContain(
      'git credential-bitbucket rotate https://host/bitbucket ',
    );
    // rotate replaces the stored token, and refuses project tokens: not named for those
    const elsewhere: Array<[Partial<ServerFacts>, Partial<CheckFacts>]> = [
      [{}, { credential: { found: true, source: 'remote URL', scheme: 'basic', username: 'alice' } }],
      [{}, { credential: { found: true, source: 'http.extraHeader', scheme: 'bearer' } }],
      [{}, { credential: { found: true, source: 'git credential fill', scheme: 'basic', username: 'alice' } }],
      [{ kind: 'project', user: { name: 'bot-1', slug: 'bot-1' } }, {}],
    ];
    for (const [more, extra] of elsewhere) {
      expect(details(NOW + DAY, more, extra)).toEqual([
        'Create a new token before then; an expiry date cannot be extended.',
      ]);
      expect(details(NOW - DAY, more, extra)[0]).not.toContain('rotate');
    }
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

  it("an unchecked push's title says what failed by the kind the client gave, whatever the message's words", () => {
    const title = (server: CheckFacts['server']) => decide(facts(server), DEFAULT_POLICY).findings[0]!.title;
    // words that once named another kind: the kind given decides
    const message = 'TLS failure with bb: cannot connect to bb (ECONNREFUSED)';
    const worded: Array<[HttpErrorKind, string]> = [
      ['timeout', ' in time'],
      ['tls', ': TLS failed'],
      ['unreachable', ': no connection'],
      ['reset', ': the connection was closed'],
      ['proxy', ': the proxy failed'],
      ['insecure', ''],
      ['too-large', ''],
      ['aborted', ''],
    ];
    for (const [network, why] of worded) {
      const server = { status: 'unreachable' as const, network, message };
      expect(title(server), network).toBe(`could not reach https://bb${why}; the push was not checked`);
      expect(decide(facts(server), DEFAULT_POLICY).findings[0]!.details).toEqual([message]);
    }
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

describe('identity lists', () => {
  it('name every group before a second commit of any: a large group never hides another', () => {
    const scan = {
      total: 33_333,
      groups: [
        group('bob@example.com', 'bob@example.com', 16_667, 'Bob'),
        group('mal@evil.com', 'mal@evil.com', 16_666, 'Mal'),
      ],
      tags: [],
    };
    const [f] = decide(facts({}, { identity: scan }), DEFAULT_POLICY).findings;
    expect(f!.details.slice(0, COMMIT_LIST_CAP).map((l) => l.split('  ')[1])).toEqual([
      'bob@example.com',
      'mal@evil.com',
      'bob@example.com',
      'mal@evil.com',
      'bob@example.com',
    ]);
    expect(f!.details[COMMIT_LIST_CAP]).toBe('… and 33328 more');
    // more groups than lines: the first of each, up to the cap
    const six = { total: 6, groups: [1, 2, 3, 4, 5, 6].map((n) => group(`u${n}@x`, `u${n}@x`, 1, 'U')), tags: [] };
    const [g] = decide(facts({}, { identity: six }), DEFAULT_POLICY).findings;
    expect(g!.details.slice(0, COMMIT_LIST_CAP + 1).map((l) => l.split('  ')[1] ?? l)).toEqual([
      'u1@x',
      'u2@x',
      'u3@x',
      'u4@x',
      'u5@x',
      '… and 1 more',
    ]);
  });

  it('an empty e-mail shows as <>, never as a blank', () => {
    const emptyCommitter = { total: 1, groups: [group('alice@example.com', '', 1, 'no brackets')], tags: [] };
    const [f] = decide(facts({}, { identity: emptyCommitter }), DEFAULT_POLICY).findings;
    expect(f!.details[0]).toBe(`${'1'.padStart(40, 'a').slice(0, 10)}  committer <>  change 1`);
    const emptyBoth = { total: 1, groups: [group('', '', 1, 'x')], tags: [] };
    expect(decide(facts({}, { identity: emptyBoth }), DEFAULT_POLICY).findings[0]!.details[0]).toContain(
      '  <>  change 1',
    );
    const emptyAuthor = { total: 1, groups: [group('', 'alice@example.com', 1)], tags: [] };
    const [a] = decide(facts({}, { identity: emptyAuthor }), DEFAULT_POLICY).findings;
    expect(a).toMatchObject({ check: 'author' });
    expect(a!.details[0]).toBe(`${'1'.padStart(40, 'a').slice(0, 10)}  <>  change 1`);
    const tagless = { total: 0, groups: [], tags: [tag('v1', '', 'Alice Example')] };
    expect(decide(facts({}, { identity: tagless }), DEFAULT_POLICY).findings[0]!.details[0]).toBe('v1  tagger <>');
  });
});

describe('commits that may be on the server already (no remote-tracking refs to tell)', () => {
  const why = 'no remote-tracking refs: run git fetch origin';
  const unsure = { ...mismatch, unsure: why };

  it('never block and never ask to rewrite them; say what to run', () => {
    for (const level of ['note', 'warn', 'block'] as Level[]) {
      const v = decide(facts({}, { identity: unsure }), policy('identity', level));
      expect(v.exitCode).toBe(0);
      expect(v.findings).toHaveLength(1);
      const [f] = v.findings;
      expect(f!.severity).toBe(level === 'block' ? 'warn' : level);
      expect(f!.title).toBe(
        `could not tell which commits are new to origin (${why}); 2 commits pushed are not committed as Alice@Example.com (Alice Example.)`,
      );
      expect(f!.details.join('\n')).not.toMatch(/Fix|rebase|amend/);
      expect(f!.details.at(-1)).toContain('Rewrite nothing for this');
    }
    expect(decide(facts({}, { identity: unsure }), policy('identity', 'off')).findings).toEqual([]);
    const author = { ...TRIGGERS.author.identity!, unsure: why };
    const [a] = decide(facts({}, { identity: author }), policy('author', 'block')).findings;
    expect(a).toMatchObject({ check: 'author', severity: 'warn' });
    expect(a!.title).toBe(
      `could not tell which commits are new to origin (${why}); 1 commit pushed is committed by you but authored by another e-mail`,
    );
    expect(a!.details.join('\n')).not.toMatch(/reset-author/);
  });

  it('the tagger check is not concerned: tags come from the ref list alone', () => {
    const tagged = { total: 0, groups: [], tags: [tag('v1', 'bob@example.com')], unsure: why };
    expect(decide(facts({}, { identity: tagged }), policy('tagger', 'block')).exitCode).toBe(1);
  });
});

describe('the bypass advice', () => {
  const blocked = decide(facts({ writable: false, permissions: ['REPO_READ'] }), DEFAULT_POLICY).findings;

  it('in a repository of its own: git push --no-verify', () => {
    expect(bypassHint(blocked)).toBe(
      'To push anyway: git push --no-verify, or lower the check: git config bitbucket.writePermission warn',
    );
  });

  it('in a submodule: its own push with --no-verify first (git push --recurse-submodules passes none on)', () => {
    const sub = { path: 'libs/my lib', remote: 'origin', refs: ['refs/heads/main', 'HEAD:refs/heads/x'] };
    expect(bypassHint(blocked, sub)).toBe(
      "To push anyway: git -C 'libs/my lib' push --no-verify origin refs/heads/main HEAD:refs/heads/x, then push again " +
        "(this is submodule 'libs/my lib', and git push --recurse-submodules does not pass --no-verify on to it), " +
        "or lower the check: git -C 'libs/my lib' config bitbucket.writePermission warn",
    );
  });
});
