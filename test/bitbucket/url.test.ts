import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBitbucketUrl, type BitbucketLocation } from '../../src/bitbucket/url.js';

function http(input: string): BitbucketLocation {
  const r = parseBitbucketUrl(input);
  if (!r || r.kind !== 'http') throw new Error(`expected an http location for ${input}, got ${JSON.stringify(r)}`);
  return r;
}

describe('parseBitbucketUrl: server URLs', () => {
  it.each([
    ['https://bb.example.com', 'https', 'bb.example.com', '', 'https://bb.example.com'],
    ['https://bb.example.com/', 'https', 'bb.example.com', '', 'https://bb.example.com'],
    ['https://host:8443/bitbucket', 'https', 'host:8443', '/bitbucket', 'https://host:8443/bitbucket'],
    ['https://host:8443/bitbucket/', 'https', 'host:8443', '/bitbucket', 'https://host:8443/bitbucket'],
    ['http://host:7990', 'http', 'host:7990', '', 'http://host:7990'],
    [
      'HTTPS://Host.Example.com:443/stash',
      'https',
      'Host.Example.com:443',
      '/stash',
      'https://Host.Example.com:443/stash',
    ],
    ['https://host/a/b/c', 'https', 'host', '/a/b/c', 'https://host/a/b/c'],
    ['https://[::1]:7990/bb', 'https', '[::1]:7990', '/bb', 'https://[::1]:7990/bb'],
    ['https://[2001:db8::7]/', 'https', '[2001:db8::7]', '', 'https://[2001:db8::7]'],
    ['https://host/bitbucket/dashboard', 'https', 'host', '/bitbucket', 'https://host/bitbucket'],
    ['https://host/bitbucket/rest/api/1.0/users', 'https', 'host', '/bitbucket', 'https://host/bitbucket'],
    [
      'https://host/bitbucket/plugins/servlet/access-tokens/manage',
      'https',
      'host',
      '/bitbucket',
      'https://host/bitbucket',
    ],
    ['https://host/bitbucket?x=1#frag', 'https', 'host', '/bitbucket', 'https://host/bitbucket'],
    ['https://host/my%20bb', 'https', 'host', '/my%20bb', 'https://host/my%20bb'],
  ])('%s', (input, protocol, host, contextPath, baseUrl) => {
    const r = http(input);
    expect(r).toMatchObject({ protocol, host, contextPath, baseUrl });
    expect(r.projectKey).toBeUndefined();
    expect(r.repoSlug).toBeUndefined();
  });
});

describe('parseBitbucketUrl: clone and browse URLs', () => {
  it.each([
    ['https://alice@host/bitbucket/scm/proj/repo.git', '/bitbucket', 'PROJ', 'repo', 'alice'],
    ['https://host/scm/proj/repo.git', '', 'PROJ', 'repo', undefined],
    ['https://host/scm/proj/repo', '', 'PROJ', 'repo', undefined],
    ['https://host/scm/proj/repo.git/info/refs?service=git-upload-pack', '', 'PROJ', 'repo', undefined],
    ['https://host/scm/~alice/repo.git', '', '~ALICE', 'repo', undefined],
    ['https://host/bitbucket/projects/PRJ/repos/app/browse', '/bitbucket', 'PRJ', 'app', undefined],
    ['https://host/bitbucket/projects/prj/repos/app/browse/src/x.ts?at=main', '/bitbucket', 'PRJ', 'app', undefined],
    ['https://host/projects/PRJ/repos/app', '', 'PRJ', 'app', undefined],
    ['https://host/bb/users/alice/repos/x', '/bb', '~ALICE', 'x', undefined],
    ['https://host/bb/users/alice/repos/x/browse', '/bb', '~ALICE', 'x', undefined],
    ['https://alice%40example.com@host/scm/p/r.git', '', 'P', 'r', 'alice@example.com'],
    ['https://alice:secret@host/scm/p/r.git', '', 'P', 'r', 'alice'],
    ['https://host/scm/p/my%2Drepo.git', '', 'P', 'my-repo', undefined],
    ['http://[::1]:7990/scm/p/r.git', '', 'P', 'r', undefined],
  ])('%s', (input, contextPath, projectKey, repoSlug, username) => {
    const r = http(input);
    expect(r.contextPath).toBe(contextPath);
    expect(r.projectKey).toBe(projectKey);
    expect(r.repoSlug).toBe(repoSlug);
    expect(r.username).toBe(username);
    expect(r.baseUrl).not.toMatch(/@/);
  });

  it('keeps only the project key for a project page', () => {
    expect(http('https://host/bb/projects/prj')).toMatchObject({ contextPath: '/bb', projectKey: 'PRJ' });
  });

  it('never leaks the password of user info', () => {
    expect(JSON.stringify(parseBitbucketUrl('https://alice:s3cr3t@host/scm/p/r.git'))).not.toContain('s3cr3t');
  });

  it('reports the host exactly as git would (port and case kept)', () => {
    expect(http('https://BB.example.com:443/scm/p/r.git').host).toBe('BB.example.com:443');
    expect(http('https://bb.example.com:8443').host).toBe('bb.example.com:8443');
  });
});

describe('parseBitbucketUrl: SSH remotes', () => {
  it.each([
    ['ssh://git@host:7999/prj/app.git', 'host:7999', 'PRJ', 'app'],
    ['ssh://git@host/~alice/app.git', 'host', '~ALICE', 'app'],
    ['git+ssh://git@host:7999/prj/app.git', 'host:7999', 'PRJ', 'app'],
    ['git@host:prj/app.git', 'host', 'PRJ', 'app'],
    ['host.example.com:prj/app', 'host.example.com', 'PRJ', 'app'],
  ])('%s', (input, host, projectKey, repoSlug) => {
    expect(parseBitbucketUrl(input)).toMatchObject({ kind: 'ssh', host, projectKey, repoSlug });
  });
});

describe('parseBitbucketUrl: rejected input', () => {
  it.each([
    '',
    '   ',
    'ftp://host/scm/p/r.git',
    'file:///srv/repo.git',
    'git://host/p/r.git',
    '/local/path/repo.git',
    './repo',
    'C:\\repos\\x',
    'https://',
    'https:///scm/p/r.git',
    'https://host:0/',
    'https://host:65536/',
    'https://host:abc/',
    'https://host/scm/../../etc/passwd',
    'https://host/bb/../scm/p/r.git',
    'https://host/scm/%2e%2e/r.git',
    'https://host/scm/p/%2E%2E',
    'https://host/a/./b',
    'https://host/scm/p/a%2Fb.git',
    'https://host/scm/p/a%5Cb.git',
    'https://ho st/',
    'https://host/a b',
    'https://host/%0a',
    'https://[zz::1]/',
    'https://host/%E0%A4%A',
    'https://host\n/x',
    'javascript:alert(1)',
    'https://host/scm/pr$j/r.git',
  ])('%j', (input) => {
    expect(parseBitbucketUrl(input)).toBeNull();
  });
});

describe('parseBitbucketUrl: properties', () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
  const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,8}$/);
  const slug = fc
    .stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/)
    .filter((s) => s !== '.' && s !== '..' && !s.endsWith('.git'));
  const ctx = fc.array(
    label.filter(
      (l) =>
        ![
          'scm',
          'projects',
          'users',
          'rest',
          'plugins',
          'dashboard',
          'login',
          'account',
          'admin',
          'profile',
          'bots',
          'mvc',
          'git',
          'status',
        ].includes(l),
    ),
    { maxLength: 2 },
  );
  const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

  it('clone URLs round-trip host, context, key and slug; baseUrl is a prefix of the input', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('http', 'https'),
        label,
        port,
        ctx,
        key,
        slug,
        fc.option(label, { nil: undefined }),
        (scheme, host, p, context, k, s, user) => {
          const hostPort = p === undefined ? host : `${host}:${p}`;
          const contextPath = context.map((c) => '/' + c).join('');
          const input = `${scheme}://${user ? user + '@' : ''}${hostPort}${contextPath}/scm/${k.toLowerCase()}/${s}.git`;
          const r = http(input);
          expect(r).toMatchObject({
            protocol: scheme,
            host: hostPort,
            contextPath,
            projectKey: k.toUpperCase(),
            repoSlug: s,
          });
          expect(r.username).toBe(user);
          expect(r.baseUrl).toBe(`${scheme}://${hostPort}${contextPath}`);
          expect(r.baseUrl.endsWith('/')).toBe(false);
        },
      ),
    );
  });

  it('never throws, and every location has a well-formed baseUrl and no traversal', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        for (const input of [s, `https://${s}`, `https://host/${s}`, `https://host/scm/${s}`]) {
          const r = parseBitbucketUrl(input);
          if (r?.kind === 'http') {
            expect(r.baseUrl).toBe(`${r.protocol}://${r.host}${r.contextPath}`);
            expect(r.baseUrl.endsWith('/')).toBe(false);
            expect(r.contextPath.split('/')).not.toContain('..');
            expect(r.repoSlug ?? '').not.toMatch(/[/\\]/);
            expect(r.projectKey ?? '').not.toMatch(/[/\\]/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('browse and clone URLs of the same repository agree', () => {
    fc.assert(
      fc.property(label, ctx, key, slug, (host, context, k, s) => {
        const base = `https://${host}${context.map((c) => '/' + c).join('')}`;
        const clone = http(`${base}/scm/${k.toLowerCase()}/${s}.git`);
        const browse = http(`${base}/projects/${k}/repos/${s}/browse`);
        expect(browse).toEqual(clone);
      }),
    );
  });
});
