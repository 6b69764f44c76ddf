/**
 * test/git-free.txt lists the test files the git 2.55 lane (test/run-git-lane.sh) leaves out,
 * because they never run git. A listed file that starts running git would lose its 2.55 run in
 * silence, so each listed file must exist and use none of the ways the tests run git: the
 * helpers that run it or the program, the emulator (git http-backend serves its /scm/), the hook
 * script, or a child process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/sandbox.js';

const RUNS_GIT =
  /\b(?:runGit|runBin|startEmulator|useEmulatorSandbox|useLifecycleSandbox|ownEmulators|gitSync|gitAsync|hookInstallRun|renderHook|runOnPty|execa|spawn|spawnSync|execFile|execFileSync|execSync)\b|helpers\/(?:git-version|repo|pty|fixture|lifecycle|own-emulator)\.js/;

const listed = fs
  .readFileSync(path.join(ROOT, 'test/git-free.txt'), 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'));

describe('test/git-free.txt', () => {
  it('lists test files, each once', () => {
    expect(listed.length).toBeGreaterThan(0);
    expect(new Set(listed).size).toBe(listed.length);
    for (const file of listed) expect(file).toMatch(/^test\/.+\.test\.ts$/);
  });

  it.each(listed)('%s exists and runs no git', (file) => {
    const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
    expect(
      source.match(RUNS_GIT)?.[0],
      `${file} may run git: run it in the git 2.55 lane (drop it from the list)`,
    ).toBe(undefined);
  });
});
