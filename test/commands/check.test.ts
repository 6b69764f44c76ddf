/**
 * `check` where it has no remote to look at: outside a git repository it says so in one line
 * (it said "no remote named 'origin'"), inside one without the remote it names the remote, and
 * with a URL it needs no repository at all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let outside: string;
beforeEach(() => {
  sb = makeSandbox();
  outside = path.join(sb.dir, 'plain');
  fs.mkdirSync(outside);
  // no repository above the sandbox either, wherever the temporary directory is
  sb.env.GIT_CEILING_DIRECTORIES = sb.dir;
});
afterEach(() => sb.cleanup());

describe('check without a remote to check', () => {
  it('outside a git repository: one line saying so, exit 1; --json carries the same message', async () => {
    const text = await runBin(sb, ['check'], '', { cwd: outside });
    expect(text.exitCode).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toBe(
      'git-credential-bitbucket: not in a git repository (run check inside one, or name a URL: check URL)',
    );
    const named = await runBin(sb, ['check', 'upstream'], '', { cwd: outside });
    expect(named.stderr).toContain(': not in a git repository (');
    const json = await runBin(sb, ['check', '--json'], '', { cwd: outside });
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      message: 'not in a git repository (run check inside one, or name a URL: check URL)',
      exitCode: 1,
    });
  });

  it('in a repository without the remote: names the remote', async () => {
    const repo = path.join(sb.dir, 'repo');
    expect((await runGit(sb, ['init', '-q', repo])).exitCode).toBe(0);
    const r = await runBin(sb, ['check'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe("git-credential-bitbucket: no remote named 'origin' (name one: check REMOTE)");
  });

  it('with a URL, outside a repository: checks the URL (no repository needed)', async () => {
    const r = await runBin(sb, ['check', '--timeout', '1', 'http://127.0.0.1:9/scm/prj/app.git'], '', {
      cwd: outside,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('PRJ/app on http://127.0.0.1:9');
    expect(r.stdout).toContain('no token found');
  });
});
