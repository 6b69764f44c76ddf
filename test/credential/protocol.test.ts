import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalHost,
  formatCredential,
  MAX_INPUT_BYTES,
  parseCredential,
  UnsafeAttributeError,
} from '../../src/credential/protocol.js';

function parse(text: string) {
  const r = parseCredential(text);
  if (!r.ok) throw new Error(r.error);
  return r.request;
}

describe('parseCredential', () => {
  it('reads the standard attributes', () => {
    const r = parse('protocol=https\nhost=bb.example.com:8443\npath=scm/p/r.git\nusername=alice\npassword=s=cret\n\n');
    expect(r).toMatchObject({
      protocol: 'https',
      host: 'bb.example.com:8443',
      path: 'scm/p/r.git',
      username: 'alice',
      password: 's=cret',
    });
  });

  it('splits on LF only and strips exactly one trailing CR', () => {
    const r = parse('protocol=https\r\nhost=h\r\nusername=a\r\n\r\nusername=late\n');
    expect(r).toMatchObject({ protocol: 'https', host: 'h', username: 'a' });
    // two CRs: one is stripped, the other stays in the value, which is then refused
    expect(parseCredential('username=a\r\r\n').ok).toBe(false);
  });

  it('refuses a bare CR inside a known value (CVE-2024-52006 class)', () => {
    const r = parseCredential('protocol=https\nhost=evil.example\rhost=victim.example\n');
    expect(r.ok).toBe(false);
  });

  it('ignores unknown attributes, even with odd bytes, and lines without =', () => {
    const r = parse('protocol=https\nfuture_thing=a\rb\nnonsense line\nhost=h\n');
    expect(r).toMatchObject({ protocol: 'https', host: 'h' });
  });

  it('stops at the first blank line', () => {
    const r = parse('protocol=https\nhost=h\n\nusername=late\n');
    expect(r.username).toBeUndefined();
  });

  it('tells an empty username from a missing one', () => {
    expect(parse('protocol=https\nhost=h\nusername=\n').username).toBe('');
    expect(parse('protocol=https\nhost=h\n').username).toBeUndefined();
  });

  it('collects key[] lists in order and resets them on an empty value', () => {
    const r = parse(
      'wwwauth[]=Basic realm="Atlassian Bitbucket"\nwwwauth[]=Bearer host=victim\ncapability[]=authtype\ncapability[]=state\ncapability[]=\ncapability[]=authtype\nstate[]=bitbucket:x\n',
    );
    expect(r.wwwauth).toEqual(['Basic realm="Atlassian Bitbucket"', 'Bearer host=victim']);
    expect(r.capabilities).toEqual(['authtype']);
    expect(r.state).toEqual(['bitbucket:x']);
    expect(r.host).toBeUndefined();
  });

  it('reads newer attributes: expiry, refresh token, authtype, credential, ephemeral, continue', () => {
    const r = parse(
      'password_expiry_utc=1700000000\noauth_refresh_token=rt\nauthtype=Bearer\ncredential=tok\nephemeral=1\ncontinue=true\n',
    );
    expect(r).toMatchObject({
      passwordExpiryUtc: 1700000000,
      oauthRefreshToken: 'rt',
      authtype: 'Bearer',
      credential: 'tok',
      ephemeral: true,
      continue: true,
    });
    expect(parse('password_expiry_utc=soon\n').passwordExpiryUtc).toBeUndefined();
  });

  it('splits url= into its parts', () => {
    const r = parse('url=https://al%40ice:p%3Aw@bb.example.com:7990/bitbucket/scm/p/r.git\n');
    expect(r).toMatchObject({
      protocol: 'https',
      host: 'bb.example.com:7990',
      username: 'al@ice',
      password: 'p:w',
      path: 'bitbucket/scm/p/r.git',
    });
    expect(parseCredential('url=https://h/%0ahost=victim\n').ok).toBe(false);
  });

  it('keeps the host in canonical form: name in lower case, the default port left out', () => {
    expect(parse('protocol=https\nhost=BB.Example.com:443\n').host).toBe('bb.example.com');
    expect(parse('host=BB.Example.com:80\nprotocol=http\n').host).toBe('bb.example.com');
    expect(parse('url=HTTPS://Host:443/scm/p/r.git\n').host).toBe('host');
    expect(canonicalHost('https', 'host:80')).toBe('host:80');
    expect(canonicalHost('http', 'host:8080')).toBe('host:8080');
    expect(canonicalHost('https', '[::1]:443')).toBe('[::1]');
    expect(canonicalHost('https', '[FE80::1%Eth0]')).toBe('[FE80::1%Eth0]');
    expect(canonicalHost('https', ':443')).toBe(':443');
    expect(canonicalHost('ftp', 'Host:21')).toBe('host:21');
  });

  it('url= starts from a clean credential and drops trailing slashes, as git does', () => {
    const r = parse('username=old\npassword=old\npath=old\nurl=https://bb.example.com/scm/p/r.git/\n');
    expect(r).toMatchObject({ protocol: 'https', host: 'bb.example.com', path: 'scm/p/r.git' });
    expect(r.username).toBeUndefined();
    expect(r.password).toBeUndefined();
  });

  it('refuses NUL and oversized input', () => {
    expect(parseCredential('protocol=https\nhost=h\0\n').ok).toBe(false);
    const big = 'x=' + 'a'.repeat(MAX_INPUT_BYTES) + '\n';
    const r = parseCredential(big);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/larger than/);
  });
});

describe('formatCredential', () => {
  it('writes key=value lines', () => {
    expect(
      formatCredential([
        ['username', 'a'],
        ['password', 'b=c'],
      ]),
    ).toBe('username=a\npassword=b=c\n');
  });

  it.each([
    [['url', 'https://x']],
    [['password', 'a\nhost=evil']],
    [['password', 'a\rb']],
    [['password', 'a\0b']],
    [['pass=word', 'x']],
    [['', 'x']],
  ] as Array<[[string, string]]>)('refuses %j without echoing the value', (attr) => {
    let err: unknown;
    try {
      formatCredential([attr]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsafeAttributeError);
    expect((err as Error).message).not.toContain(attr[1]);
  });

  it('property: output is exactly one well-formed line per attribute, or nothing at all', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', '=', '\n', '\r', '\0', 'u', 'r', 'l', ' ', 'é'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(text, text), { maxLength: 6 }), (attrs) => {
        let out: string;
        try {
          out = formatCredential(attrs);
        } catch (e) {
          expect(e).toBeInstanceOf(UnsafeAttributeError);
          return;
        }
        const lines = out.split('\n');
        expect(lines.pop()).toBe('');
        expect(lines).toHaveLength(attrs.length);
        for (const [i, line] of lines.entries()) {
          expect(line).not.toMatch(/[\r\0]/);
          expect(line.startsWith('url=')).toBe(false);
          const [k, v] = attrs[i]!;
          expect(line).toBe(`${k}=${v}`);
          expect(k.includes('=')).toBe(false);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: parse(format(x)) gives x back for every safe attribute set', () => {
    const safe = fc.string({ maxLength: 30 }).filter((s) => !/[\r\n\0]/.test(s));
    fc.assert(
      fc.property(fc.record({ protocol: safe, host: safe, username: safe, password: safe }), (c) => {
        const text = formatCredential(Object.entries(c)) + '\n';
        const r = parseCredential(text);
        expect(r.ok).toBe(true);
        if (r.ok) {
          // an empty protocol/host value is still that value
          expect(r.request.username).toBe(c.username);
          expect(r.request.password).toBe(c.password);
        }
      }),
    );
  });

  it('property: no input to the parser yields a request whose fields contain CR, LF or NUL', () => {
    const bytes = fc.string({
      unit: fc.constantFrom('p', 'h', '=', '\n', '\r', '\0', 'a', 'host', 'password', 'url=https://x/%0a', 'username'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(bytes, (input) => {
        const r = parseCredential(input);
        if (!r.ok) return;
        const q = r.request;
        for (const v of [
          q.protocol,
          q.host,
          q.path,
          q.username,
          q.password,
          q.authtype,
          q.credential,
          q.oauthRefreshToken,
        ]) {
          if (v !== undefined) expect(v).not.toMatch(/[\r\n\0]/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
