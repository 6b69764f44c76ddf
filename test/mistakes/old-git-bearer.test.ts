/**
 * A project token (stored as a Bearer credential with --allow-project-token) on git older than
 * 2.46, which does not send a helper's Bearer credential: login, doctor and check say so with the
 * upgrade, and check never says "allowed". On git 2.55 (first in PATH, where it is built) the
 * same token works and nothing of the kind is said.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { repoWithOrigin } from '../helpers/repo.js';

const token = fixtureToken('prj-ci');
const GIT_255 = path.dirname(process.env.GCB_GIT_LANE ?? '/root/.cache/git-builds/2.55.0/bin/git');
/** The system's git when it is older than 2.46 (2.39 on the CI machine). */
const OLD_GIT = ['/usr/bin/git', '/bin/git'].find((g) => {
  const m = fs.existsSync(g) ? /git version 2\.(\d+)/.exec(execFileSync(g, ['--version'], { encoding: 'utf8' })) : null;
  return m !== null && Number(m[1]) < 46;
});

const f = useEmulatorSandbox({ secrets: [token] });
const { bin, git } = f;

/** Logs in with the project token, sets git up, and makes a repository whose origin is on the server. */
async function prepare() {
  const login = await f.login(token, '--allow-project-token');
  expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
  const work = await repoWithOrigin(f.sb, f.emu.baseUrl, git);
  const lsRemote = await git(['-C', work, 'ls-remote', 'origin']);
  return { login, work, lsRemote };
}

const REASON = 'cannot use this project/repository token: it is a Bearer credential';

describe('a project token on git < 2.46', () => {
  it.skipIf(!OLD_GIT)(
    'system git (2.39): login, doctor and check say it cannot work, with the upgrade; check does not say allowed',
    async () => {
      // the system git first, also in the lane that puts git 2.55 first in PATH
      f.sb.env.PATH = `${path.dirname(OLD_GIT!)}${path.delimiter}${f.sb.env.PATH}`;
      const version = (await git(['--version'])).stdout.trim().replace('git version ', '');
      expect(Number(version.split('.')[1])).toBeLessThan(46);
      const { login, work, lsRemote } = await prepare();
      // what the messages claim: this git does not get through with it
      expect(lsRemote.exitCode).not.toBe(0);
      expect(login.stderr).toContain(`✗ Stored as a Bearer credential, but git ${version} ${REASON}`);
      expect(login.stderr).toContain(
        `upgrade git to 2.46 or newer, or log in with a personal token: git credential-bitbucket login ${f.emu.baseUrl}`,
      );
      const doctor = await bin(['doctor', f.emu.baseUrl]);
      expect(doctor.exitCode).not.toBe(0);
      expect(doctor.stdout).toContain(`git ${version} ${REASON}`);
      expect(doctor.stdout).toContain(`fix: upgrade git to 2.46 or newer`);
      const check = await bin(['check'], '', { cwd: work });
      expect(check.exitCode).toBe(1);
      expect(check.stdout).not.toContain('allowed');
      expect(check.stdout).toContain('push:     not with this git (see below)');
      expect(check.stdout).toContain(`✗ git ${version} ${REASON}`);
      const json = await bin(['check', '--json'], '', { cwd: work });
      const parsed = JSON.parse(json.stdout) as { unusable?: string; exitCode: number };
      expect(parsed.unusable).toContain(REASON);
      expect(parsed.exitCode).toBe(1);
    },
  );

  it.skipIf(!fs.existsSync(path.join(GIT_255, 'git')))(
    'git 2.55 first in PATH: the token works and nothing says otherwise',
    async () => {
      f.sb.env.PATH = `${GIT_255}${path.delimiter}${f.sb.env.PATH}`;
      const { login, work, lsRemote } = await prepare();
      expect(lsRemote.exitCode, lsRemote.stderr).toBe(0);
      expect(login.stderr).not.toContain(REASON);
      expect(login.stderr).toContain('this git sends it through this helper');
      const doctor = await bin(['doctor', f.emu.baseUrl]);
      expect(doctor.stdout).not.toContain(REASON);
      const check = await bin(['check'], '', { cwd: work });
      expect(check.stdout).toContain('push:     allowed (REPO_WRITE)');
      expect(check.stdout).not.toContain(REASON);
    },
  );
});
