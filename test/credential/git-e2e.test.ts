/**
 * End to end through the real git binary: `git credential fill|approve|reject` with this
 * helper, mirroring git's own helper battery (t/lib-credential.sh), plus the newer protocol
 * features fed to the helper directly (git 2.39 does not send them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  parsePairs,
  runBin,
  runGit,
  type Sandbox,
} from '../helpers/sandbox.js';

let sb: Sandbox;
const outputs: string[] = [];
const SECRETS = ['store-pass', 'pass1', 'pass2', 'tok-e2e-authtype'];

beforeAll(() => {
  sb = makeSandbox();
  // git's askpass double: says what it was asked on stderr, answers "askpass-<what>"
  const askpass = path.join(sb.dir, 'askpass');
  fs.writeFileSync(
    askpass,
    '#!/bin/sh\necho >&2 askpass: $*\nwhat=$(echo $1 | cut -d" " -f1 | tr A-Z a-z | tr -cd a-z)\necho "askpass-$what"\n',
    { mode: 0o755 },
  );
  // `git credential-bitbucket` must resolve through PATH
  const binDir = path.join(sb.dir, 'bin');
  fs.mkdirSync(binDir);
  fs.symlinkSync(BIN, path.join(binDir, 'git-credential-bitbucket'));
  sb.env.GIT_ASKPASS = askpass;
  // git's battery uses plain http:// to made-up hosts (path.tld); cleartext.test.ts covers the refusal
  sb.env.GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP = '1';
  sb.env.PATH = `${binDir}${path.delimiter}${sb.env.PATH}`;
  delete sb.env.GIT_TERMINAL_PROMPT;
});

afterAll(() => {
  expectNoSecrets(
    outputs.filter((o) => !o.startsWith('FILL:')),
    SECRETS,
  );
  sb.cleanup();
});

/** `git -c credential.helper=bitbucket credential <cmd>` with the given description. */
async function git(cmd: 'fill' | 'approve' | 'reject', input: string, extra: string[] = []) {
  const r = await runGit(sb, ['-c', 'credential.helper=bitbucket', ...extra, 'credential', cmd], input);
  outputs.push(r.stderr, cmd === 'fill' ? `FILL:${r.stdout}` : r.stdout);
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

const askpassFor = (url: string, user?: string) =>
  (user ? '' : `askpass: Username for '${url}':\n`) +
  `askpass: Password for '${url.replace('://', `://${user ?? 'askpass-username'}@`)}':`;

describe('git credential with the bitbucket helper (git t/lib-credential.sh battery)', () => {
  it('has no existing data: git falls through to askpass', async () => {
    const r = await git('fill', desc({ protocol: 'https', host: 'example.com' }));
    expect(parsePairs(r.stdout)).toEqual([
      ['protocol', 'https'],
      ['host', 'example.com'],
      ['username', 'askpass-username'],
      ['password', 'askpass-password'],
    ]);
    expect(r.stderr).toBe(askpassFor('https://example.com'));
  });

  it('stores a password and retrieves it', async () => {
    await git(
      'approve',
      desc({ protocol: 'https', host: 'example.com', username: 'store-user', password: 'store-pass' }),
    );
    const r = await git('fill', desc({ protocol: 'https', host: 'example.com' }));
    expect(parsePairs(r.stdout)).toEqual([
      ['protocol', 'https'],
      ['host', 'example.com'],
      ['username', 'store-user'],
      ['password', 'store-pass'],
    ]);
    expect(r.stderr).toBe('');
  });

  it("the host's case and the scheme's default port written out name the same host, as in git's URL matching", async () => {
    for (const host of ['EXAMPLE.com', 'example.com:443', 'Example.COM:443']) {
      const r = await git('fill', desc({ protocol: 'https', host }));
      expect(
        parsePairs(r.stdout).find(([k]) => k === 'password'),
        host,
      ).toEqual(['password', 'store-pass']);
    }
    // git's store of such a spelling is the same entry, not a second one
    await git(
      'approve',
      desc({ protocol: 'https', host: 'Example.COM:443', username: 'store-user', password: 'store-pass' }),
    );
    const list = await runBin(sb, ['list', '--json']);
    const hosts = (JSON.parse(list.stdout) as { accounts: Array<{ host: string }> }).accounts.map((e) => e.host);
    expect(hosts.filter((h) => h.toLowerCase().startsWith('example.com'))).toEqual(['example.com']);
  });

  it.each([
    ['protocol', { protocol: 'http', host: 'example.com' }, 'http://example.com'],
    ['host', { protocol: 'https', host: 'other.tld' }, 'https://other.tld'],
    ['port', { protocol: 'https', host: 'example.com:8443' }, 'https://example.com:8443'],
  ])('requires a matching %s', async (_what, req, url) => {
    const r = await git('fill', desc(req));
    expect(r.stdout).toContain('password=askpass-password');
    expect(r.stderr).toContain(`Username for '${url}'`);
  });

  it('requires a matching username', async () => {
    const r = await git('fill', desc({ protocol: 'https', host: 'example.com', username: 'other' }));
    expect(parsePairs(r.stdout)).toContainEqual(['password', 'askpass-password']);
    expect(r.stderr).toContain("Password for 'https://other@example.com'");
  });

  it('requires a matching path with credential.useHttpPath', async () => {
    const opts = ['-c', 'credential.useHttpPath=true'];
    await git(
      'approve',
      desc({ protocol: 'http', host: 'path.tld', path: 'foo.git', username: 'user', password: 'pass' }),
      opts,
    );
    const other = await git('fill', desc({ protocol: 'http', host: 'path.tld', path: 'bar.git' }), opts);
    expect(other.stdout).toContain('password=askpass-password');
    const same = await git('fill', desc({ protocol: 'http', host: 'path.tld', path: 'foo.git' }), opts);
    expect(parsePairs(same.stdout)).toContainEqual(['password', 'pass']);
  });

  it('forgets a host', async () => {
    await git('reject', desc({ protocol: 'https', host: 'example.com' }));
    const r = await git('fill', desc({ protocol: 'https', host: 'example.com' }));
    expect(r.stdout).toContain('password=askpass-password');
  });

  it('stores multiple users and tells them apart', async () => {
    await git('approve', desc({ protocol: 'https', host: 'example.com', username: 'user1', password: 'pass1' }));
    await git('approve', desc({ protocol: 'https', host: 'example.com', username: 'user2', password: 'pass2' }));
    expect(
      parsePairs((await git('fill', desc({ protocol: 'https', host: 'example.com', username: 'user1' }))).stdout),
    ).toContainEqual(['password', 'pass1']);
    expect(
      parsePairs((await git('fill', desc({ protocol: 'https', host: 'example.com', username: 'user2' }))).stdout),
    ).toContainEqual(['password', 'pass2']);
  });

  it('forgets one user and remembers the other', async () => {
    await git('reject', desc({ protocol: 'https', host: 'example.com', username: 'user1' }));
    const gone = await git('fill', desc({ protocol: 'https', host: 'example.com', username: 'user1' }));
    expect(gone.stdout).toContain('password=askpass-password');
    expect(gone.stderr).toContain("Password for 'https://user1@example.com'");
    expect(
      parsePairs((await git('fill', desc({ protocol: 'https', host: 'example.com', username: 'user2' }))).stdout),
    ).toContainEqual(['password', 'pass2']);
  });

  it('overwrites a password on a new store', async () => {
    await git('approve', desc({ protocol: 'https', host: 'over.tld', username: 'u', password: 'first' }));
    await git('approve', desc({ protocol: 'https', host: 'over.tld', username: 'u', password: 'second' }));
    expect(parsePairs((await git('fill', desc({ protocol: 'https', host: 'over.tld' }))).stdout)).toContainEqual([
      'password',
      'second',
    ]);
  });

  it('keeps an entry when erase names a different password (git 2.42 semantics)', async () => {
    await git('approve', desc({ protocol: 'https', host: 'keep.tld', username: 'u', password: 'right' }));
    await git('reject', desc({ protocol: 'https', host: 'keep.tld', username: 'u', password: 'wrong' }));
    expect(parsePairs((await git('fill', desc({ protocol: 'https', host: 'keep.tld' }))).stdout)).toContainEqual([
      'password',
      'right',
    ]);
    await git('reject', desc({ protocol: 'https', host: 'keep.tld', username: 'u', password: 'right' }));
    expect((await git('fill', desc({ protocol: 'https', host: 'keep.tld' }))).stdout).toContain('askpass-password');
  });

  it('stores and returns an empty username', async () => {
    await git('approve', desc({ protocol: 'https', host: 'sso.tld', username: '', password: '' }));
    const r = await git('fill', desc({ protocol: 'https', host: 'sso.tld' }));
    expect(parsePairs(r.stdout)).toEqual([
      ['protocol', 'https'],
      ['host', 'sso.tld'],
      ['username', ''],
      ['password', ''],
    ]);
  });

  it('treats a long wwwauth[] value containing host=victim as just a value', async () => {
    await git('approve', desc({ protocol: 'https', host: 'victim.tld', username: 'v', password: 'victim-pass' }));
    const r = await runBin(
      sb,
      ['get'],
      desc([
        ['protocol', 'https'],
        ['host', 'attacker.tld'],
        ['wwwauth[]', `Basic realm="${'x'.repeat(5000)}\\nhost=victim.tld"`],
      ]),
    );
    expect(r.stdout).toBe('');
    expect(r.exitCode).toBe(0);
  });

  it('works when git finds the helper as `git credential-bitbucket` on PATH', async () => {
    const r = await runGit(
      sb,
      ['credential-bitbucket', 'get'],
      desc({ protocol: 'https', host: 'example.com', username: 'user2' }),
    );
    expect(parsePairs(r.stdout)).toContainEqual(['password', 'pass2']);
  });
});

describe('newer protocol features, fed to the helper directly', () => {
  const now = Math.floor(Date.now() / 1000);

  it('round-trips password_expiry_utc and oauth_refresh_token, overwritten by a new store', async () => {
    await runBin(
      sb,
      ['store'],
      desc({
        protocol: 'https',
        host: 'exp.tld',
        username: 'u',
        password: 'p1',
        password_expiry_utc: now + 3600,
        oauth_refresh_token: 'rt1',
      }),
    );
    let r = await runBin(sb, ['get'], desc({ protocol: 'https', host: 'exp.tld' }));
    expect(parsePairs(r.stdout)).toEqual([
      ['username', 'u'],
      ['password', 'p1'],
      ['password_expiry_utc', String(now + 3600)],
      ['oauth_refresh_token', 'rt1'],
    ]);
    await runBin(sb, ['store'], desc({ protocol: 'https', host: 'exp.tld', username: 'u', password: 'p2' }));
    r = await runBin(sb, ['get'], desc({ protocol: 'https', host: 'exp.tld' }));
    expect(parsePairs(r.stdout)).toEqual([
      ['username', 'u'],
      ['password', 'p2'],
    ]);
  });

  it('never returns an expired password and never stores one', async () => {
    // Valid for a short while, then expired. On a loaded machine two Node starts can outlast the
    // window: then the window doubles and the round is run again, until the answer came in time.
    let window = 4;
    for (;;) {
      const expiry = Math.floor(Date.now() / 1000) + window;
      const host = `old-${window}.tld`;
      await runBin(
        sb,
        ['store'],
        desc({ protocol: 'https', host, username: 'u', password: 'p', password_expiry_utc: expiry }),
      );
      const before = await runBin(sb, ['get'], desc({ protocol: 'https', host }));
      if (Date.now() < expiry * 1000 - 500) {
        expect(before.stdout).toContain('password=p');
        await new Promise((r) => setTimeout(r, Math.max(0, expiry * 1000 - Date.now()) + 200));
        const after = await runBin(sb, ['get'], desc({ protocol: 'https', host }));
        expect(after.stdout).toBe('');
        break;
      }
      expect(window, 'the store and the get did not fit in two minutes').toBeLessThan(128);
      window *= 2;
    }
    const now = Math.floor(Date.now() / 1000);
    await runBin(
      sb,
      ['store'],
      desc({ protocol: 'https', host: 'past.tld', username: 'u', password: 'p', password_expiry_utc: now - 10 }),
    );
    expect((await runBin(sb, ['get'], desc({ protocol: 'https', host: 'past.tld' }))).stdout).toBe('');
  }, 300_000);

  it('round-trips authtype+credential only for requests with capability[]=authtype', async () => {
    const store = desc([
      ['capability[]', 'authtype'],
      ['protocol', 'https'],
      ['host', 'auth.tld'],
      ['authtype', 'Bearer'],
      ['credential', 'tok-e2e-authtype'],
    ]);
    expect((await runBin(sb, ['store'], store)).exitCode).toBe(0);
    const withCap = await runBin(
      sb,
      ['get'],
      desc([
        ['capability[]', 'authtype'],
        ['protocol', 'https'],
        ['host', 'auth.tld'],
      ]),
    );
    expect(parsePairs(withCap.stdout)).toEqual([
      ['capability[]', 'authtype'],
      ['authtype', 'Bearer'],
      ['credential', 'tok-e2e-authtype'],
    ]);
    const without = await runBin(sb, ['get'], desc({ protocol: 'https', host: 'auth.tld' }));
    expect(without.stdout).toBe('');
    // erase with the credential named removes it
    await runBin(
      sb,
      ['erase'],
      desc([
        ['capability[]', 'authtype'],
        ['protocol', 'https'],
        ['host', 'auth.tld'],
        ['authtype', 'Bearer'],
        ['credential', 'tok-e2e-authtype'],
      ]),
    );
    expect(
      (
        await runBin(
          sb,
          ['get'],
          desc([
            ['capability[]', 'authtype'],
            ['protocol', 'https'],
            ['host', 'auth.tld'],
          ]),
        )
      ).stdout,
    ).toBe('');
  });

  it('never stores an ephemeral credential', async () => {
    await runBin(
      sb,
      ['store'],
      desc([
        ['capability[]', 'authtype'],
        ['protocol', 'https'],
        ['host', 'eph.tld'],
        ['authtype', 'Bearer'],
        ['credential', 'c'],
        ['ephemeral', '1'],
      ]),
    );
    expect(
      (
        await runBin(
          sb,
          ['get'],
          desc([
            ['capability[]', 'authtype'],
            ['protocol', 'https'],
            ['host', 'eph.tld'],
          ]),
        )
      ).stdout,
    ).toBe('');
  });

  it('accepts state[] and wwwauth[] and ignores unknown attributes and operations', async () => {
    const r = await runBin(
      sb,
      ['get'],
      desc([
        ['capability[]', 'state'],
        ['state[]', 'other:x'],
        ['protocol', 'https'],
        ['host', 'example.com'],
        ['username', 'user2'],
        ['future', 'x'],
      ]),
    );
    expect(parsePairs(r.stdout)).toContainEqual(['password', 'pass2']);
    const unknown = await runBin(sb, ['frobnicate'], desc({ protocol: 'https', host: 'example.com' }));
    expect(unknown).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
  });
});

describe('bad input', () => {
  it('ignores a line without = and still answers', async () => {
    const r = await runBin(
      sb,
      ['get'],
      'protocol=https\nthis line has no equals sign\nhost=example.com\nusername=user2\n\n',
    );
    expect(parsePairs(r.stdout)).toContainEqual(['password', 'pass2']);
  });

  it.each([
    ['NUL', 'protocol=https\nhost=nul.tld\nusername=u\npassword=a\0b\n\n'],
    ['over 1 MiB', `protocol=https\nhost=big.tld\nusername=u\npassword=${'x'.repeat(1024 * 1024 + 10)}\n\n`],
    ['CR inside a value', 'protocol=https\nhost=cr.tld\rhost=victim\nusername=u\npassword=p\n\n'],
  ])('refuses %s with a one-line error, a non-zero exit and nothing stored', async (_what, input) => {
    const before = fs.existsSync(path.join(sb.dataDir, 'credentials.json'))
      ? fs.readFileSync(path.join(sb.dataDir, 'credentials.json'), 'utf8')
      : '';
    const r = await runBin(sb, ['store'], input);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^git-credential-bitbucket: store: .*nothing was stored/);
    expect(r.stderr).not.toMatch(/\bat .*\.(c?js|ts):\d+/);
    const after = fs.existsSync(path.join(sb.dataDir, 'credentials.json'))
      ? fs.readFileSync(path.join(sb.dataDir, 'credentials.json'), 'utf8')
      : '';
    expect(after).toBe(before);
  });

  it('with a corrupt store file: names the file, prints nothing on get, never overwrites it', async () => {
    const other = makeSandbox();
    try {
      fs.mkdirSync(other.dataDir, { recursive: true, mode: 0o700 });
      const file = path.join(other.dataDir, 'credentials.json');
      fs.writeFileSync(file, '{"version":1,"entries":[{"protocol":"https","host":"h"', { mode: 0o600 });
      const get = await runBin(other, ['get'], desc({ protocol: 'https', host: 'h' }));
      expect(get.stdout).toBe('');
      expect(get.exitCode).not.toBe(0);
      expect(get.stderr).toContain(file);
      expect(get.stderr.trim().split('\n')).toHaveLength(1);
      const store = await runBin(
        other,
        ['store'],
        desc({ protocol: 'https', host: 'h', username: 'u', password: 'p' }),
      );
      expect(store.exitCode).not.toBe(0);
      expect(store.stderr).toContain(file);
      expect(fs.readFileSync(file, 'utf8')).toBe('{"version":1,"entries":[{"protocol":"https","host":"h"');
    } finally {
      other.cleanup();
    }
  });
});

describe('concurrency', () => {
  it('50 parallel store processes for different users and hosts: all 50 present after', async () => {
    const other = makeSandbox();
    try {
      const runs = Array.from({ length: 50 }, (_, i) =>
        runBin(
          other,
          ['store'],
          desc({ protocol: 'https', host: `host${i % 7}.tld`, username: `user${i}`, password: `pw-${i}` }),
        ),
      );
      const results = await Promise.all(runs);
      for (const r of results) expect(r.exitCode, r.stderr).toBe(0);
      const data = JSON.parse(fs.readFileSync(path.join(other.dataDir, 'credentials.json'), 'utf8')) as {
        entries: unknown[];
      };
      expect(data.entries).toHaveLength(50);
      for (let i = 0; i < 50; i++) {
        const r = await runBin(
          other,
          ['get'],
          desc({ protocol: 'https', host: `host${i % 7}.tld`, username: `user${i}` }),
        );
        expect(parsePairs(r.stdout)).toContainEqual(['password', `pw-${i}`]);
      }
      expect(fs.readdirSync(other.dataDir).filter((f) => f.includes('lock'))).toEqual([]);
    } finally {
      other.cleanup();
    }
  }, 120_000);
});
