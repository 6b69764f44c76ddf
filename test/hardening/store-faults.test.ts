/**
 * Faults of the file store, through the real binary: corrupt, truncated, unreadable and
 * unwritable files and directories, crashed writers' locks, many writers at once. Each fault
 * gives one clear line, a bounded time, and leaves the store file byte-identical.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { describe as desc, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import {
  bounded,
  bytesOf,
  credentialsFile,
  expectOneLineFailure,
  expectWellBehaved,
  filesUnder,
  isRoot,
  timed,
} from './util.js';
import { NO_WAIT_MS } from '../helpers/bounds.js';

const TOKEN = 'BBDC-storefaultTOKEN0123456789abcdefghijklmnopqrstu';
const req = (host: string, username = 'alice', password = TOKEN) =>
  desc({ protocol: 'https', host, username, password });
const ask = (host: string) => desc({ protocol: 'https', host });

const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) {
    if (chattrWorks)
      for (const f of [sb.dataDir, credentialsFile(sb)]) spawnSync('chattr', ['-i', f], { stdio: 'ignore' });
    sb.cleanup();
  }
});

/** A sandbox with one stored entry (removed, and made mutable again, after the file). */
async function seeded(): Promise<Sandbox> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const r = await runBin(sb, ['store'], req('bb.example.com'));
  expect(r.exitCode, r.stderr).toBe(0);
  return sb;
}

/** chattr +i denies writes even to root; only on filesystems and containers that allow it. */
const chattrWorks = (() => {
  const probe = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'gcb-chattr-'));
  try {
    if (spawnSync('chattr', ['+i', probe], { stdio: 'ignore' }).status !== 0) return false;
    let denied = false;
    try {
      fs.writeFileSync(path.join(probe, 'x'), '');
    } catch {
      denied = true;
    }
    spawnSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return denied;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
})();

/** get, store (a new host) and erase all fail with one line naming `file`, and change no byte. */
async function expectRefusedIntact(
  sb: Sandbox,
  pattern: RegExp,
  ops: Array<'get' | 'store' | 'erase'> = ['get', 'store', 'erase'],
  read: () => Buffer | null = () => bytesOf(credentialsFile(sb)),
): Promise<void> {
  const before = read();
  const inputs = { get: ask('bb.example.com'), store: req('new.example.com', 'bob'), erase: ask('bb.example.com') };
  for (const op of ops) {
    const { ms, value: r } = await timed(() => runBin(sb, [op], inputs[op]));
    expectOneLineFailure(r, pattern, op);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain(TOKEN);
    expect(ms, op).toBeLessThan(NO_WAIT_MS);
    expect(read(), `${op} changed the store`).toEqual(before);
  }
  expect(
    filesUnder(sb.dataDir).filter((f) => /tmp|stale/.test(path.basename(f))),
    'temp files left behind',
  ).toEqual([]);
}

describe.concurrent('a damaged store file is reported, never rewritten', () => {
  it.each([
    ['garbage', '\u0000\u00ff not json at all'],
    ['empty', ''],
    ['a JSON list', '[]'],
    ['an unknown version', '{"version":2,"entries":[]}'],
    ['entries not a list', '{"version":1,"entries":{}}'],
  ])('%s', async (_name, content) => {
    const sb = await seeded();
    fs.writeFileSync(credentialsFile(sb), content, { mode: 0o600 });
    await expectRefusedIntact(sb, /credential store .*credentials\.json is corrupt .*left unchanged/);
  });

  it('truncated at random offsets: refused, byte-identical, and the secret never printed', async () => {
    const sb = await seeded();
    const second = await runBin(sb, ['store'], req('other.example.com', 'carol', 'BBDC-secondTOKENxyz'));
    expect(second.exitCode).toBe(0);
    const full = fs.readFileSync(credentialsFile(sb));
    const offsets = [
      0,
      1,
      full.length - 1,
      ...fc.sample(fc.integer({ min: 2, max: full.length - 2 }), { numRuns: 7, seed: 7 }),
    ];
    await bounded(
      5,
      offsets.map((at) => async () => {
        const own = makeSandbox();
        try {
          fs.mkdirSync(own.dataDir, { mode: 0o700 });
          fs.writeFileSync(credentialsFile(own), full.subarray(0, at), { mode: 0o600 });
          const before = bytesOf(credentialsFile(own));
          for (const [op, input] of [
            ['store', req('new.example.com', 'bob')],
            ['get', ask('bb.example.com')],
          ] as const) {
            const r = await runBin(own, [op], input);
            expectOneLineFailure(r, /is corrupt/, `${op}, cut at ${at}`);
            expect(r.stderr).not.toContain('BBDC-');
          }
          expect(bytesOf(credentialsFile(own))).toEqual(before);
        } finally {
          own.cleanup();
        }
      }),
    );
  });
});

describe.concurrent('a store that cannot be read or written', () => {
  it.skipIf(isRoot())(
    'unreadable file (chmod 000): one line, nothing changed [skipped as root: root reads mode-000 files]',
    async () => {
      const sb = await seeded();
      const file = credentialsFile(sb);
      fs.chmodSync(file, 0o000);
      // the test reads it back through a moment of 0600 (it is not root either)
      const read = () => {
        fs.chmodSync(file, 0o600);
        try {
          return bytesOf(file);
        } finally {
          fs.chmodSync(file, 0o000);
        }
      };
      await expectRefusedIntact(sb, /cannot read credential store .*credentials\.json: EACCES/, undefined, read);
    },
  );

  it('data directory below a regular file (fails as root too): one line naming the path', async () => {
    const sb = await seeded();
    const blocker = path.join(sb.dir, 'not-a-dir');
    fs.writeFileSync(blocker, 'x');
    sb.env.GIT_CREDENTIAL_BITBUCKET_DIR = path.join(blocker, 'store');
    for (const [op, input] of [
      ['get', ask('bb.example.com')],
      ['store', req('new.example.com')],
      ['erase', ask('bb.example.com')],
    ] as const) {
      const r = await runBin(sb, [op], input);
      expectOneLineFailure(r, /not-a-dir\/store\/\S+\.json.*ENOTDIR/, op);
    }
    expect(fs.readFileSync(blocker, 'utf8')).toBe('x');
  });

  it.runIf(chattrWorks)(
    'read-only (immutable) data directory: get still answers; store/erase refused in one line, intact',
    async () => {
      const sb = await seeded();
      spawnSync('chattr', ['+i', sb.dataDir]);
      const get = await runBin(sb, ['get'], ask('bb.example.com'));
      expect(get.stdout).toContain(`password=${TOKEN}`);
      // store takes the retired record's lock first (it checks and writes under it), erase the store's
      await expectRefusedIntact(sb, /cannot create lock file .*(credentials\.json|retired)\.lock: EPERM/, [
        'store',
        'erase',
      ]);
    },
  );

  it.runIf(chattrWorks)(
    'read-only (immutable) store file: store/erase refused in one line, no temp file left with the secrets',
    async () => {
      const sb = await seeded();
      spawnSync('chattr', ['+i', credentialsFile(sb)]);
      await expectRefusedIntact(
        sb,
        /cannot write credential store .*credentials\.json \(EPERM\); it was left unchanged/,
        ['store', 'erase'],
      );
      expect(fs.existsSync(`${credentialsFile(sb)}.lock`)).toBe(false);
    },
  );

  it.skipIf(isRoot())(
    'read-only data directory (chmod 500): store refused, intact [skipped as root; covered by chattr above]',
    async () => {
      const sb = await seeded();
      fs.chmodSync(sb.dataDir, 0o500);
      try {
        await expectRefusedIntact(sb, /cannot create lock file/, ['store', 'erase']);
      } finally {
        fs.chmodSync(sb.dataDir, 0o700);
      }
    },
  );
});

describe.concurrent('locks left by crashed writers', () => {
  const lockFile = (sb: Sandbox) => `${credentialsFile(sb)}.lock`;
  const deadPid = () =>
    Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );

  it('a lock whose process is gone is taken over at once', async () => {
    const sb = await seeded();
    fs.writeFileSync(lockFile(sb), `${deadPid()} ${Date.now()}\n`);
    const { ms, value: r } = await timed(() => runBin(sb, ['store'], req('new.example.com', 'bob')));
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(ms).toBeLessThan(NO_WAIT_MS);
    expect(fs.existsSync(lockFile(sb))).toBe(false);
    expect((await runBin(sb, ['get'], ask('new.example.com'))).stdout).toContain(`password=${TOKEN}`);
    expect((await runBin(sb, ['get'], ask('bb.example.com'))).stdout).toContain(`password=${TOKEN}`);
  });

  it.each([
    ['empty', ''],
    ['half-written', '12'],
    ['garbage', 'not a lock'],
  ])('an %s lock file older than a few seconds is taken over', async (_n, content) => {
    const sb = await seeded();
    fs.writeFileSync(lockFile(sb), content);
    const old = new Date(Date.now() - 10_000);
    fs.utimesSync(lockFile(sb), old, old);
    const { ms, value: r } = await timed(() => runBin(sb, ['erase'], ask('bb.example.com')));
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(ms).toBeLessThan(NO_WAIT_MS);
    expect((await runBin(sb, ['get'], ask('bb.example.com'))).stdout).toBe('');
  });
});

describe('many writers at once', () => {
  it('12 parallel stores and 4 parallel erases: every entry kept or removed exactly as asked', async () => {
    const sb = await seeded();
    const users = Array.from({ length: 12 }, (_, i) => `user${i}`);
    const stores = await Promise.all(users.map((u) => runBin(sb, ['store'], req('multi.example.com', u, `tok-${u}`))));
    for (const r of stores) expectWellBehaved(r);
    expect(stores.every((r) => r.exitCode === 0)).toBe(true);
    const erased = users.slice(0, 4);
    await Promise.all(
      erased.map((u) => runBin(sb, ['erase'], desc({ protocol: 'https', host: 'multi.example.com', username: u }))),
    );
    const data = JSON.parse(fs.readFileSync(credentialsFile(sb), 'utf8')) as {
      entries: Array<{ host: string; username: string; secrets: { password: string } }>;
    };
    const left = data.entries
      .filter((e) => e.host === 'multi.example.com')
      .map((e) => `${e.username}:${e.secrets.password}`)
      .sort();
    expect(left).toEqual(
      users
        .slice(4)
        .map((u) => `${u}:tok-${u}`)
        .sort(),
    );
    expect(data.entries.some((e) => e.host === 'bb.example.com')).toBe(true);
    expect(filesUnder(sb.dataDir).map((f) => path.basename(f))).toEqual(['credentials.json']);
  });
});
