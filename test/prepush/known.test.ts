/**
 * knownRemotes (src/prepush/known.ts) on real repositories, and the hook script's first step
 * (hooks/pre-push `gcb_tracked`) agreeing with it: the script's commit list is the one the guard
 * takes exactly when the pushed remote's own refs describe the URL pushed to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, runGit } from '../helpers/sandbox.js';
import { knownRemotes } from '../../src/prepush/known.js';

const sb = makeSandbox();
const bare = path.join(sb.dir, 'remote.git');
const other = path.join(sb.dir, 'other.git');
const work = path.join(sb.dir, 'work');
const run = { env: sb.env, cwd: work };
const git = (args: string[], cwd = work) => runGit(sb, args, '', { cwd });

beforeAll(async () => {
  await runGit(sb, ['init', '-q', '--bare', bare]);
  await runGit(sb, ['init', '-q', '--bare', other]);
  await runGit(sb, ['init', '-q', '-b', 'main', work]);
  await git(['-c', 'user.email=a@x', '-c', 'user.name=A', 'commit', '-q', '--allow-empty', '-m', 'x']);
  await git(['push', '-q', bare, 'main']);
  expect((await runBin(sb, ['hook', 'install'], '', { cwd: work })).exitCode).toBe(0);
});
afterAll(() => sb.cleanup());

/** The arguments of the commit list the installed hook script hands over (fd 4), run against a stand-in program. */
async function scriptList(remote: string, url: string): Promise<string> {
  const seen = path.join(sb.dir, 'seen');
  const fake = path.join(sb.dir, 'fake-program.sh');
  fs.writeFileSync(fake, `#!/bin/sh\ncat <&3 >/dev/null\nhead -n 1 <&4 > '${seen}'\ncat >/dev/null\n`, { mode: 0o755 });
  const node = path.join(sb.dir, 'node');
  fs.writeFileSync(node, '#!/bin/sh\nshift\nexec /bin/sh "$@"\n', { mode: 0o755 });
  const hook = path.join(work, '.git', 'hooks', 'pre-push');
  const text = fs
    .readFileSync(hook, 'utf8')
    .replace(/^GCB_NODE=.*$/m, `GCB_NODE='${node}'`)
    .replace(/^GCB_BIN=.*$/m, `GCB_BIN='${fake}'`);
  const copy = path.join(sb.dir, 'pre-push');
  fs.writeFileSync(copy, text, { mode: 0o755 });
  const head = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  const { execa } = await import('execa');
  // the stand-in reads fd 4 only for an http(s) URL: the script prefetches for those alone
  const r = await execa(copy, [remote, url], {
    cwd: work,
    env: sb.env,
    extendEnv: false,
    input: `refs/heads/main ${head} refs/heads/main ${'0'.repeat(40)}\n`,
    reject: false,
  });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return fs.readFileSync(seen, 'utf8').trim();
}

describe('knownRemotes', () => {
  it('a remote never fetched: what to run; once fetched, its refs', async () => {
    await git(['remote', 'add', 'up', bare]);
    expect(knownRemotes('up', bare, run)).toEqual({ known: [], unsure: 'no remote-tracking refs: run git fetch up' });
    await git(['fetch', '-q', 'up']);
    expect(knownRemotes('up', bare, run)).toEqual({ known: ['up'] });
    // another name for the same repository, never fetched: up's refs tell
    await git(['remote', 'add', 'same', bare]);
    expect(knownRemotes('same', bare, run)).toEqual({ known: ['up'] });
    // a URL typed on the command line: the remotes fetching from it
    expect(knownRemotes(bare, bare, run)).toEqual({ known: ['up'] });
    expect(knownRemotes(other, other, run)).toEqual({
      known: [],
      unsure: 'no remote fetches from this URL: push to a remote that does, after a git fetch',
    });
  });

  it('a push URL elsewhere, a remote without a fetch refspec, a URL rewritten by insteadOf', async () => {
    await git(['remote', 'add', 'split', bare]);
    await git(['config', 'remote.split.pushurl', other]);
    await git(['fetch', '-q', 'split']);
    expect(knownRemotes('split', other, run)).toEqual({
      known: [],
      unsure: 'split pushes to another URL than it fetches from; its remote-tracking refs describe the other one',
    });
    await git(['config', 'remote.norefspec.url', other]);
    expect(knownRemotes('norefspec', other, run)).toEqual({
      known: [],
      unsure:
        "no remote-tracking refs: git config remote.norefspec.fetch '+refs/heads/*:refs/remotes/norefspec/*', then git fetch norefspec",
    });
    await git(['config', `url.${path.dirname(bare)}/.insteadOf`, 'short:']);
    await git(['remote', 'add', 'short', 'short:remote.git']);
    await git(['fetch', '-q', 'short']);
    expect(knownRemotes('short', bare, run)).toEqual({ known: ['short'] });
  });

  it('the hook script takes the first step exactly as knownRemotes does', async () => {
    // the script prefetches for http(s) remotes only: one that leads nowhere will do, nothing is fetched
    const url = 'https://bitbucket.invalid/scm/prj/app.git';
    await git(['remote', 'add', 'web', url]);
    await git(['update-ref', 'refs/remotes/web/main', 'HEAD']);
    const tracked = '--not --glob=refs/remotes/web/*';
    expect(await scriptList('web', url)).toContain(tracked);
    expect(await scriptList('web', url.replace('://', '://alice@'))).not.toContain('--not'); // knownRemotes step 2
    expect(await scriptList(url, url)).not.toContain('--not');
    await git(['remote', 'add', 'webpush', url]);
    await git(['config', 'remote.webpush.pushurl', `${url}x`]);
    await git(['update-ref', 'refs/remotes/webpush/main', 'HEAD']);
    expect(await scriptList('webpush', `${url}x`)).not.toContain('--not');
    await git(['remote', 'add', 'nofetch', url]);
    expect(await scriptList('nofetch', url)).not.toContain('--not');
    expect(knownRemotes('web', url, run)).toEqual({ known: ['web'] });
    expect(knownRemotes('nofetch', url, run)).toEqual({ known: ['web', 'webpush'] });
  });
});
