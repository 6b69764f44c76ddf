// A password typed into a URL argument may hold `/`, `?`, `#`, `@`, `:` or `+` (Bitbucket tokens
// are base64: about half hold a `/`). No command echoes any part of it, whatever it holds.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactUrl, withoutPassword } from '../../src/git/config.js';
import { expectNoSecrets, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const TOKEN = 'BBDC-MTAwMDAwMDAwMDAxOgmV9g4a1pLP7N8T/4IYD1gm8JA6';
const PASSWORDS = [TOKEN, 'Sec+ret/Qx', 'Sec?retQx', 'Sec#retQx', 'Sec@retQx', 'Sec:retQx', 'Se/c@r:e#t?Qx'];
// a closed loopback port: no command that gets as far as the network leaves this machine
const HOST = '127.0.0.1:9';

/** The password and each run of 3 or more characters between its special characters. */
function pieces(secret: string): string[] {
  return [secret, ...secret.split(/[/?#@:+]/).filter((p) => p.length >= 3)];
}

describe('redactUrl and withoutPassword', () => {
  it('hide every part of a password, whatever it holds', () => {
    // Q marks every character of the password and appears nowhere else: a leak of 2 characters shows
    const password = fc
      .array(fc.constantFrom(...'ab/?#@:+%'), { minLength: 1, maxLength: 12 })
      .map((cs) => cs.map((c) => c + 'Q').join(''));
    const rest = fc.array(fc.constantFrom(...'bx/.@:?#'), { maxLength: 10 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(
        fc.constantFrom('https://', 'http://', ''),
        fc.constantFrom('alice', ''),
        password,
        rest,
        (s, u, p, r) => {
          const url = `${s}${u}:${p}@bb.example.com${r}`;
          expect(redactUrl(url)).not.toMatch(/Q/);
          if (s) expect(withoutPassword(url)).not.toMatch(/Q/);
        },
      ),
      { numRuns: 2000 },
    );
  });
  it('keep the user name and the host', () => {
    expect(redactUrl(`https://alice:${TOKEN}@bb.example.com/scm/p/r.git`)).toBe(
      'https://alice:***@bb.example.com/scm/p/r.git',
    );
    expect(redactUrl('alice:p#s@bb.example.com')).toBe('alice:***@bb.example.com');
    expect(redactUrl('https://alice@bb.example.com/scm/p/r.git')).toBe('https://alice@bb.example.com/scm/p/r.git');
    expect(redactUrl('git@bb.example.com:p/r.git')).toBe('git@bb.example.com:p/r.git');
    expect(withoutPassword(`https://alice:${TOKEN}@bb.example.com/scm/p/r.git`)).toBe(
      'https://alice@bb.example.com/scm/p/r.git',
    );
    expect(withoutPassword('https://alice:p@ss@bb.example.com/')).toBe('https://alice@bb.example.com/');
  });
  it('withoutPassword leaves an @ in the path of a URL without a password or port', () => {
    expect(withoutPassword('https://alice@bb/scm/~a@b/r.git')).toBe('https://alice@bb/scm/~a@b/r.git');
    // the password may be `pw@bb/scm/~a`: nothing up to the last @ is kept
    expect(withoutPassword('https://alice:pw@bb/scm/~a@b/r.git')).toBe('https://alice@b/r.git');
  });
});

describe('no command echoes a password from its URL argument', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_TRACE: '1' });
    await runGit(sb, ['init', '-q', '.']);
  });
  afterAll(() => sb.cleanup());

  const commands: string[][] = [
    ['setup'],
    ['unsetup'],
    ['doctor'],
    ['login', '--token-stdin'],
    ['logout'],
    ['status'],
    ['check'],
    ['rotate'],
    ['hook', 'install'],
    ['completion'],
  ];
  const few = ['setup', 'login', 'check', 'status'];
  for (const password of PASSWORDS)
    for (const cmd of password === TOKEN || password.startsWith('Se/')
      ? commands
      : commands.filter(([c]) => few.includes(c!)))
      it(`${cmd.join(' ')} with password ${JSON.stringify(password)}`, { timeout: 60_000 }, async () => {
        const urls = [`https://alice:${password}@${HOST}`, `alice:${password}@${HOST}/scm/p/r.git`];
        for (const url of cmd[0] === 'setup' || cmd[0] === 'check' ? urls : urls.slice(0, 1)) {
          const r = await runBin(sb, [cmd[0]!, url, ...cmd.slice(1)], 'BBDC-NOTTHEONEWEARELOOKINGFOR\n');
          expect(r.stdout + r.stderr, cmd.join(' ')).not.toBe('');
          expectNoSecrets([r.stdout, r.stderr], pieces(password));
        }
      });
});

describe('a password in the proxy URL (http.proxy)', () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_TRACE: '1' });
  });
  afterAll(() => sb.cleanup());

  it.each(PASSWORDS)('doctor, in text and JSON, shows the proxy without %j', async (password) => {
    // a closed loopback port as the proxy: doctor reports it unreachable, naming the proxy it used
    await runGit(sb, ['config', '--global', 'http.proxy', `http://proxyuser:${password}@127.0.0.1:9`]);
    for (const args of [
      ['doctor', `https://${HOST}`],
      ['doctor', `https://${HOST}`, '--json'],
    ]) {
      const r = await runBin(sb, args);
      expect(r.stdout + r.stderr).toContain('proxyuser:***@');
      // pieces of 4 or more: doctor's own words hold 3-letter ones such as "ret" (in "secret")
      expectNoSecrets(
        [r.stdout, r.stderr],
        pieces(password).filter((p) => p.length >= 4),
      );
    }
  });
});
