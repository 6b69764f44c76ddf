/**
 * Hostile input against the pure halves: the credential wire format (parse/format) and remote
 * URL parsing. Property-based (fast-check), so each property runs over hundreds of inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatCredential,
  MAX_INPUT_BYTES,
  parseCredential,
  UnsafeAttributeError,
  type CredentialRequest,
} from '../../src/credential/protocol.js';
import { parseBitbucketUrl } from '../../src/bitbucket/url.js';
import { ANSWER_LINE } from './util.js';

const SCALARS = [
  'protocol',
  'host',
  'path',
  'username',
  'password',
  'oauthRefreshToken',
  'authtype',
  'credential',
] as const;
const LISTS = ['wwwauth', 'capabilities', 'state'] as const;

/** Every value a parsed request carries. */
function values(r: CredentialRequest): string[] {
  const out: string[] = [];
  for (const k of SCALARS) if (r[k] !== undefined) out.push(r[k]);
  for (const k of LISTS) out.push(...r[k]);
  return out;
}

/** Text made mostly of the pieces an attacker would combine. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.constantFrom('\r', '\n', '\0', '=', '\r\n', '\n\n', '[]', '%0d', '%0a', '%00', '%', '@', ':', '/'),
      fc.constantFrom(
        'protocol',
        'host',
        'path',
        'username',
        'password',
        'url',
        'wwwauth[]',
        'capability[]',
        'authtype',
        'credential',
        'ephemeral',
        'state[]',
        'quit',
      ),
      fc.constantFrom('https', 'victim.example', 'a.example', 'https://', 'host=victim.example', 'password=x'),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('parseCredential: hostile input', () => {
  it('never throws, and never yields a value holding CR, LF or NUL', () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, fc.string({ unit: 'binary', maxLength: 300 })), (input) => {
        const r = parseCredential(input);
        if (!r.ok) {
          expect(r.error).toMatch(/^[^\n\r]+$/);
          return;
        }
        for (const v of values(r.request)) expect(v).not.toMatch(/[\r\n\0]/);
      }),
      { numRuns: 2000 },
    );
  });

  const base =
    'protocol=https\nhost=a.example\nusername=alice\npassword=s3cret\nwwwauth[]=Basic realm="x" host=victim.example\n\n';
  const original = parseCredential(base);
  if (!original.ok) throw new Error('base description must parse');

  it('a NUL anywhere refuses the whole description', () => {
    for (let i = 0; i <= base.length; i++) {
      const r = parseCredential(base.slice(0, i) + '\0' + base.slice(i));
      expect(r.ok, `NUL at ${i}`).toBe(false);
    }
  });

  it('a CR anywhere is refused or changes nothing but dropping a field (no value appears or grows)', () => {
    for (let i = 0; i <= base.length; i++) {
      const r = parseCredential(base.slice(0, i) + '\r' + base.slice(i));
      if (!r.ok) continue;
      for (const k of SCALARS) expect([original.request[k], undefined], `CR at ${i}, ${k}`).toContain(r.request[k]);
      for (const k of LISTS) for (const v of r.request[k]) expect(original.request[k], `CR at ${i}, ${k}`).toContain(v);
    }
  });

  it('an LF anywhere only splits lines: every value is the original or a prefix of it', () => {
    // (no `key=` text inside values here: splitting such a value makes a genuine line, as git would)
    const plain = 'protocol=https\nhost=a.example\nusername=alice\npassword=s3cret\nwwwauth[]=Basic realm x\n\n';
    for (let i = 0; i <= plain.length; i++) {
      const r = parseCredential(plain.slice(0, i) + '\n' + plain.slice(i));
      expect(r.ok, `LF at ${i}`).toBe(true);
      if (!r.ok) continue;
      expect(
        r.request.host === undefined || 'a.example'.startsWith(r.request.host),
        `LF at ${i}: host ${r.request.host}`,
      ).toBe(true);
      for (const k of SCALARS) {
        const v = r.request[k];
        const whole = parseCredential(plain);
        if (v !== undefined) expect(whole.ok && whole.request[k]?.startsWith(v), `LF at ${i}, ${k}=${v}`).toBe(true);
      }
    }
  });

  it('CR, LF or NUL injected into a key or value at every position never produces host=victim', () => {
    const lines = ['protocol=https', 'host=a.example', 'wwwauth[]=Basic realm=x', 'username=alice'];
    for (const [li, line] of lines.entries()) {
      for (let i = 0; i <= line.length; i++) {
        for (const ch of ['\r', '\0', '\r\n', '\rhost=victim.example\r', '\r\nhost=victim.example\r']) {
          const broken = line.slice(0, i) + ch + line.slice(i);
          const input = [...lines.slice(0, li), broken, ...lines.slice(li + 1)].join('\n') + '\n\n';
          const r = parseCredential(input);
          // A *bare* LF before "host=" is a genuine line per git's format; only LF-free injections count.
          if (r.ok && !ch.includes('\n')) expect(r.request.host, JSON.stringify(input)).not.toBe('victim.example');
          if (r.ok && ch.includes('\0')) throw new Error(`NUL accepted: ${JSON.stringify(input)}`);
        }
      }
    }
  });

  it('repeated keys: the last one wins, as in git (lists accumulate, an empty value resets them)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z0-9.:-]{1,12}$/), { minLength: 1, maxLength: 6 }), (hosts) => {
        const r = parseCredential(`protocol=https\n${hosts.map((h) => `host=${h}\n`).join('')}\n`);
        expect(r.ok && r.request.host).toBe(hosts[hosts.length - 1]);
      }),
    );
    const r = parseCredential('wwwauth[]=a\nwwwauth[]=b\nwwwauth[]=\nwwwauth[]=c\n\n');
    expect(r.ok && r.request.wwwauth).toEqual(['c']);
  });

  it('EOF without the blank line parses like the terminated description', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('protocol', 'host', 'username', 'password', 'path'),
            fc.stringMatching(/^[^\r\n\0]{1,20}$/),
          ),
          { maxLength: 6 },
        ),
        (pairs) => {
          const body = pairs.map(([k, v]) => `${k}=${v}\n`).join('');
          expect(parseCredential(body)).toEqual(parseCredential(body + '\n'));
          expect(parseCredential(body.replace(/\n$/, ''))).toEqual(parseCredential(body + '\n'));
        },
      ),
    );
  });

  it('url= with an encoded CR, LF or NUL in any part is refused', () => {
    for (const enc of ['%0d', '%0a', '%00', '%0D%0A', '%0d%0ahost=victim.example']) {
      for (const url of [
        `https://a.example${enc}/`,
        `https://user${enc}@a.example/`,
        `https://user:pw${enc}@a.example/`,
        `https://a.example/path${enc}`,
      ]) {
        const r = parseCredential(`protocol=https\nhost=a.example\nurl=${url}\n\n`);
        expect(r.ok, url).toBe(false);
        if (!r.ok) expect(r.error).not.toContain('victim');
      }
    }
  });

  it("wwwauth[] text like host=victim is just a value (rule 9 of git's helper battery)", () => {
    const long = 'Basic realm="' + 'x'.repeat(60_000) + '" host=victim.example protocol=http';
    const r = parseCredential(
      `protocol=https\nhost=a.example\nwwwauth[]=${long}\nwwwauth[]=Bearer host=victim.example\n\n`,
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.request).toMatchObject({ protocol: 'https', host: 'a.example' });
      expect(r.request.wwwauth).toEqual([long, 'Bearer host=victim.example']);
    }
  });

  it('size limit: exactly 1 MiB is read, one byte more is refused (bytes, not characters)', () => {
    const head = 'protocol=https\nhost=a.example\nwwwauth[]=';
    const tail = '\n\n';
    const fill = MAX_INPUT_BYTES - head.length - tail.length;
    expect(parseCredential(head + 'x'.repeat(fill) + tail).ok).toBe(true);
    expect(parseCredential(head + 'x'.repeat(fill + 1) + tail)).toEqual({
      ok: false,
      error: expect.stringMatching(/larger than 1048576 bytes/),
    });
    // 'é' is two bytes in UTF-8: half as many characters reach the same limit
    expect(parseCredential(head + 'é'.repeat(Math.ceil((fill + 1) / 2)) + tail).ok).toBe(false);
  });
});

describe('formatCredential: nothing unsafe is ever emitted', () => {
  it('either throws UnsafeAttributeError (naming no value) or prints exactly one safe line per attribute', () => {
    const key = fc.oneof(
      fc.constantFrom('username', 'password', 'url', 'password_expiry_utc', 'capability[]', ''),
      fc.string({ unit: 'binary', maxLength: 10 }),
    );
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), hostileText);
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), (attrs) => {
        let out: string;
        try {
          out = formatCredential(attrs);
        } catch (err) {
          expect(err).toBeInstanceOf(UnsafeAttributeError);
          // The message can name a plain key, never echo a value.
          expect((err as Error).message).toMatch(
            /^refusing to emit attribute '([a-z_[\]]{1,40}|an attribute)': it would break the credential stream$/,
          );
          return;
        }
        const lines = out.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(attrs.length);
        for (const [i, line] of lines.entries()) {
          expect(line).not.toMatch(/^url=/);
          expect(line).not.toMatch(/[\r\0]/);
          expect(line.slice(0, line.indexOf('='))).toBe(attrs[i]![0]);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('round-trips every safe answer through the parser', () => {
    const safe = fc.stringMatching(/^[^\r\n\0]{0,40}$/);
    fc.assert(
      fc.property(safe, safe, (username, password) => {
        const text = formatCredential([
          ['username', username],
          ['password', password],
        ]);
        for (const line of text.trimEnd().split('\n')) expect(line).toMatch(ANSWER_LINE);
        const back = parseCredential(text);
        expect(back.ok && [back.request.username, back.request.password]).toEqual([username, password]);
      }),
    );
  });
});

describe('parseBitbucketUrl: hostile remote URLs', () => {
  const seg = fc.oneof(
    fc.constantFrom(
      'scm',
      'projects',
      'repos',
      'users',
      '~alice',
      'PRJ',
      'app.git',
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      '%2f',
      '%5c',
      'a%00b',
      '%0d%0a',
      'rest',
      'bitbucket',
      '',
      '%',
      '%zz',
    ),
    fc.string({ maxLength: 6 }),
  );
  const userinfo = fc.oneof(
    fc.constant(''),
    fc.constantFrom(
      'alice@',
      'alice:s3cr3t@',
      'a%40b@',
      'a%0d@',
      'a%0a%0dx@',
      '%00@',
      ':@',
      '@',
      'x@y@',
      'alice:p%40ss@',
      'evil.example%2f@',
      '%1b[31m@',
    ),
    fc.string({ maxLength: 6 }).map((s) => `${s}@`),
  );
  const host = fc.oneof(
    fc.constantFrom(
      'bb.example.com',
      'BB.Example.COM',
      '[::1]',
      '[fe80::1%25eth0]',
      '[::ffff:127.0.0.1]',
      '[zz::1]',
      '127.0.0.1',
      'xn--bcher-kva.example',
      'a%40b',
      'a%2fb',
      'a b',
      'a%20b',
      '%',
      'host%0a',
      'evil.example%23@good.example',
      '',
    ),
    fc.string({ maxLength: 10 }),
  );
  const port = fc.oneof(
    fc.constant(''),
    fc.constantFrom(':0', ':1', ':443', ':7990', ':65535', ':65536', ':99999', ':-1', ':', ':8o', ':00080'),
  );
  const scheme = fc.constantFrom(
    'https://',
    'http://',
    'HTTPS://',
    'ssh://',
    'git+ssh://',
    'git://',
    'file://',
    'ftp://',
    '',
    '//',
  );
  const url = fc
    .tuple(
      scheme,
      userinfo,
      host,
      port,
      fc.array(seg, { maxLength: 6 }),
      fc.constantFrom('', '?a=b', '#frag', '?x=/../'),
    )
    .map(([s, u, h, p, path, tail]) => `${s}${u}${h}${p}/${path.join('/')}${tail}`);

  it('never throws; any host it returns has no @, slash, backslash, whitespace or control character', () => {
    fc.assert(
      fc.property(fc.oneof(url, fc.string({ unit: 'binary', maxLength: 60 })), (input) => {
        const r = parseBitbucketUrl(input);
        if (r === null) return;
        expect(r.host).not.toMatch(/[@/\\\s\u0000-\u001f\u007f]/);
        expect(r.host).not.toBe('');
        if (r.username !== undefined) expect(r.username).not.toMatch(/[\u0000-\u001f\u007f]/);
        expect(JSON.stringify(r)).not.toContain('s3cr3t');
        expect(JSON.stringify(r)).not.toContain('p@ss');
        if (r.kind === 'http') {
          expect(r.baseUrl).toBe(`${r.protocol}://${r.host}${r.contextPath}`);
          for (const part of r.contextPath.split('/').slice(1)) {
            expect(decodeURIComponent(part)).not.toMatch(/^\.\.?$/);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    [
      'https://alice:s3cr3t@bb.example.com/scm/prj/app.git',
      { host: 'bb.example.com', username: 'alice', projectKey: 'PRJ', repoSlug: 'app' },
    ],
    ['https://[::1]:7990/bitbucket/scm/prj/app.git', { host: '[::1]:7990', contextPath: '/bitbucket' }],
    ['https://bb.example.com:00443/', { host: 'bb.example.com:00443' }],
    ['https://x@y@bb.example.com/', { host: 'bb.example.com', username: 'x@y' }],
  ])('%s', (input, expected) => {
    const r = parseBitbucketUrl(input);
    expect(r).toMatchObject(expected);
    expect(JSON.stringify(r)).not.toContain('s3cr3t');
  });

  it.each([
    'https://bb.example.com/scm/../../etc/passwd',
    'https://bb.example.com/%2e%2e/scm/p/r.git',
    'https://bb.example.com/scm/p/..%2f..',
    'https://a%40b/',
    'https://a%2fb/',
    'https://host:0/',
    'https://host:65536/',
    'https://[zz::1]/',
    'https://a%0d@host/',
    'https://a%0a@host/',
    'https://%1b%5b2J@host/',
    'https://ho st/',
    'https://host\r\n/',
  ])('refuses %j', (input) => {
    expect(parseBitbucketUrl(input)).toBeNull();
  });
});
