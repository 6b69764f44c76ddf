/**
 * The guard sees the credential git will send whatever the helper chain: another helper before
 * ours, `credential-store` holding the token, a helper answering with a Bearer credential
 * (git 2.46+). Runs on the `git` first in PATH (test/run-git-lane.sh runs it on each git).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, describe as desc, runBin, runGit, storeAsBearer, type Sandbox } from '../helpers/sandbox.js';
import { ALICE, pushFixture, useEmulatorSandbox } from '../helpers/fixture.js';
import { makeToken, type Emulator } from '../emulator/index.js';
import { hookInstallRun } from '../../src/commands/hook.js';
import { GIT_VERSION, gitAtLeast } from '../helpers/git-version.js';
import { recordingIO } from './helpers.js';

const T = { write: makeToken('310000000001'), project: makeToken('310000000002'), bob: makeToken('310000000003') };
/** git 2.46 added `authtype`/`credential` (a Bearer credential from a helper). */
const bearerFromHelpers = gitAtLeast(2, 46);
const f = useEmulatorSandbox({
  secrets: Object.values(T),
  data: pushFixture(
    [
      { owner: { user: 'alice' }, name: 'write', token: T.write, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
      { owner: { project: 'PRJ' }, name: 'ci', token: T.project, permissions: ['PROJECT_WRITE', 'REPO_WRITE'] },
      { owner: { user: 'bob' }, name: 'bob', token: T.bob, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
    ],
    {
      users: [ALICE, { name: 'bob', displayName: 'Bob Example', email: 'bob@example.com', password: 'bob-pw' }],
      permissions: [
        { user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' },
        { user: 'bob', project: 'PRJ', permission: 'PROJECT_WRITE' },
      ],
    },
  ),
});
const { outputs } = f;
let emu: Emulator;
beforeAll(() => {
  emu = f.emu;
});

const repoUrl = () => `${emu.baseUrl}/scm/prj/app.git`;
const host = () => new URL(emu.baseUrl).host;

async function git(sb: Sandbox, args: string[], cwd = sb.dir) {
  const r = await runGit(sb, args, '', { cwd });
  outputs.push(r.stdout, r.stderr);
  return r;
}

/**
 * A clone of PRJ/app (made with alice's token in our store), the hook installed, then the
 * repository's helper chain replaced by `helpers` (our helper is the last one when `oursLast`).
 */
async function cloneWithChain(helpers: string[], oursLast = true): Promise<{ sb: Sandbox; work: string }> {
  const { sb } = f;
  await git(sb, ['config', '--global', 'credential.helper', BIN]);
  await git(sb, ['config', '--global', 'user.name', 'Alice']);
  await git(sb, ['config', '--global', 'user.email', 'alice@example.com']);
  const stored = await runBin(
    sb,
    ['store'],
    desc({ protocol: 'http', host: host(), username: 'alice', password: T.write }),
  );
  expect(stored.exitCode, stored.stderr).toBe(0);
  expect((await git(sb, ['clone', '-q', repoUrl(), 'work'])).exitCode).toBe(0);
  const work = path.join(sb.dir, 'work');
  const io = recordingIO(sb.env);
  expect(await hookInstallRun({ program: { node: process.execPath, bin: BIN }, cwd: work }, io)).toBe(0);
  outputs.push(...io.err);
  await git(sb, ['config', 'credential.helper', ''], work);
  for (const h of helpers) await git(sb, ['config', '--add', 'credential.helper', h], work);
  if (oursLast) await git(sb, ['config', '--add', 'credential.helper', BIN], work);
  return { sb, work };
}

function script(sb: Sandbox, name: string, body: string): string {
  const file = path.join(sb.dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}`, { mode: 0o755 });
  return file;
}

async function commitAndPush(
  sb: Sandbox,
  work: string,
  message: string,
): Promise<{ exitCode: number; stderr: string }> {
  await git(sb, ['commit', '-q', '--allow-empty', '-m', message], work);
  return git(sb, ['push', 'origin', 'HEAD:main'], work);
}

/** Runs the installed hook as git would for pushing HEAD to main (when git itself could not get that far). */
async function runHook(sb: Sandbox, work: string) {
  await git(sb, ['commit', '-q', '--allow-empty', '-m', 'through the hook'], work);
  const head = (await git(sb, ['rev-parse', 'HEAD'], work)).stdout.trim();
  const remote = (await git(sb, ['rev-parse', 'origin/main'], work)).stdout.trim();
  const r = await runBin(sb, ['hook', 'pre-push', 'origin', repoUrl()], `HEAD ${head} refs/heads/main ${remote}\n`, {
    cwd: work,
  });
  outputs.push(r.stdout, r.stderr);
  return r;
}

const FLAGGED = 'pushing with a project or repository access token';

/** `push` warns about a project token by default, and fails with `bitbucket.projectToken=block`. */
async function expectFlaggedThenBlocked(
  sb: Sandbox,
  work: string,
  push: () => Promise<{ exitCode: number; stderr: string }>,
): Promise<void> {
  const warned = await push();
  expect(warned.exitCode, warned.stderr).toBe(0);
  expect(warned.stderr).toContain(`warning: ${FLAGGED}`);
  await git(sb, ['config', 'bitbucket.projectToken', 'block'], work);
  const blocked = await push();
  expect(blocked.exitCode).not.toBe(0);
  expect(blocked.stderr).toContain(`blocked: ${FLAGGED}`);
}

describe(`helper chains (git ${GIT_VERSION.join('.')})`, () => {
  it.runIf(bearerFromHelpers)(
    'a pass-through helper first, ours holding a Bearer project token: flagged, and blocked with projectToken=block',
    async () => {
      const { sb, work } = await cloneWithChain([script(f.sb, 'pass.sh', 'cat >/dev/null\nexit 0\n')]);
      await storeAsBearer(sb, host(), T.project);
      await expectFlaggedThenBlocked(sb, work, () => commitAndPush(sb, work, 'by the bot'));
    },
  );

  it.runIf(bearerFromHelpers)(
    'a helper answering Bearer first (only when asked with capability authtype): flagged and blocked',
    async () => {
      const bearer = script(
        f.sb,
        'bearer.sh',
        [
          'input=$(cat)',
          '[ "$1" = get ] || exit 0',
          'case "$input" in *"capability[]=authtype"*) ;; *) exit 0;; esac',
          `printf 'capability[]=authtype\\nauthtype=Bearer\\ncredential=%s\\n' "$BOT_TOKEN"`,
          '',
        ].join('\n'),
      );
      const { sb, work } = await cloneWithChain([bearer]);
      sb.env.BOT_TOKEN = T.project;
      await expectFlaggedThenBlocked(sb, work, () => commitAndPush(sb, work, 'through another helper'));
    },
  );

  it('credential-store first, holding the project token: flagged, and blocked with projectToken=block', async () => {
    const { sb, work } = await cloneWithChain(['store'], false);
    // credential-store keeps user:password lines; git would send the project token as Basic
    const u = new URL(emu.baseUrl);
    fs.writeFileSync(
      path.join(sb.home, '.git-credentials'),
      `http://alice:${encodeURIComponent(T.project)}@${u.host}\n`,
      { mode: 0o600 },
    );
    // Bitbucket refuses a project token in Basic auth before git runs the hook (docs/bitbucket-server.md
    // section 2), so the hook is run as git would run it.
    await expectFlaggedThenBlocked(sb, work, () => runHook(sb, work));
  });

  it("a host-only section ([credential \"host:port\"], git's partial URL) resetting the chain to a helper with bob's token: the guard checks bob's, and identity=block stops alice's commit", async () => {
    const { sb, work } = await cloneWithChain([]);
    const bob = script(
      f.sb,
      'bob.sh',
      `[ "$1" = get ] || exit 0\nprintf 'username=bob\\npassword=%s\\n' "$BOB_TOKEN"\n`,
    );
    sb.env.BOB_TOKEN = T.bob;
    await git(sb, ['config', `credential.${host()}.helper`, ''], work);
    await git(sb, ['config', '--add', `credential.${host()}.helper`, bob], work);
    await git(sb, ['config', 'bitbucket.identity', 'block'], work);
    await git(sb, ['config', 'user.name', 'Alice Example'], work); // alice's commit, as alice's token would push it
    const r = await commitAndPush(sb, work, "by alice, sent with bob's token");
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('bob@example.com');
    expect(r.stderr).toContain('Push blocked');
  });

  it('a pass-through helper first, ours holding a personal token: the push goes through unflagged', async () => {
    const { sb, work } = await cloneWithChain([script(f.sb, 'pass2.sh', 'cat >/dev/null\nexit 0\n')]);
    await git(sb, ['config', 'bitbucket.projectToken', 'block'], work);
    const r = await commitAndPush(sb, work, 'by alice');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(FLAGGED);
    expect(r.stderr).not.toContain('no token found');
  });
});
