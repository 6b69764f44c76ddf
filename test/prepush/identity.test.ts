import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, runGit } from '../helpers/sandbox.js';
import {
  IdentityCollector,
  parseTagger,
  pushRange,
  REV_LIST_FORMAT,
  scanPushedCommits,
} from '../../src/prepush/identity.js';
import { parsePushInput } from '../../src/prepush/stdin.js';
import { runPrePush } from '../../src/prepush/run.js';
import { revListArgs, revListStdin, revListSync } from '../../src/git/repo.js';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

describe('IdentityCollector', () => {
  it('groups by lower-cased author and committer e-mail and by committer name, across chunk boundaries', () => {
    const c = new IdentityCollector();
    const text =
      `${'a'.repeat(40)}\0Bob@X\0bob@x\0Bob\0one\n${'b'.repeat(40)}\0bob@x\0c@x\0C\0two: a b\n` +
      `${'c'.repeat(40)}\0bob@x\0BOB@x\0Bob\0three\n${'d'.repeat(40)}\0bob@x\0bob@x\0Bob B\0four\n`;
    for (let i = 0; i < text.length; i += 7) c.push(text.slice(i, i + 7));
    const scan = c.end();
    expect(scan.total).toBe(4);
    expect(scan.groups.map((g) => [g.author, g.committer, g.committerName, g.count])).toEqual([
      ['bob@x', 'bob@x', 'Bob', 2],
      ['bob@x', 'c@x', 'C', 1],
      ['bob@x', 'bob@x', 'Bob B', 1],
    ]);
    expect(scan.groups[1]!.samples[0]).toEqual({
      sha: 'b'.repeat(40),
      author: 'bob@x',
      committer: 'c@x',
      committerName: 'C',
      subject: 'two: a b',
    });
    expect(scan.tags).toEqual([]);
  });

  it("reads a tag object's tagger", () => {
    const tagObject = (tagger: string) =>
      `object ${'a'.repeat(40)}\ntype commit\ntag v1\n${tagger}\n\nmessage\ntagger not this one <x@y>\n`;
    expect(parseTagger(tagObject('tagger Bob B. <Bob@X> 1700000000 +0100'))).toEqual({
      name: 'Bob B.',
      email: 'bob@x',
    });
    expect(parseTagger(tagObject('tagger <nobody@x> 1700000000 +0000'))).toEqual({ name: '', email: 'nobody@x' });
    expect(parseTagger(`object ${'a'.repeat(40)}\ntype commit\ntag v0\n\nno tagger\n`)).toBeUndefined();
  });

  it('ranges: new tips in, old remote tips out, deletes ignored', () => {
    const p = parsePushInput(
      `refs/heads/a ${'1'.repeat(40)} refs/heads/a ${'2'.repeat(40)}\n(delete) ${'0'.repeat(40)} refs/heads/b ${'3'.repeat(40)}\n`,
    );
    expect(p.ok && pushRange(p.updates)).toEqual({
      include: ['1'.repeat(40)],
      exclude: ['2'.repeat(40), '3'.repeat(40)],
    });
  });
});

describe('the commit listing with revisions on stdin (pushes of many refs)', () => {
  it('lists exactly what the argument form lists, missing excluded objects ignored', async () => {
    const dir = path.join(sb.dir, 'stdin-form');
    const run = { env: sb.env, cwd: dir };
    await runGit(sb, ['init', '-q', dir]);
    const oids: string[] = [];
    for (const m of ['one', 'two', 'three', 'four']) {
      await runGit(sb, ['-c', 'user.name=B', '-c', `user.email=${m}@x`, 'commit', '-q', '--allow-empty', '-m', m], '', {
        cwd: dir,
      });
      oids.push((await runGit(sb, ['rev-parse', 'HEAD'], '', { cwd: dir })).stdout.trim());
    }
    await runGit(sb, ['update-ref', 'refs/remotes/origin/main', oids[0]!], '', { cwd: dir });
    const range = {
      format: REV_LIST_FORMAT,
      include: [oids[3]!],
      exclude: [oids[1]!, 'f'.repeat(40)],
      known: ['origin'],
    };
    const listed = revListSync(range, run);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout.split('\n').filter(Boolean)).toHaveLength(2); // three and four
    expect(revListStdin(range)).toEqual({
      args: [
        'rev-list',
        '--no-commit-header',
        `--format=${REV_LIST_FORMAT}`,
        '--ignore-missing',
        '--stdin',
        '--not',
        '--glob=refs/remotes/origin/*',
      ],
      input: `${oids[3]}\n^${oids[1]}\n^${'f'.repeat(40)}\n`,
    });
    // the argument form, run by git directly, lists the same (the missing object ignored too)
    const argv = await runGit(sb, revListArgs(range), '', { cwd: dir });
    expect(`${argv.stdout}\n`).toBe(listed.stdout); // execa drops the last newline
    // many refs at the same tips: more revisions than one argument list holds
    const many = { ...range, include: Array.from({ length: 100_000 }, () => oids[3]!) };
    expect(revListSync(many, run)).toEqual(listed);
  });
});

describe('the taggers of annotated tags pushed (real git)', () => {
  it('reads each new annotated tag, skips lightweight tags, deletes and tags the remote already has', async () => {
    const dir = path.join(sb.dir, 'tags');
    const run = { env: sb.env, cwd: dir };
    const git = (args: string[]) => runGit(sb, args, '', { cwd: dir });
    await runGit(sb, ['init', '-q', dir]);
    await git(['-c', 'user.name=A', '-c', 'user.email=a@x', 'commit', '-q', '--allow-empty', '-m', 'one']);
    await git(['-c', 'user.name=Bob B', '-c', 'user.email=Bob@X', 'tag', '-a', '-m', 'by bob', 'v1']);
    await git(['-c', 'user.name=A', '-c', 'user.email=a@x', 'tag', '-a', '-m', 'by a', 'v2']);
    await git(['tag', 'light']);
    const oid = async (rev: string) => (await git(['rev-parse', rev])).stdout.trim();
    const [head, v1, v2] = [await oid('HEAD'), await oid('v1'), await oid('v2')];
    const zero = '0'.repeat(40);
    const stdin = [
      `refs/tags/v1 ${v1} refs/tags/v1 ${zero}`,
      `v2 ${v2} refs/tags/release-2 ${zero}`, // pushed under another name
      `refs/tags/light ${head} refs/tags/light ${zero}`,
      `refs/tags/v1 ${v1} refs/tags/v1-again ${v1}`, // the remote has it already
      `(delete) ${zero} refs/tags/old ${head}`,
      `refs/heads/main ${head} refs/heads/main ${zero}`,
    ].join('\n');
    const parsed = parsePushInput(`${stdin}\n`);
    const scan = scanPushedCommits(parsed.ok ? parsed.updates : [], 'origin', 'https://h/scm/p/r.git', run);
    expect(scan && !('error' in scan) && scan.tags).toEqual([
      { name: 'v1', local: 'v1', oid: v1, tagger: { name: 'Bob B', email: 'bob@x' } },
      { name: 'release-2', local: 'v2', oid: v2, tagger: { name: 'A', email: 'a@x' } },
    ]);
    expect(scan && !('error' in scan) && scan.total).toBe(0); // the remote has v1, so its commit too
  });
});

describe('a SHA-256 repository (non-network parts)', () => {
  it('scans only the commits new to a local sha256 bare remote, and the hook leaves that remote alone', async () => {
    const run = { env: sb.env, cwd: path.join(sb.dir, 'w') };
    await runGit(sb, ['init', '-q', '--object-format=sha256', '--bare', 'remote.git']);
    await runGit(sb, ['init', '-q', '--object-format=sha256', 'w']);
    const git = (args: string[]) => runGit(sb, args, '', { cwd: run.cwd });
    const remoteUrl = path.join(sb.dir, 'remote.git');
    await git(['remote', 'add', 'origin', remoteUrl]);
    const commit = async (email: string, msg: string) => {
      fs.appendFileSync(path.join(run.cwd, 'f'), msg);
      await git(['add', 'f']);
      await git(['-c', 'user.name=x', '-c', `user.email=${email}`, 'commit', '-q', '-m', msg]);
    };
    await commit('old@x', 'base');
    await git(['push', '-q', 'origin', 'HEAD:refs/heads/main']);
    await git(['fetch', '-q', 'origin']);
    const base = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    await commit('new@x', 'one');
    await commit('new@x', 'two');
    const head = (await git(['rev-parse', 'HEAD'])).stdout.trim();
    expect(head).toMatch(/^[0-9a-f]{64}$/);
    const stdin = `refs/heads/main ${head} refs/heads/main ${base}\n`;
    const parsed = parsePushInput(stdin);
    expect(parsed.ok && parsed.objectFormat).toBe('sha256');
    const scan = await scanPushedCommits(parsed.ok ? parsed.updates : [], 'origin', remoteUrl, run);
    expect(scan).toMatchObject({ total: 2, groups: [{ author: 'new@x', count: 2 }] });
    const newBranch = parsePushInput(`refs/heads/f ${head} refs/heads/f ${'0'.repeat(64)}\n`);
    expect(await scanPushedCommits(newBranch.ok ? newBranch.updates : [], 'origin', remoteUrl, run)).toMatchObject({
      total: 2,
    });
    const err: string[] = [];
    const io = { env: sb.env, cwd: run.cwd, now: () => Date.now(), stderr: (t: string) => void err.push(t) };
    expect(await runPrePush(['origin', path.join(sb.dir, 'remote.git')], stdin, io)).toBe(0);
    expect(await runPrePush(['origin', 'ssh://git@bb.example.com:7999/prj/app.git'], stdin, io)).toBe(0);
    expect(await runPrePush(['origin', 'git@bb.example.com:prj/app.git'], 'garbage', io)).toBe(0);
    expect(err).toEqual([]);
    expect(await runPrePush(['origin', 'https://bb.example.com/scm/prj/app.git'], 'garbage line', io)).toBe(2);
    expect(err.join('')).toContain('pre-push input line 1');
  });
});
