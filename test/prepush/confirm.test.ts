/**
 * Commits the guard cannot place, confirmed with the server (src/prepush/confirm.ts), end to end:
 * real pushes by real git through the installed hook to the emulator, whose commits endpoint
 * answers from the repository git pushes to. A first push into an empty repository is new
 * throughout and blocks at `block`; commits the repository pushed to has already are never
 * flagged; a server that cannot answer leaves the "could not tell" warning; a long history costs a
 * bounded number of requests, sent together. (Without answers: new-to-remote.test.ts.)
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecrets, runGit, type Sandbox } from '../helpers/sandbox.js';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { pushFixture } from '../helpers/fixture.js';
import { MAX_PROBES } from '../../src/prepush/confirm.js';
import { as, commitAs, pushSandbox, type PushSandbox } from './helpers.js';

const TOKEN = makeToken('310000000003');
let emu: Emulator;
/** Several real pushes each, two Node starts per push: generous on a loaded machine. */
const SLOW = 180_000;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];
const MAL = as('Mal', 'mal@evil.com');
const url = (slug: string) => `${emu.baseUrl}/scm/prj/${slug}.git`;

beforeAll(async () => {
  const tokens = [{ owner: { user: 'alice' }, name: 'write', token: TOKEN, permissions: ['REPO_WRITE' as const] }];
  const more = ['empty', 'mirror', 'down', 'long'].map((slug) => ({ project: 'PRJ', slug }));
  emu = await startEmulator({ data: pushFixture(tokens, { repos: [...pushFixture([]).repos!, ...more] }) });
});
afterEach(() => emu.setFaults([]));
afterAll(async () => {
  expectNoSecrets(outputs, [TOKEN]);
  await emu?.stop();
  for (const sb of sandboxes) sb.cleanup();
});

/** A new repository of alice's with the hook, outside her clone. */
async function freshRepo(s: PushSandbox, name: string): Promise<string> {
  const dir = path.join(s.sb.dir, name);
  expect((await s.git(['init', '-q', '-b', 'main', dir], s.sb.dir)).exitCode).toBe(0);
  await s.install(dir);
  return dir;
}

/** The emulator's log of commit look-ups. */
const lookups = () => emu.log().filter((e) => e.path.includes('/commits/'));

describe('commits the guard cannot place, confirmed with the server', () => {
  it(
    'a first push of a history into an empty repository: new throughout, so a foreign author blocks at block',
    async () => {
      const s = await pushSandbox(emu, TOKEN, outputs, sandboxes);
      const dir = await freshRepo(s, 'fresh');
      await commitAs(s.git, dir, [], 'mine');
      const patch = await commitAs(s.git, dir, ['-c', 'author.name=Mal', '-c', 'author.email=mal@evil.com'], 'patch');
      await commitAs(s.git, dir, [], 'mine again');
      await s.git(['config', 'bitbucket.author', 'block'], dir);
      await s.git(['remote', 'add', 'bb', url('empty')], dir); // never fetched: nothing placed
      const r = await s.git(['push', 'bb', 'main'], dir);
      expect(r.exitCode, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('blocked: 1 commit to push is committed by you but authored by another e-mail');
      expect(r.stderr).toContain(`${patch}  mal@evil.com  patch`);
      expect(r.stderr).not.toContain('could not tell');
      expect(s.traced('asked the server')).toBe('asked the server about 3 of 3 unplaced commit(s): 0 there; 3 new');
    },
    SLOW,
  );

  it(
    'a push URL to another repository that holds the commits: nothing flagged; a new foreign commit on top alone blocks',
    async () => {
      const s = await pushSandbox(emu, TOKEN, outputs, sandboxes);
      await s.git(['config', 'bitbucket.identity', 'off']);
      const evil = await commitAs(s.git, s.work, MAL, 'evil');
      expect((await s.git(['push', 'origin', 'main'])).exitCode).toBe(0);
      expect((await s.git(['push', '--no-verify', url('mirror'), 'main'])).exitCode).toBe(0);
      await s.git(['config', 'bitbucket.identity', 'block']);
      await s.git(['config', 'remote.origin.pushurl', url('mirror')]);
      s.traced('asked the server');

      const r = await s.git(['push', 'origin', 'main:refs/heads/copy']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('git-credential-bitbucket');
      expect(s.traced('asked the server')).toBe(
        'asked the server about 2 of 2 unplaced commit(s): 2 there; none is new',
      );

      const evil2 = await commitAs(s.git, s.work, MAL, 'evil 2');
      const blocked = await s.git(['push', 'origin', 'main:refs/heads/copy2']);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
      expect(blocked.stderr).toContain(`${evil2}  mal@evil.com  evil 2`);
      expect(blocked.stderr).not.toContain(evil);
      expect(s.traced('asked the server')).toBe('asked the server about 3 of 3 unplaced commit(s): 2 there; 1 new');
    },
    SLOW,
  );

  it(
    'the server cannot be asked (connection reset, no answer in time): the warning stays, never a block',
    async () => {
      const s = await pushSandbox(emu, TOKEN, outputs, sandboxes);
      await s.git(['config', 'bitbucket.identity', 'off']);
      // the token's facts for PRJ/down, cached by a push that asks nothing about commits
      expect((await s.git(['push', url('down'), 'main'])).exitCode).toBe(0);
      await s.git(['config', 'bitbucket.identity', 'block']);
      const evil = await commitAs(s.git, s.work, MAL, 'evil');
      const count = (await s.git(['rev-list', '--count', 'main'])).stdout.trim();
      s.traced('asked the server');
      for (const fault of ['reset', 'hang'] as const) {
        emu.clearLog();
        emu.setFaults([{ kind: fault, path: '^/rest/' }]);
        if (fault === 'hang') await s.git(['config', 'bitbucket.timeout', '1500']);
        const r = await s.git(['push', url('down'), `main:refs/heads/${fault}`]);
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stderr).toContain('warning: could not tell which commits are new to http://127.0.0.1:');
        expect(r.stderr).toContain(`${evil}  mal@evil.com  evil`);
        expect(lookups().length).toBeGreaterThan(0);
        expect(s.traced('asked the server')).toMatch(
          new RegExp(
            `^asked the server about ${count} of ${count} unplaced commit\\(s\\): 0 there; no answer for ${count} \\(.+\\); ${count} still unplaced$`,
          ),
        );
      }
    },
    SLOW,
  );

  it(
    'a long history: a bounded number of look-ups, all sent before the first is answered',
    async () => {
      const s = await pushSandbox(emu, TOKEN, outputs, sandboxes);
      const dir = await freshRepo(s, 'long');
      const n = 3000;
      const stream = Array.from({ length: n }, (_, i) =>
        [
          'commit refs/heads/main',
          `mark :${i + 1}`,
          `committer Mal <mal@evil.com> ${1_700_000_000 + i} +0000`,
          `data ${`c${i}`.length}`,
          `c${i}`,
          ...(i > 0 ? [`from :${i}`] : []),
          '',
        ].join('\n'),
      ).join('');
      const imported = await runGit(s.sb, ['fast-import', '--quiet'], stream, { cwd: dir });
      expect(imported.exitCode, imported.stderr).toBe(0);
      await s.git(['config', 'bitbucket.identity', 'block'], dir);
      const latency = 3000;
      emu.clearLog();
      emu.setFaults([{ kind: 'latency', ms: latency, path: '/commits/' }]);
      const r = await s.git(['push', url('long'), 'main'], dir);
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toContain(`blocked: ${n} commits to push are not committed as alice@example.com`);
      const asked = lookups();
      expect(asked.length).toBeGreaterThan(1);
      expect(asked.length).toBeLessThanOrEqual(MAX_PROBES);
      // each answer waits `latency`: one after another, they would arrive that far apart at least
      const times = asked.map((e) => e.time);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(latency);
      expect(s.traced('asked the server')).toBe(
        `asked the server about ${asked.length} of ${n} unplaced commit(s): 0 there; ${n} new`,
      );
    },
    SLOW,
  );
});
