// Pure helpers: proxy selection, Retry-After, REST body readers, user classification, links,
// failure mapping.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { noProxyMatches, proxyFor } from '../../src/bitbucket/proxy.js';
import {
  DEFAULT_RETRY_AFTER_MS,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  retryDelayMs,
  retryWhen,
} from '../../src/bitbucket/retry.js';
import {
  computeExpiry,
  parseAccessToken,
  parseErrors,
  parsePage,
  parseRepo,
  parseUser,
} from '../../src/bitbucket/model.js';
import { classifyUser } from '../../src/bitbucket/classify.js';
import { projectTokenPageUrl, tokenPageUrl } from '../../src/bitbucket/links.js';
import { redactFailure, redactSecret, toFailure } from '../../src/bitbucket/failure.js';
import { MAX_MESSAGE } from '../../src/bitbucket/server-values.js';

describe('noProxyMatches', () => {
  it.each([
    ['bb.example.com', 'bb.example.com', true],
    ['bb.example.com', 'example.com', true],
    ['bb.example.com', '.example.com', true],
    ['bb.example.com', 'other.com, example.com', true],
    ['bb.example.com', 'other.com example.com', true],
    ['bb.example.com', '*', true],
    ['BB.Example.COM', 'example.com', true],
    ['badexample.com', 'example.com', false],
    ['bb.example.com', 'bb.example.co', false],
    ['127.0.0.1', '', false],
    ['127.0.0.1', 'localhost', false],
    ['127.0.0.1', '127.0.0.1', true],
    ['[::1]', '::1', true],
    ['bb.example.com', 'bb.example.com:8443', false],
    ['127.0.0.1', '.0.0.1', false],
    ['127.0.0.1', '127.0.0.0/8', true],
    ['10.1.2.3', '10.0.0.0/8', true],
    ['11.1.2.3', '10.0.0.0/8', false],
    ['127.0.0.1', '127.0.0.0/0', false],
    ['127.0.0.1', '127.0.0.1/33', false],
    ['[::1]', '::/0', false],
    ['[fd00::5]', 'fd00::/8', true],
    ['[::1]', '127.0.0.0/8', false],
    ['bb.example.com', '*, other', false],
    ['bb.example.com', ' *', false],
    ['bb.example.com', 'example.com.', true],
    ['bb.example.com', '*.example.com', false],
  ])('%s against %j → %s', (host, list, expected) => {
    expect(noProxyMatches(host, list)).toBe(expected);
  });
});

describe('proxyFor', () => {
  const target = new URL('https://bb.example.com/rest');
  it('is direct without a proxy, or when NO_PROXY matches', () => {
    expect(proxyFor(target, { sslVerify: true })).toBeNull();
    expect(proxyFor(target, { sslVerify: true, proxy: 'http://p:3128', noProxy: 'example.com' })).toBeNull();
  });
  it('parses credentials into Proxy-Authorization but keeps them out of the display form', () => {
    const p = proxyFor(target, { sslVerify: true, proxy: 'http://us%40er:p%3Ass@proxy.local:3128' });
    expect(p).toMatchObject({ host: 'proxy.local', port: 3128, display: 'proxy.local:3128' });
    expect(p && 'authorization' in p && p.authorization).toBe('Basic ' + Buffer.from('us@er:p:ss').toString('base64'));
  });
  it('defaults to http:// and port 1080 like curl; refuses other schemes', () => {
    expect(proxyFor(target, { sslVerify: true, proxy: 'proxy.local' })).toMatchObject({
      host: 'proxy.local',
      port: 1080,
    });
    expect(proxyFor(target, { sslVerify: true, proxy: 'socks5://proxy.local:1080' })).toMatchObject({
      error: expect.stringMatching(/socks5/),
    });
  });
});

describe('retryWhen', () => {
  const now = Date.parse('2026-12-07T13:00:30Z');
  it('seconds, then minutes and hours with the UTC time, then the date too; never too early', () => {
    expect(retryWhen(0, now)).toBe('in 0 s');
    expect(retryWhen(1500, now)).toBe('in 2 s');
    expect(retryWhen(3_600_000, now)).toBe('in 60 min (at 14:01 UTC)');
    expect(retryWhen(5 * 3_600_000, now)).toBe('in 5 h (at 18:01 UTC)');
    expect(retryWhen(2 * 86_400_000, now)).toBe('in 48 h (at 2026-12-09 13:01 UTC)');
  });
  it('a wait of a year or more, or not a number, is "more than a year", never a date out of range', () => {
    for (const wait of [MAX_RETRY_AFTER_MS, 1e17, Infinity, Number.NaN])
      expect(retryWhen(wait, now)).toBe('in more than a year');
  });
});

describe('retryAfterMs', () => {
  it('holds a Retry-After of centuries, in seconds or as a date, to MAX_RETRY_AFTER_MS', () => {
    const now = Date.parse('2026-12-07T13:00:30Z');
    expect(retryAfterMs('99999999999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('9'.repeat(400), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs('86400', now)).toBe(86_400_000);
  });
});

describe('retryDelayMs', () => {
  it('reads seconds, HTTP dates, and falls back to 5 s', () => {
    expect(retryDelayMs('7', 0)).toBe(7000);
    expect(retryDelayMs(' 0 ', 0)).toBe(0);
    expect(retryDelayMs(undefined, 0)).toBe(DEFAULT_RETRY_AFTER_MS);
    expect(retryDelayMs('soon', 0)).toBe(5000);
    expect(retryDelayMs('-3', 0)).toBe(5000);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(retryDelayMs('Wed, 21 Oct 2015 07:28:09 GMT', now)).toBe(9000);
    expect(retryDelayMs('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });
  it('property: never negative', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (h, now) => {
        expect(retryDelayMs(h, now)).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});

describe('REST body readers', () => {
  const alice = {
    name: 'alice@example.com',
    emailAddress: 'alice@example.com',
    id: 3,
    displayName: 'Alice',
    active: true,
    slug: 'alice_example.com',
    type: 'NORMAL',
    links: { self: [{ href: 'https://h/users/alice_example.com' }] },
  };
  it('reads users, including service users without email', () => {
    expect(parseUser(alice)).toEqual({
      name: 'alice@example.com',
      slug: 'alice_example.com',
      id: 3,
      displayName: 'Alice',
      email: 'alice@example.com',
      type: 'NORMAL',
      active: true,
      selfUrl: 'https://h/users/alice_example.com',
    });
    const bot = {
      name: 'bitbucket.system-user',
      displayName: 'Bitbucket',
      id: 1,
      slug: 'bitbucket.system-user',
      type: 'SERVICE',
      active: true,
      links: { self: [{ href: 'https://h/bots/bitbucket.system-user' }] },
    };
    expect(parseUser(bot)).toMatchObject({ type: 'SERVICE', selfUrl: 'https://h/bots/bitbucket.system-user' });
    expect(parseUser(bot)?.email).toBeUndefined();
    expect(parseUser({ ...alice, emailAddress: '' })?.email).toBeUndefined();
    expect(parseUser(null)).toBeUndefined();
    expect(parseUser({ slug: 'x' })).toBeUndefined();
  });
  it('reads repositories', () => {
    const repo = {
      slug: 'app',
      id: 7,
      name: 'App',
      project: { key: 'PRJ' },
      public: false,
      links: {
        clone: [
          { href: 'https://h/scm/prj/app.git', name: 'http' },
          { href: 'ssh://git@h:7999/prj/app.git', name: 'ssh' },
        ],
      },
    };
    expect(parseRepo(repo)).toEqual({
      slug: 'app',
      id: 7,
      name: 'App',
      projectKey: 'PRJ',
      public: false,
      cloneUrls: repo.links.clone,
    });
    expect(parseRepo({ slug: 'x' })).toBeUndefined();
  });
  it('reads token entries, computes expiry, drops the raw token', () => {
    const t = parseAccessToken({
      id: '075905477751',
      createdDate: 1_610_525_968_583,
      name: 'ci',
      permissions: ['REPO_ADMIN', 'PROJECT_READ'],
      expiryDays: 90,
      lastAuthenticated: 1_610_600_000_000,
      token: 'SECRET',
    });
    expect(t).toEqual({
      id: '075905477751',
      name: 'ci',
      permissions: ['REPO_ADMIN', 'PROJECT_READ'],
      createdDate: 1_610_525_968_583,
      expiryDays: 90,
      lastAuthenticated: 1_610_600_000_000,
      expiresAt: 1_610_525_968_583 + 90 * 86_400_000,
    });
    expect(JSON.stringify(t)).not.toContain('SECRET');
    expect(parseAccessToken({ id: 42, name: 'x', permissions: [] })?.id).toBe('000000000042');
    expect(parseAccessToken({ name: 'x' })).toBeUndefined();
  });
  it('computeExpiry prefers expiryDate and returns undefined for tokens that never expire', () => {
    expect(computeExpiry({ createdDate: 0, expiryDays: 1, expiryDate: 5 })).toBe(5);
    expect(computeExpiry({ createdDate: 1000, expiryDays: 2 })).toBe(1000 + 2 * 86_400_000);
    expect(computeExpiry({ createdDate: 1000 })).toBeUndefined();
  });
  it('reads pages and error lists', () => {
    expect(parsePage({ size: 1, limit: 25, isLastPage: false, start: 0, values: [1], nextPageStart: 1 })).toEqual({
      values: [1],
      isLastPage: false,
      nextPageStart: 1,
    });
    expect(parsePage({})).toBeUndefined();
    expect(parseErrors({ errors: [{ context: null, message: 'm', exceptionName: 'e.X' }] })).toEqual({
      message: 'm',
      exceptionName: 'e.X',
    });
    expect(parseErrors('nope')).toEqual({});
  });
  it('parseErrors cuts a long message to MAX_MESSAGE characters and an ellipsis, never inside a surrogate pair', () => {
    const huge = `Authentication failed: ${'x'.repeat(200_000)}`;
    const cut = parseErrors({ errors: [{ message: huge }] }).message ?? '';
    expect(cut).toBe(`${huge.slice(0, MAX_MESSAGE)}…`);
    const emoji = parseErrors({ errors: [{ message: `${'a'.repeat(MAX_MESSAGE - 1)}😀😀` }] }).message;
    expect(emoji).toBe(`${'a'.repeat(MAX_MESSAGE - 1)}…`);
  });
  it('a token the cut splits is redacted up to the cut', () => {
    const token = 'BBDC-NTIwMDAwMDAwMDAxOnNlY3JldC1mb3ItdGhlLWN1dA==';
    const cut = parseErrors({ errors: [{ message: `${'y'.repeat(MAX_MESSAGE - 20)}${token} echoed` }] }).message ?? '';
    expect(redactSecret(`${cut} (HTTP 500)`, token)).toBe(`${'y'.repeat(MAX_MESSAGE - 20)}[redacted]… (HTTP 500)`);
  });
});

describe('classifyUser', () => {
  const base = { name: 'x', slug: 'x' };
  it('never looks at the shape of the name', () => {
    expect(classifyUser({ ...base, name: 'bot-proj-123', type: 'NORMAL', email: 'x@e.com' }).kind).toBe('personal');
    expect(classifyUser({ ...base, name: 'alice', type: 'SERVICE' }).kind).toBe('project');
  });
  it('uses type, bots link, email, and a refused lookup', () => {
    expect(classifyUser({ ...base, type: 'NORMAL', email: 'x@e.com', selfUrl: 'https://h/bots/x' }).kind).toBe(
      'project',
    );
    expect(classifyUser({ ...base, type: 'NORMAL' })).toEqual({
      kind: 'unknown',
      evidence: ['user has no email address'],
    });
    expect(classifyUser({ ...base, email: 'x@e.com' }).kind).toBe('unknown');
    expect(classifyUser(undefined)).toEqual({ kind: 'unknown', evidence: ['user lookup refused'] });
  });
});

describe('links', () => {
  it('builds the token pages', () => {
    expect(tokenPageUrl('https://h/bb/', 'alice_example.com')).toBe(
      'https://h/bb/plugins/servlet/access-tokens/users/alice_example.com/manage',
    );
    expect(tokenPageUrl('https://h/bb')).toBe('https://h/bb/plugins/servlet/access-tokens/manage');
    expect(tokenPageUrl('https://h', 'a b')).toBe('https://h/plugins/servlet/access-tokens/users/a%20b/manage');
    expect(projectTokenPageUrl('https://h', 'PRJ')).toBe('https://h/plugins/servlet/access-tokens/projects/PRJ/manage');
    expect(projectTokenPageUrl('https://h', 'PRJ', 'app')).toBe(
      'https://h/plugins/servlet/access-tokens/projects/PRJ/repos/app/manage',
    );
  });
});

describe('toFailure / redactFailure', () => {
  const res = (status: number, json?: unknown, headers: Record<string, string> = {}) => ({
    ok: true as const,
    status,
    headers,
    body: '',
    json,
  });
  it('maps statuses, CAPTCHA and network errors', () => {
    const bad = {
      errors: [
        {
          message: 'Authentication failed.',
          exceptionName: 'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
        },
      ],
    };
    expect(toFailure(res(401, bad))).toMatchObject({
      status: 'unauthorized',
      httpStatus: 401,
      exception: bad.errors[0]!.exceptionName,
    });
    expect(
      toFailure(
        res(401, {
          errors: [
            { message: 'x', exceptionName: 'com.atlassian.bitbucket.auth.CaptchaRequiredAuthenticationException' },
          ],
        }),
      ).status,
    ).toBe('captcha');
    expect(
      toFailure(res(403, undefined, { 'x-authentication-denied-reason': 'CAPTCHA_CHALLENGE; login-url=/login' }))
        .status,
    ).toBe('captcha');
    expect(toFailure(res(403)).status).toBe('forbidden');
    expect(toFailure(res(404)).status).toBe('not-found');
    expect(toFailure(res(429, undefined, { 'retry-after': '3' }))).toMatchObject({
      status: 'rate-limited',
      retryAfterMs: 3000,
      message: 'rate limited by Bitbucket (HTTP 429); it asks to try again in 3 s',
    });
    expect(toFailure(res(429)).message).toBe('rate limited by Bitbucket (HTTP 429)');
    expect(toFailure(res(429, undefined, { 'retry-after': 'soon' })).message).toBe(
      'rate limited by Bitbucket (HTTP 429)',
    );
    expect(toFailure(res(302)).status).toBe('error');
    expect(toFailure(res(302)).message).toBe('unexpected redirect (HTTP 302), possibly to a login page');
    // where it points, without user info, query or fragment; a relative one as its path
    expect(
      toFailure(res(301, undefined, { location: 'https://u:s3cret@bb.new.example:8443/rest/api?token=s3cret#x' }))
        .message,
    ).toBe(
      'unexpected redirect (HTTP 301), possibly to a login page: it points to https://bb.new.example:8443/rest/api',
    );
    expect(toFailure(res(302, undefined, { location: '/login?next=%2Frest' })).message).toBe(
      'unexpected redirect (HTTP 302), possibly to a login page: it points to /login',
    );
    expect(toFailure(res(307, undefined, { location: `https://bb/${'a'.repeat(400)}` })).message).toMatch(/a…$/);
    expect(toFailure(res(503)).status).toBe('error');
    expect(toFailure({ ok: false, error: 'timeout', message: 'slow' })).toEqual({
      status: 'network',
      network: 'timeout',
      message: 'slow',
    });
  });
  it('removes the secret from messages', () => {
    expect(redactFailure({ status: 'error', message: 'echo SECRET and SECRET' }, 'SECRET').message).toBe(
      'echo [redacted] and [redacted]',
    );
  });
});
