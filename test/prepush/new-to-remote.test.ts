/**
 * Which pushed commits are new to the repository pushed to (src/prepush/known.ts), end to end:
 * real repositories pushed by real git through the installed hook to the emulator, where the
 * remote-tracking refs of the remote pushed to do not describe that repository (never fetched,
 * a bare clone, a push URL elsewhere, a URL on the command line). Here the server answers no
 * question about commits (a 503 for each, as when it cannot be asked): the guard then never blocks
 * on, nor asks to rewrite, commits it cannot know are new; where another remote fetches from the
 * URL pushed to, its refs tell. What the server's answers settle: confirm.test.ts.
 */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSecrets, type Sandbox } from '../helpers/sandbox.js';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { as, commitAs, pushSandbox } from './helpers.js';

const TOKEN = makeToken('310000000002');
let emu: Emulator;
/** Several real pushes each, two Node starts per push: generous on a loaded machine. */
const SLOW = 180_000;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    data: {
      users: [{ name: 'alice', displayName: 'Alice Example', email: 'alice@example.com', password: 'alice-pw' }],
      projects: [{ key: 'PRJ', name: 'Project' }],
      repos: [
        { project: 'PRJ', slug: 'app', seed: true },
        { project: '~alice', slug: 'scratch' },
      ],
      permissions: [{ user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' }],
      tokens: [{ owner: { user: 'alice' }, name: 'write', token: TOKEN, permissions: ['REPO_WRITE'] }],
    },
  });
});

afterAll(async () => {
  expectNoSecrets(outputs, [TOKEN]);
  await emu?.stop();
  for (const sb of sandboxes) sb.cleanup();
});

/** A sandbox with alice's token and identity, a clone of PRJ/app with the hook (see pushSandbox). */
const setup = () => pushSandbox(emu, TOKEN, outputs, sandboxes);
const commit = commitAs;
const appUrl = () => `${emu.baseUrl}/scm/prj/app.git`;
const scratchUrl = () => `${emu.baseUrl}/scm/~alice/scratch.git`;
const MAL = as('Mal', 'mal@evil.com');

describe('the commits new to the repository pushed to', () => {
  beforeEach(() => emu.setFaults([{ kind: 'status', status: 503, path: '/commits/' }]));
  it(
    'a remote never fetched, with the URL of one that was: that one tells (nothing the server has is flagged; a new foreign commit still blocks)',
    async () => {
      const { git, work, traced } = await setup();
      await git(['config', 'bitbucket.identity', 'block']);
      await git(['checkout', '-q', '-b', 'x']);
      await commit(git, work, [], 'mine');
      // the usual case: the hook script's list, cut at origin's refs, is the one the guard takes
      expect((await git(['push', 'origin', 'HEAD'])).exitCode).toBe(0);
      expect(traced()).toBe('commit list from the hook script: not reached by refs/remotes/origin/*');

      await git(['remote', 'add', 'bb', appUrl()]);
      await commit(git, work, [], 'mine too');
      const r = await git(['push', 'bb', 'HEAD']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('git-credential-bitbucket'); // the server's Initial commit is not new
      expect(traced()).toBe('commit list run here: not reached by refs/remotes/origin/*');

      const evil = await commit(git, work, MAL, 'evil');
      const blocked = await git(['push', 'bb', 'HEAD']);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
      expect(blocked.stderr).toContain(`${evil}  mal@evil.com  evil`);
    },
    SLOW,
  );

  it(
    'a push to a URL: the remote fetching from it tells, whatever user name the URL carries',
    async () => {
      const { git, work } = await setup();
      await git(['checkout', '-q', '-b', 'y']);
      await commit(git, work, [], 'mine');
      const plain = await git(['push', appUrl(), 'HEAD:refs/heads/y']);
      expect(plain.exitCode, plain.stderr).toBe(0);
      expect(plain.stderr).not.toContain('git-credential-bitbucket');
      const evil = await commit(git, work, MAL, 'evil');
      const named = appUrl().replace('://', '://alice@');
      const r = await git(['push', named, 'HEAD:refs/heads/y']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('warning: 1 commit to push is not committed as alice@example.com');
      expect(r.stderr).toContain(`${evil}  mal@evil.com  evil`);
    },
    SLOW,
  );

  it(
    'a bare clone (no remote-tracking refs): never blocks, names the fix; once fetched, a new foreign commit blocks',
    async () => {
      const { sb, git, install, traced } = await setup();
      const bare = path.join(sb.dir, 'bare.git');
      expect((await git(['clone', '-q', '--bare', appUrl(), bare], sb.dir)).exitCode).toBe(0);
      await install(bare);
      await git(['config', 'bitbucket.identity', 'block'], bare);
      const copy = await git(['push', 'origin', 'main:refs/heads/copy'], bare);
      expect(copy.exitCode, copy.stderr).toBe(0);
      expect(copy.stderr).toContain(
        "warning: could not tell which commits are new to origin (no remote-tracking refs: git config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*', then git fetch origin); 1 commit pushed is not committed as alice@example.com (Alice Example)",
      );
      expect(copy.stderr).toContain('emulator@example.com');
      expect(copy.stderr).not.toMatch(/Fix:|rebase|amend/);
      expect(traced()).toMatch(
        /^commit list from the hook script: not reached by the remote oids git gave; which are new is unknown/,
      );

      // a commit of mallory's, new to the server: still only a warning, since nothing tells it is new
      const tree = (await git(['rev-parse', 'main^{tree}'], bare)).stdout.trim();
      const evil = (await git([...MAL, 'commit-tree', tree, '-p', 'main', '-m', 'evil'], bare)).stdout.trim();
      const r = await git(['push', 'origin', `${evil}:refs/heads/evil`], bare);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain('could not tell which commits are new to origin');
      expect(r.stderr).toContain(`${evil.slice(0, 10)}  mal@evil.com  evil`);
      traced();

      // the fix as printed: now the guard knows what the server has
      await git(['config', 'remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'], bare);
      expect((await git(['fetch', '-q', 'origin'], bare)).exitCode).toBe(0);
      const quiet = await git(['push', 'origin', 'main:refs/heads/copy2'], bare);
      expect(quiet.exitCode, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toContain('git-credential-bitbucket');
      expect(traced()).toBe('commit list from the hook script: not reached by refs/remotes/origin/*');
      const again = (await git([...MAL, 'commit-tree', tree, '-p', 'main', '-m', 'evil 2'], bare)).stdout.trim();
      const blocked = await git(['push', 'origin', `${again}:refs/heads/evil2`], bare);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
    },
    SLOW,
  );

  it(
    'a push URL elsewhere: the commits the fetch URL has are not taken as on the push target; a remote fetching from it tells',
    async () => {
      const { git, work } = await setup();
      // mallory's commit lands on PRJ/app (identity off there), and origin's refs have it
      await git(['config', 'bitbucket.identity', 'off']);
      const evil = await commit(git, work, MAL, 'evil');
      expect((await git(['push', 'origin', 'main'])).exitCode).toBe(0);
      await git(['config', 'bitbucket.identity', 'block']);
      await git(['config', 'remote.origin.pushurl', scratchUrl()]);
      const r = await git(['push', 'origin', 'main']);
      // new to ~alice/scratch, but nothing here says what scratch has: a warning, not a block
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        'warning: could not tell which commits are new to origin (origin pushes to another URL than it fetches from; its remote-tracking refs describe the other one); 2 commits pushed are not committed as alice@example.com (Alice Example)',
      );
      expect(r.stderr).toContain(`${evil}  mal@evil.com  evil`);

      // with a remote that fetches from scratch, what is new there is known, and blocks
      await git(['remote', 'add', 'scratch', scratchUrl()]);
      expect((await git(['fetch', '-q', 'scratch'])).exitCode).toBe(0);
      const quiet = await git(['push', 'origin', 'main']);
      expect(quiet.exitCode, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toContain('git-credential-bitbucket');
      const evil2 = await commit(git, work, MAL, 'evil 2');
      const blocked = await git(['push', 'origin', 'main']);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
      expect(blocked.stderr).toContain(`${evil2}  mal@evil.com  evil 2`);
    },
    SLOW,
  );

  it(
    'two push URLs: the one the remote fetches from is checked as usual, the other never blocks',
    async () => {
      const { git, work } = await setup();
      await git(['config', 'bitbucket.identity', 'block']);
      await git(['config', '--add', 'remote.origin.pushurl', appUrl()]);
      await git(['config', '--add', 'remote.origin.pushurl', scratchUrl()]);
      await git(['checkout', '-q', '-b', 'z']);
      await commit(git, work, [], 'mine');
      const r = await git(['push', 'origin', 'z']);
      expect(r.exitCode, r.stderr).toBe(0);
      // PRJ/app: nothing flagged; scratch: the server's Initial commit may be new there, a warning
      expect(r.stderr).not.toContain('not committed as alice@example.com (Alice Example): a commit checker');
      expect(r.stderr).toContain('could not tell which commits are new to origin');
    },
    SLOW,
  );
});

describe('a submodule pushed by its superproject (git push --recurse-submodules)', () => {
  it(
    'a blocked push names the submodule push with --no-verify (git does not pass it on), which works as printed',
    async () => {
      const { sb, git, install } = await setup();
      const superproject = path.join(sb.dir, 'super');
      const sub = path.join(superproject, 'sub');
      expect((await git(['init', '-q', '-b', 'main', superproject], sb.dir)).exitCode).toBe(0);
      // a first commit: git looks for submodule changes in commits with a parent
      await git(['commit', '-q', '--allow-empty', '-m', 'start'], superproject);
      const added = await git(['submodule', 'add', '-q', appUrl(), 'sub'], superproject);
      expect(added.exitCode, added.stderr).toBe(0);
      await install(sub);
      await git(['config', 'bitbucket.identity', 'block'], sub);
      await commit(git, sub, MAL, 'evil');
      await git(['add', 'sub'], superproject);
      await git(['commit', '-q', '-m', 'bump sub'], superproject);
      await git(['init', '-q', '--bare', path.join(sb.dir, 'super.git')], sb.dir);
      await git(['remote', 'add', 'origin', path.join(sb.dir, 'super.git')], superproject);

      const r = await git(['push', '--recurse-submodules=on-demand', 'origin', 'main'], superproject);
      expect(r.exitCode, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
      const hint =
        /To push anyway: (git -C sub push --no-verify origin \S+), then push again \(this is submodule sub, and git push --recurse-submodules does not pass --no-verify on to it\), or lower the check: git -C sub config bitbucket\.identity warn/.exec(
          r.stderr,
        );
      expect(hint, r.stderr).not.toBeNull();
      // --no-verify on the superproject's push does not reach the submodule's hook
      const skipped = await git(
        ['push', '--no-verify', '--recurse-submodules=on-demand', 'origin', 'main'],
        superproject,
      );
      expect(skipped.exitCode).not.toBe(0);

      const pushed = await git(hint![1]!.split(' ').slice(1), superproject);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
      const again = await git(['push', '--recurse-submodules=on-demand', 'origin', 'main'], superproject);
      expect(again.exitCode, again.stderr).toBe(0);
    },
    SLOW,
  );
});
