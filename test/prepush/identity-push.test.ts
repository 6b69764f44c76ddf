/**
 * The identity checks as a commit checker on the server enforces them (docs/bitbucket-server.md
 * section 13), end to end: real repositories whose commits and tags have another committer,
 * author or tagger, pushed by real git through the installed hook to the emulator; then the fix
 * commands the guard prints, run as printed, make the findings go away.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, expectNoSecrets, makeSandbox, runGit, type Sandbox } from '../helpers/sandbox.js';
import { makeToken, type Emulator } from '../emulator/index.js';
import { hookInstallRun } from '../../src/commands/hook.js';
import { cloneAsAlice, recordingIO, startAliceEmulator } from './helpers.js';

const TOKEN = makeToken('310000000001');
let emu: Emulator;
/** Several real pushes each, two Node starts per push: generous on a loaded machine. */
const SLOW = 120_000;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  emu = await startAliceEmulator(TOKEN);
});

afterAll(async () => {
  expectNoSecrets(outputs, [TOKEN]);
  await emu?.stop();
  for (const sb of sandboxes) sb.cleanup();
});

/** A clone of PRJ/app with our helper, alice's token and the hook; git's identity is alice's, name as Bitbucket has it. */
async function setup(): Promise<{ git: (args: string[]) => ReturnType<typeof runGit>; work: string }> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const git = async (args: string[], cwd = sb.dir) => {
    const r = await runGit(sb, args, '', { cwd });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const work = await cloneAsAlice(sb, emu, TOKEN);
  const io = recordingIO(sb.env);
  expect(await hookInstallRun({ program: { node: process.execPath, bin: BIN }, cwd: work }, io)).toBe(0);
  outputs.push(...io.err);
  let n = 0;
  return {
    work,
    git: async (args: string[]) => {
      if (args.includes('commit')) fs.appendFileSync(path.join(work, 'f.txt'), `${n++}\n`);
      if (args.includes('commit')) await git(['add', 'f.txt'], work);
      return git(args, work);
    },
  };
}

const as = (name: string, email: string) => ['-c', `user.name=${name}`, '-c', `user.email=${email}`];
const sha = async (git: (a: string[]) => ReturnType<typeof runGit>, rev: string) =>
  (await git(['rev-parse', '--short=10', rev])).stdout.trim();
/** The lines of the guard's report under the finding whose headline contains `headline`. */
function section(stderr: string, headline: string): string[] {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.includes(headline));
  if (at < 0) return [];
  const out = [lines[at]!];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('      ')) break;
    out.push(l.trim());
  }
  return out;
}

describe('committer, author and tagger, pushed through the hook', () => {
  it(
    'committer e-mail or name wrong: a warning with the fix; author-only: a note; the printed fixes clear them',
    async () => {
      const { git } = await setup();
      await git(['checkout', '-q', '-b', 'topic']);
      const base = (await git(['rev-parse', 'HEAD'])).stdout.trim();
      await git(['commit', '-q', '--author', 'Bob <bob@example.com>', '-m', 'pair work']);
      const pair = await sha(git, 'HEAD');
      await git([...as('Alice Example', 'ALICE@Example.com'), 'commit', '-q', '-m', 'upper-case e-mail is fine']);
      await git([...as('Carol', 'carol@example.com'), 'commit', '-q', '-m', 'by carol']);
      const carol = await sha(git, 'HEAD');
      await git([...as('alice', 'alice@example.com'), 'commit', '-q', '-m', 'short name']);
      const short = await sha(git, 'HEAD');
      await git([...as('alice example.', 'alice@example.com'), 'commit', '-q', '-m', 'name as git cleans it']);

      const r = await git(['push', 'origin', 'topic']);
      expect(r.exitCode, r.stderr).toBe(0); // warnings do not block
      const committer = section(r.stderr, 'not committed as');
      expect(committer[0]).toBe(
        '  warning: 2 commits to push are not committed as alice@example.com (Alice Example): a commit checker on the server would reject them',
      );
      expect(committer.slice(1, 3).sort()).toEqual(
        [`${carol}  carol@example.com  by carol`, `${short}  alice <alice@example.com>  short name`].sort(),
      );
      expect(committer[3]).toContain("git rebase --exec 'git commit --amend --no-edit' <base>");
      const author = section(r.stderr, 'authored by another e-mail');
      expect(author[0]).toBe('  note: 1 commit to push is committed by you but authored by another e-mail');
      expect(author[1]).toBe(`${pair}  bob@example.com  pair work`);
      expect(author[2]).toContain("git rebase --exec 'git commit --amend --no-edit --reset-author' <base>");

      // the committer fix as printed: every commit committed again as alice, authors kept
      const fixed = await git(['rebase', '-q', '--exec', 'git commit --amend --no-edit', base]);
      expect(fixed.exitCode, fixed.stderr).toBe(0);
      const again = await git(['push', '-f', 'origin', 'topic']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('not committed as');
      // the pair-work commit, made again in the same second as before, is byte for byte the one
      // already on the server, and only new commits are checked
      const pairAgain = (await sha(git, 'HEAD~4')) === pair;
      expect(section(again.stderr, 'authored by another e-mail')[0]).toContain(
        pairAgain ? 'note: 1 commit' : 'note: 2 commits',
      );
      // carol's commit now has carol as author, alice as committer: fine for the server, a note here
      expect((await git(['log', '-1', '--format=%ae %ce %cn', 'HEAD~2'])).stdout.trim()).toBe(
        'carol@example.com alice@example.com Alice Example',
      );

      // and the author fix takes the authorship too
      expect(
        (await git(['rebase', '-q', '--exec', 'git commit --amend --no-edit --reset-author', base])).exitCode,
      ).toBe(0);
      const clean = await git(['push', '-f', 'origin', 'topic']);
      expect(clean.exitCode, clean.stderr).toBe(0);
      expect(clean.stderr).not.toContain('git-credential-bitbucket');
    },
    SLOW,
  );

  it(
    'levels: bitbucket.identity=block stops the push (nothing lands), bitbucket.author=off silences the note',
    async () => {
      const { git } = await setup();
      await git(['config', 'bitbucket.identity', 'block']);
      await git([...as('Carol', 'carol@example.com'), 'commit', '-q', '-m', 'by carol']);
      const blocked = await git(['push', 'origin', 'HEAD:refs/heads/blocked']);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 commit to push is not committed as alice@example.com');
      expect(blocked.stderr).toContain('git config bitbucket.identity warn');
      expect((await git(['ls-remote', 'origin', 'refs/heads/blocked'])).stdout).toBe('');

      await git(['reset', '-q', '--hard', 'HEAD~1']);
      await git(['config', 'bitbucket.author', 'off']);
      await git(['commit', '-q', '--author', 'Bob <bob@example.com>', '-m', 'pair work']);
      const quiet = await git(['push', 'origin', 'HEAD:refs/heads/quiet']);
      expect(quiet.exitCode, quiet.stderr).toBe(0);
      expect(quiet.stderr).not.toContain('git-credential-bitbucket');
    },
    SLOW,
  );

  it(
    'annotated tags: another tagger warns with the re-create command, which fixes it; lightweight tags have no tagger',
    async () => {
      const { git } = await setup();
      await git([...as('Bob', 'bob@example.com'), 'tag', '-a', '-m', 'release by bob', 'v1']);
      await git(['tag', 'light']);
      await git([...as('alice', 'alice@example.com'), 'tag', '-a', '-m', 'short name', 'v2']);
      await git(['tag', '-a', '-m', 'mine', 'v3']);
      const r = await git(['push', 'origin', 'v1', 'light', 'v2', 'v3']);
      expect(r.exitCode, r.stderr).toBe(0);
      const tagger = section(r.stderr, 'not tagged as');
      expect(tagger[0]).toBe(
        '  warning: 2 annotated tags to push are not tagged as alice@example.com (Alice Example): a commit checker on the server would reject them',
      );
      expect(tagger.slice(1, 3).sort()).toEqual(['v1  tagger bob@example.com', 'v2  tagger alice <alice@example.com>']);
      const fix = /\(git tag -f -a (\S+) (\S+); add -s for a signed tag\)/.exec(tagger[3] ?? '');
      expect(fix, tagger[3]).not.toBeNull();
      expect(r.stderr).not.toContain('not committed as'); // the tagged commit is alice's

      // re-created as printed (with a message instead of the editor), pushed again
      for (const t of ['v1', 'v2'])
        expect((await git(['tag', '-f', '-a', '-m', 'again', t, `${t}^{}`])).exitCode).toBe(0);
      const again = await git(['push', '-f', 'origin', 'v1', 'v2']);
      expect(again.exitCode, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('git-credential-bitbucket');

      await git(['config', 'bitbucket.tagger', 'block']);
      await git([...as('Bob', 'bob@example.com'), 'tag', '-a', '-m', 'bob again', 'v4']);
      const blocked = await git(['push', 'origin', 'v4']);
      expect(blocked.exitCode).not.toBe(0);
      expect(blocked.stderr).toContain('blocked: 1 annotated tag to push is not tagged as');
      expect((await git(['ls-remote', 'origin', 'refs/tags/v4'])).stdout).toBe('');
    },
    SLOW,
  );
});
