import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeSandbox, runGit } from '../helpers/sandbox.js';
import { IdentityCollector, pushRange, REV_LIST_FORMAT, scanPushedCommits } from '../../src/prepush/identity.js';
import { parsePushInput } from '../../src/prepush/stdin.js';
import { runPrePush } from '../../src/prepush/run.js';
import { REV_LIST_ARGV_MAX, revListStdin, revListSync } from '../../src/git/repo.js';

const sb = makeSandbox();
afterAll(() => sb.cleanup());

describe('IdentityCollector', () => {
  it('groups by lower-cased author and committer, across chunk boundaries', () => {
    const c = new IdentityCollector();
    const text = `${'a'.repeat(40)}\0Bob@X\0bob@x\0one\n${'b'.repeat(40)}\0bob@x\0c@x\0two: a b\n${'c'.repeat(40)}\0bob@x\0BOB@x\0three\n`;
    for (let i = 0; i < text.length; i += 7) c.push(text.slice(i, i + 7));
    const scan = c.end();
    expect(scan.total).toBe(3);
    expect(scan.groups.map((g) => [g.author, g.committer, g.count])).toEqual([
      ['bob@x', 'bob@x', 2],
      ['bob@x', 'c@x', 1],
    ]);
    expect(scan.groups[1]!.samples[0]!.subject).toBe('two: a b');
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
      remote: 'origin',
    };
    const small = revListSync(range, run);
    expect(small.status, small.stderr).toBe(0);
    expect(small.stdout.split('\n').filter(Boolean)).toHaveLength(2); // three and four
    // past the argument form's limit: the same tips, repeated
    const many = { ...range, include: Array.from({ length: REV_LIST_ARGV_MAX }, () => oids[3]!) };
    expect(revListStdin(many).args).toEqual([
      'rev-list',
      '--no-commit-header',
      `--format=${REV_LIST_FORMAT}`,
      '--ignore-missing',
      '--stdin',
      '--not',
      '--remotes=origin',
    ]);
    expect(revListSync(many, run)).toEqual(small);
  });
});

describe('a SHA-256 repository (non-network parts)', () => {
  it('scans only the commits new to a local sha256 bare remote, and the hook leaves that remote alone', async () => {
    const run = { env: sb.env, cwd: path.join(sb.dir, 'w') };
    await runGit(sb, ['init', '-q', '--object-format=sha256', '--bare', 'remote.git']);
    await runGit(sb, ['init', '-q', '--object-format=sha256', 'w']);
    const git = (args: string[]) => runGit(sb, args, '', { cwd: run.cwd });
    await git(['remote', 'add', 'origin', path.join(sb.dir, 'remote.git')]);
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
    const scan = await scanPushedCommits(parsed.ok ? parsed.updates : [], 'origin', run);
    expect(scan).toMatchObject({ total: 2, groups: [{ author: 'new@x', count: 2 }] });
    const newBranch = parsePushInput(`refs/heads/f ${head} refs/heads/f ${'0'.repeat(64)}\n`);
    expect(await scanPushedCommits(newBranch.ok ? newBranch.updates : [], 'origin', run)).toMatchObject({ total: 2 });
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
