/**
 * `hook install` with core.hooksPath: husky's directory and a hooks directory in the work tree (or
 * tracked by git) are left alone, with the lines to add to the user's own hook instead; they run
 * the guard with the hook's arguments and input, and the rest of the hook still reads the input;
 * doctor says what really runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GUARD_LINES } from '../../src/git/hook-refusal.js';
import { CHAINED_NAME, installHookFile, readTemplate, renderHook } from '../../src/git/hooks.js';
import { BIN, makeSandbox, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
let repo: string;
let log: string;
let pushes = 0;
const git = (...args: string[]) => runGit(sb, args, '', { cwd: repo });
const file = (rel: string) => path.join(repo, rel);
const write = (rel: string, text: string, mode = 0o755) => {
  fs.mkdirSync(path.dirname(file(rel)), { recursive: true });
  fs.writeFileSync(file(rel), text, { mode });
};
/** Every file under `dir` with its text: what must not change. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .sort()
      .map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : '']),
  );

/** The lines `hook install` prints, as pasted into a hook. */
const SNIPPET = GUARD_LINES.join('\n');

/** The user's own pre-push check: logs its arguments and input. */
const USER_HOOK = (line = '') => `#!/bin/sh\n${line}${line ? '\n' : ''}echo "user: $*" >> "$LOG"\ncat >> "$LOG"\n`;

/**
 * husky 9 as `npx husky` leaves it: `.husky/_/pre-push` sources `_/h`, which runs the hook of the
 * same name from `.husky/` under `sh -e` (husky's `h`, in the few lines that matter here).
 */
function husky9(): void {
  write(
    '.husky/_/h',
    [
      '#!/usr/bin/env sh',
      'n=$(basename "$0")',
      's=$(dirname "$(dirname "$0")")/$n',
      '[ ! -f "$s" ] && exit 0',
      '[ "${HUSKY-}" = "0" ] && exit 0',
      'export PATH="node_modules/.bin:$PATH"',
      'sh -e "$s" "$@"',
      'c=$?',
      '[ $c != 0 ] && echo "husky - $n script failed (code $c)"',
      'exit $c',
      '',
    ].join('\n'),
    0o644,
  );
  write('.husky/_/pre-push', '#!/usr/bin/env sh\n. "${0%/*}/h"\n');
  write('.husky/_/.gitignore', '*\n', 0o644);
}

async function push(): Promise<{ exitCode: number; stderr: string }> {
  return git('push', '-q', 'origin', `HEAD:refs/heads/b${++pushes}`);
}

/** How many times the guard ran so far (each run traces one `pre-push origin` line). */
function guardRuns(): number {
  const trace = path.join(sb.dir, 'trace.log');
  if (!fs.existsSync(trace)) return 0;
  return fs
    .readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => / pre-push origin /.test(l)).length;
}

async function hookFindings(): Promise<Array<{ id: string; level: string; title: string; fix?: string }>> {
  const r = await runBin(sb, ['doctor', 'http://127.0.0.1:9', '--json', '--timeout', '1'], '', { cwd: repo });
  return (JSON.parse(r.stdout).findings as Array<{ id: string; level: string; title: string; fix?: string }>).filter(
    (f) => f.id.startsWith('hook'),
  );
}

/** `git-credential-bitbucket` on PATH: the real program, or a stand-in script. */
function onPath(script?: string): void {
  const dir = path.join(sb.dir, 'path-bin');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'git-credential-bitbucket'),
    script ?? `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`,
    { mode: 0o755 },
  );
  sb.env.PATH = `${dir}${path.delimiter}${sb.env.PATH}`;
}

beforeEach(async () => {
  sb = makeSandbox();
  pushes = 0;
  repo = path.join(sb.dir, 'repo');
  log = path.join(sb.dir, 'user.log');
  sb.env.LOG = log;
  sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = path.join(sb.dir, 'trace.log');
  await runGit(sb, ['init', '-q', '--bare', path.join(sb.dir, 'bare.git')]);
  await runGit(sb, ['init', '-q', repo]);
  await git('config', 'user.name', 'A');
  await git('config', 'user.email', 'a@example.invalid');
  await git('remote', 'add', 'origin', path.join(sb.dir, 'bare.git'));
});
afterEach(() => sb.cleanup());

it('the README shows the lines hook install prints', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain(['```sh', ...GUARD_LINES, '```'].join('\n'));
});

describe('husky 9 (core.hooksPath=.husky/_)', () => {
  beforeEach(async () => {
    husky9();
    write('.husky/pre-push', USER_HOOK(), 0o644);
    await git('add', '.husky');
    await git('commit', '-q', '-m', 'husky');
    await git('config', 'core.hooksPath', '.husky/_');
  });

  it('hook install leaves husky alone and prints the line to add to .husky/pre-push', async () => {
    const before = snapshot(file('.husky'));
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `git-credential-bitbucket: not installing the pre-push guard into ${file('.husky/_')}: it is husky's hook directory: husky rewrites it and runs a hook by its file name, so it cannot chain yours.`,
    );
    expect(lines).toContain(
      `To run the guard from your own hook, add these lines to ${file('.husky/pre-push')}, before anything there reads the hook's input:`,
    );
    expect(r.stderr).toContain(`\n${GUARD_LINES.map((l) => `    ${l}`).join('\n')}\n`);
    expect(lines.at(-1)).toMatch(/hook install --global/);
    expect(snapshot(file('.husky'))).toEqual(before);
    // the user's own check still runs, with git's arguments and input
    expect((await push()).exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(
      /^user: origin .*bare\.git\nHEAD [0-9a-f]{40} refs\/heads\/b1 0{40}\n$/,
    );
    const [f] = await hookFindings();
    expect(f).toMatchObject({ id: 'hook', level: 'warn' });
    expect(f!.title).toContain("the hooks directory is husky's hook directory");
    expect(f!.fix).toContain(
      `add the lines git credential-bitbucket hook install prints to ${file('.husky/pre-push')}`,
    );
  });

  it('the lines in .husky/pre-push run the guard; the user check runs too, with the input; doctor says so', async () => {
    write('.husky/pre-push', USER_HOOK(SNIPPET), 0o644);
    onPath();
    expect((await push()).exitCode).toBe(0);
    expect(guardRuns()).toBe(1);
    expect(fs.readFileSync(log, 'utf8')).toMatch(
      /^user: origin .*bare\.git\nHEAD [0-9a-f]{40} refs\/heads\/b1 0{40}\n$/,
    );
    // up to date: git runs the hook with no input, and the user's check gets no line either (under sh -e)
    fs.rmSync(log);
    expect((await git('push', '-q', 'origin', 'HEAD:refs/heads/b1')).exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^user: origin .*bare\.git\n$/);
    expect(await hookFindings()).toEqual([
      { id: 'hook', level: 'ok', title: `the pre-push guard runs from your own hook, ${file('.husky/pre-push')}` },
    ]);
  });

  it('the lines hand the guard the arguments and input; exit 10 blocks, any other failure does not', async () => {
    const seen = path.join(sb.dir, 'seen');
    write('.husky/pre-push', `${SNIPPET}\n{ echo after; cat; } >> "$LOG"\n`, 0o644);
    onPath(`#!/bin/sh\n{ echo "args: $*"; cat; } > '${seen}'\nexit \${FAKE_EXIT:-0}\n`);
    expect((await push()).exitCode).toBe(0);
    const input = /^args: hook pre-push origin .*bare\.git\n(HEAD [0-9a-f]{40} refs\/heads\/b1 0{40}\n)$/.exec(
      fs.readFileSync(seen, 'utf8'),
    );
    expect(input).not.toBeNull();
    expect(fs.readFileSync(log, 'utf8')).toBe(`after\n${input![1]}`);
    fs.rmSync(log);
    sb.env.FAKE_EXIT = '10';
    expect((await push()).exitCode).not.toBe(0);
    expect(fs.existsSync(log)).toBe(false);
    sb.env.FAKE_EXIT = '3';
    expect((await push()).exitCode).toBe(0);
  });

  it('without the program on PATH the lines let the push go on; doctor says the check is skipped', async () => {
    write('.husky/pre-push', USER_HOOK(SNIPPET), 0o644);
    expect((await push()).exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^user: origin .*\nHEAD [0-9a-f]{40} refs\/heads\/b1 0{40}\n$/);
    const [f] = await hookFindings();
    expect(f).toMatchObject({ level: 'warn' });
    expect(f!.title).toContain('git-credential-bitbucket is not on PATH here: the check is skipped');
  });

  it('what an older version left: doctor names it, hook install says to uninstall, uninstall restores husky', async () => {
    const huskyHook = fs.readFileSync(file('.husky/_/pre-push'), 'utf8');
    const guard = renderHook(readTemplate(), { node: process.execPath, bin: BIN });
    expect(installHookFile(file('.husky/_'), guard).status).toBe('installed');
    // the reported defect: husky's h now looks for .husky/pre-push.chained-by-bitbucket
    expect((await push()).exitCode).toBe(0);
    expect(fs.existsSync(log)).toBe(false);
    const [f] = await hookFindings();
    expect(f).toMatchObject({ id: 'hook', level: 'warn' });
    expect(f!.title).toContain(`does not run, and husky's next install removes the guard`);
    expect(f!.fix).toMatch(
      /^git credential-bitbucket hook uninstall, then add the lines git credential-bitbucket hook install prints to /,
    );
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(
      "Remove the guard's file an older version put there: git credential-bitbucket hook uninstall",
    );
    expect((await runBin(sb, ['hook', 'uninstall'], '', { cwd: repo })).exitCode).toBe(0);
    expect(fs.readFileSync(file('.husky/_/pre-push'), 'utf8')).toBe(huskyHook);
    expect((await push()).exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^user: origin /);
  });

  it('after husky rewrote its directory over an older install: doctor names the leftover', async () => {
    const huskyHook = fs.readFileSync(file('.husky/_/pre-push'), 'utf8');
    installHookFile(file('.husky/_'), renderHook(readTemplate(), { node: process.execPath, bin: BIN }));
    fs.writeFileSync(file('.husky/_/pre-push'), huskyHook); // npm install runs husky again
    const found = await hookFindings();
    expect(found.map((f) => [f.id, f.level])).toEqual([
      ['hook', 'warn'],
      ['hook-leftover', 'warn'],
    ]);
    expect(found[1]!.fix).toBe(
      `compare it with ${file('.husky/_/pre-push')}, then rm '${file(`.husky/_/${CHAINED_NAME}`)}'`,
    );
  });
});

describe('a hooks directory tracked in the work tree (core.hooksPath=.githooks)', () => {
  beforeEach(async () => {
    write('.githooks/pre-push', USER_HOOK());
    await git('add', '.githooks');
    await git('commit', '-q', '-m', 'hooks');
    await git('config', 'core.hooksPath', '.githooks');
  });

  it('hook install changes nothing in the work tree and prints the lines; doctor agrees', async () => {
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`into ${file('.githooks')}: it is inside the repository's work tree`);
    expect(r.stderr).toContain(`add these lines to ${file('.githooks/pre-push')}`);
    expect((await git('status', '--porcelain')).stdout).toBe('');
    expect(fs.readdirSync(file('.githooks'))).toEqual(['pre-push']);
    const [f] = await hookFindings();
    expect(f).toMatchObject({ level: 'warn' });
    expect(f!.fix).toContain(
      `add the lines git credential-bitbucket hook install prints to ${file('.githooks/pre-push')}`,
    );
  });

  /** A team's check after the guard's lines: no pushes to main; it logs how many refs it saw. */
  const NO_MAIN = [
    'n=0',
    'while read -r l lo r ro; do',
    '  n=$((n + 1))',
    '  [ "$r" != refs/heads/main ] || { echo "no pushes to main" >&2; exit 1; }',
    'done',
    'echo "checked $n" >> "$LOG"',
    '',
  ].join('\n');

  it('a check after the lines sees every ref: a push to main is refused, one elsewhere goes on; nothing to push, no line', async () => {
    write('.githooks/pre-push', `#!/bin/sh\n${SNIPPET}\n${NO_MAIN}`);
    onPath();
    let r = await git('push', '-q', 'origin', 'HEAD:refs/heads/main', 'HEAD:refs/heads/topic');
    expect(r.stderr).toContain('no pushes to main');
    expect(r.exitCode).not.toBe(0);
    expect(guardRuns()).toBe(1);
    r = await git('push', '-q', 'origin', 'HEAD:refs/heads/topic', 'HEAD:refs/heads/other');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(guardRuns()).toBe(2);
    // up to date: git runs the hook with no input; the guard has nothing to check
    r = await git('push', '-q', 'origin', 'HEAD:refs/heads/topic');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(guardRuns()).toBe(2);
    expect(fs.readFileSync(log, 'utf8')).toBe('checked 2\nchecked 0\n');
    expect(await hookFindings()).toEqual([
      { id: 'hook', level: 'ok', title: `the pre-push guard runs from your own hook, ${file('.githooks/pre-push')}` },
    ]);
  });

  it('the line older versions printed took the input, so the check after it passed every push: doctor says to replace it', async () => {
    const old =
      'if command -v git-credential-bitbucket >/dev/null 2>&1; then git-credential-bitbucket hook pre-push "$@" || [ $? -ne 10 ] || exit 1; fi';
    write('.githooks/pre-push', `#!/bin/sh\n${old}\n${NO_MAIN}`);
    onPath();
    expect((await git('push', '-q', 'origin', 'HEAD:refs/heads/main')).exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('checked 0\n');
    const [f] = await hookFindings();
    expect(f).toMatchObject({ id: 'hook', level: 'warn' });
    expect(f!.title).toContain('what follows it there sees no ref');
    expect(f!.fix).toBe('replace that line with the lines git credential-bitbucket hook install prints');
    // the old line alone (nothing after it reads the input) is left in peace
    write('.githooks/pre-push', `#!/bin/sh\n${old}\n`);
    expect((await hookFindings())[0]).toMatchObject({ level: 'ok' });
  });

  it('the same from a subdirectory, and with core.hooksPath absolute', async () => {
    await git('config', 'core.hooksPath', file('.githooks'));
    fs.mkdirSync(file('sub'));
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: file('sub') });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("it is inside the repository's work tree");
  });

  it('an untracked hooks directory in the work tree is refused as well', async () => {
    await git('config', 'core.hooksPath', 'local-hooks');
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(fs.existsSync(file('local-hooks/pre-push'))).toBe(false);
  });
});

describe('hooks directories outside the work tree', () => {
  beforeEach(async () => {
    write('README', 'x\n', 0o644); // a tracked file: git run inside .git/hooks would list it
    await git('add', 'README');
    await git('commit', '-q', '-m', 'x');
  });

  it('a global core.hooksPath that another repository tracks (dotfiles) is refused', async () => {
    const dotfiles = path.join(sb.dir, 'dotfiles');
    await runGit(sb, ['init', '-q', dotfiles]);
    fs.mkdirSync(path.join(dotfiles, 'hooks'));
    fs.writeFileSync(path.join(dotfiles, 'hooks', 'pre-push'), USER_HOOK(), { mode: 0o755 });
    await runGit(sb, ['add', '.'], '', { cwd: dotfiles });
    await git('config', '--global', 'core.hooksPath', path.join(dotfiles, 'hooks'));
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('git tracks files in it');
    expect((await runGit(sb, ['status', '--porcelain'], '', { cwd: dotfiles })).stdout).toBe('A  hooks/pre-push');
  });

  it('an untracked global core.hooksPath: the guard is installed there and chains the hook', async () => {
    const hooks = path.join(sb.dir, 'global-hooks');
    fs.mkdirSync(hooks);
    fs.writeFileSync(path.join(hooks, 'pre-push'), USER_HOOK(), { mode: 0o755 });
    await git('config', '--global', 'core.hooksPath', hooks);
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(hooks, CHAINED_NAME))).toBe(true);
    expect((await push()).exitCode).toBe(0);
    expect(guardRuns()).toBe(1);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/^user: origin /);
    expect((await hookFindings())[0]).toMatchObject({ level: 'ok' });
  });

  it('husky 4 in .git/hooks (husky.sh) and a pre-push hook that names husky are refused', async () => {
    write('.git/hooks/husky.sh', '# husky\n', 0o644);
    let r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('use husky 9 or newer and add these lines at the top of .husky/pre-push:');
    fs.rmSync(file('.git/hooks/husky.sh'));
    write('.git/hooks/pre-push', '#!/bin/sh\n# husky\nhookName=`basename "$0"`\n');
    r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode).toBe(1);
    expect(fs.existsSync(file(`.git/hooks/${CHAINED_NAME}`))).toBe(false);
  });

  it('.git/hooks: installed as before', async () => {
    const r = await runBin(sb, ['hook', 'install'], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await push()).exitCode).toBe(0);
    expect(guardRuns()).toBe(1);
  });
});
