/**
 * The installed sh shim: "blocked" (exit 10 from the program) stops the push; a guard that
 * cannot run (Node gone, a broken install, any other exit) is reported and never blocks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let work: string;
let hook: string;

beforeEach(async () => {
  sb = makeSandbox();
  const bare = path.join(sb.dir, 'remote.git');
  work = path.join(sb.dir, 'work');
  await runGit(sb, ['init', '-q', '--bare', bare]);
  await runGit(sb, ['init', '-q', '-b', 'main', work]);
  await runGit(
    sb,
    ['-c', 'user.email=a@example.com', '-c', 'user.name=A', 'commit', '-q', '--allow-empty', '-m', 'x'],
    '',
    { cwd: work },
  );
  await runGit(sb, ['remote', 'add', 'origin', bare], '', { cwd: work });
  expect((await runBin(sb, ['hook', 'install'], '', { cwd: work })).exitCode).toBe(0);
  hook = path.join(work, '.git', 'hooks', 'pre-push');
});
afterEach(() => sb.cleanup());

/** Points the installed hook at a fake program that exits with `code`. */
function fakeProgram(code: number | null): void {
  const fake = path.join(sb.dir, 'fake.sh');
  fs.writeFileSync(fake, `#!/bin/sh\ncat >/dev/null\n${code === null ? '' : `exit ${code}`}\n`, { mode: 0o755 });
  const text = fs
    .readFileSync(hook, 'utf8')
    .replace(/^GCB_NODE=.*$/m, "GCB_NODE='/nonexistent/node'")
    .replace(/^GCB_BIN=.*$/m, `GCB_BIN='${fake}'`);
  fs.writeFileSync(hook, text);
}

describe('the pre-push shim', () => {
  it('blocks on exit 10', async () => {
    fakeProgram(10);
    const r = await runGit(sb, ['push', 'origin', 'main'], '', { cwd: work });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/failed to push|hook declined/);
  });

  it.each([1, 2, 127])('lets the push through with a note when the guard exits %i', async (code) => {
    fakeProgram(code);
    const r = await runGit(sb, ['push', 'origin', 'main'], '', { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`the pre-push check could not run (exit ${code}); push not checked`);
  });

  it("calls the program with git's arguments only; the head start is announced in the environment", async () => {
    // a program that does not know about the head start must still get a plain `hook pre-push <remote> <url>`
    const seen = path.join(sb.dir, 'seen');
    const fake = path.join(sb.dir, 'fake-program.sh');
    fs.writeFileSync(
      fake,
      `#!/bin/sh\n{ echo "args: $*"; echo "env: $GIT_CREDENTIAL_BITBUCKET_PREFETCHED"; head -n 1 <&3; } > '${seen}'\ncat >/dev/null\n`,
      { mode: 0o755 },
    );
    // a stand-in for Node: notes the option it got before the program, runs the program with sh
    const node = path.join(sb.dir, 'node');
    fs.writeFileSync(node, `#!/bin/sh\necho "node: $1" >'${seen}.node'\nshift\nexec /bin/sh "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(
      hook,
      fs
        .readFileSync(hook, 'utf8')
        .replace(/^GCB_NODE=.*$/m, `GCB_NODE='${node}'`)
        .replace(/^GCB_BIN=.*$/m, `GCB_BIN='${fake}'`),
    );
    const url = 'https://bitbucket.invalid/scm/prj/app.git';
    const line = `refs/heads/main ${'1'.repeat(40)} refs/heads/main ${'0'.repeat(40)}\n`;
    const { execa } = await import('execa');
    const r = await execa(hook, ['origin', url], {
      cwd: work,
      env: sb.env,
      extendEnv: false,
      input: line,
      reject: false,
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(fs.readFileSync(seen, 'utf8')).toBe(
      `args: hook pre-push origin ${url}\nenv: 3,4\nconfig -z --get-regexp ^(bitbucket|credential|http|hook)\\.\n`,
    );
    // Node starts the program by the name it has (no link resolution in each directory of its path)
    expect(fs.readFileSync(`${seen}.node`, 'utf8')).toBe('node: --preserve-symlinks-main\n');
  });

  it('lets the push through when the program is gone entirely', async () => {
    const text = fs
      .readFileSync(hook, 'utf8')
      .replace(/^GCB_NODE=.*$/m, "GCB_NODE='/nonexistent/node'")
      .replace(/^GCB_BIN=.*$/m, "GCB_BIN='/nonexistent/bin.js'");
    fs.writeFileSync(hook, text);
    const r = await runGit(sb, ['push', 'origin', 'main'], '', {
      cwd: work,
      env: { ...sb.env, PATH: '/usr/bin:/bin' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('git-credential-bitbucket: not found, pre-push check skipped');
  });
});
