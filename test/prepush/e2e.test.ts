/**
 * The pre-push guard end to end: real `git push` against the emulator (real git http-backend)
 * with the hook installed, tokens handed to git by our helper or http.extraHeader.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, describe as desc, runBin, runGit, storeAsBearer, type Sandbox } from '../helpers/sandbox.js';
import { ALICE, pushFixture, useEmulatorSandbox } from '../helpers/fixture.js';
import { makeToken, type Emulator } from '../emulator/index.js';
import { hookInstallRun, hookUninstallRun } from '../../src/commands/hook.js';
import { checkRun } from '../../src/commands/check.js';
import { recordingIO } from './helpers.js';
import { bound } from '../helpers/bounds.js';

const DAY = 86_400_000;
const T = {
  write: makeToken('300000000001'),
  read: makeToken('300000000002'),
  soon: makeToken('300000000003'),
  project: makeToken('300000000004'),
};
const f = useEmulatorSandbox({
  secrets: Object.values(T),
  data: pushFixture(
    [
      { owner: { user: 'alice' }, name: 'write', token: T.write, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
      { owner: { user: 'alice' }, name: 'read', token: T.read, permissions: ['REPO_READ'] },
      {
        owner: { user: 'alice' },
        name: 'soon',
        token: T.soon,
        permissions: ['REPO_WRITE'],
        expiresAt: new Date(Date.now() + DAY + 3_600_000).toISOString(),
      },
      { owner: { project: 'PRJ' }, name: 'ci', token: T.project, permissions: ['PROJECT_WRITE', 'REPO_WRITE'] },
    ],
    { users: [ALICE, { name: 'bob', displayName: 'Bob Example', email: 'bob@example.com', password: 'bob-pw' }] },
  ),
});
const { outputs } = f;
/** The real launcher and dist/ bundles (npm test builds them first). */
const launcher = BIN;
let emu: Emulator;
beforeAll(() => {
  emu = f.emu;
});

const repoUrl = () => `${emu.baseUrl}/scm/prj/app.git`;
const host = () => new URL(emu.baseUrl).host;

/** A sandbox with a clone of PRJ/app, our helper configured, the hook installed, and `token` stored for alice. */
async function setup(
  token: string | null,
  opts: { extraHeader?: string } = {},
): Promise<{ sb: Sandbox; work: string }> {
  const { sb } = f;
  await git(sb, ['config', '--global', 'credential.helper', BIN]);
  // as Bitbucket names her: a commit checker compares the committer name with the display name
  await git(sb, ['config', '--global', 'user.name', 'Alice Example']);
  await git(sb, ['config', '--global', 'user.email', 'alice@example.com']);
  await git(sb, ['config', '--global', 'init.defaultBranch', 'main']);
  // A loaded machine may need more than the default 3 s for the guard's requests; the test of
  // the bound sets its own, in the repository.
  await git(sb, ['config', '--global', 'bitbucket.timeout', '60000']);
  if (token) {
    const r = await runBin(sb, ['store'], desc({ protocol: 'http', host: host(), username: 'alice', password: token }));
    expect(r.exitCode, r.stderr).toBe(0);
  }
  const header = opts.extraHeader ? ['-c', `http.extraHeader=Authorization: Bearer ${opts.extraHeader}`] : [];
  await git(sb, [...header, 'clone', '-q', repoUrl(), 'work']);
  const work = path.join(sb.dir, 'work');
  if (opts.extraHeader)
    await git(sb, ['config', `http.${emu.baseUrl}/.extraHeader`, `Authorization: Bearer ${opts.extraHeader}`], work);
  const io = recordingIO(sb.env);
  expect(await hookInstallRun({ program: { node: process.execPath, bin: launcher }, cwd: work }, io)).toBe(0);
  outputs.push(...io.err);
  return { sb, work };
}

async function git(sb: Sandbox, args: string[], cwd = sb.dir, input = '') {
  const r = await runGit(sb, args, input, { cwd });
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function commit(sb: Sandbox, work: string, message: string, email = 'alice@example.com') {
  fs.appendFileSync(path.join(work, 'file.txt'), `${message}\n`);
  await git(sb, ['add', 'file.txt'], work);
  const r = await git(sb, ['-c', `user.email=${email}`, 'commit', '-q', '-m', message], work);
  expect(r.exitCode, r.stderr).toBe(0);
}

const bareHead = (ref = 'main') =>
  runGit(f.sb, ['--git-dir', emu.bareRepoPath('PRJ', 'app'), 'rev-parse', '--verify', '-q', ref]).then((r) =>
    r.stdout.trim(),
  );

describe('pre-push guard against the emulator', () => {
  it('personal token with write: push succeeds, no warning', async () => {
    const { sb, work } = await setup(T.write);
    await commit(sb, work, 'ok change');
    const r = await git(sb, ['push', '-q', 'origin', 'HEAD:main'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('git-credential-bitbucket');
  });

  it('read-only token, refused at upload: the hook blocks first and nothing lands', async () => {
    emu.setSwitches({ refuseReadOnlyPushAt: 'upload' });
    const { sb, work } = await setup(T.read);
    const before = await bareHead();
    await commit(sb, work, 'should not land');
    const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('blocked: alice (Alice Example) cannot push to PRJ/app: REPO_WRITE is needed');
    expect(r.stderr).toContain('git push --no-verify');
    expect(await bareHead()).toBe(before);
  });

  it('read-only token, refused at the advertisement: push fails and check explains', async () => {
    emu.setSwitches({ refuseReadOnlyPushAt: 'advertisement' });
    const { sb, work } = await setup(T.read);
    await commit(sb, work, 'refused');
    const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/403/);
    const io = recordingIO(sb.env);
    const code = await checkRun({ json: false, cwd: work }, io);
    outputs.push(...io.out, ...io.err);
    expect(code).toBe(1);
    expect(io.out.join('')).toContain('cannot push to PRJ/app: REPO_WRITE is needed');
    // each label of the summary once
    const labels = io.out
      .join('')
      .split('\n')
      .map((l) => /^ {2}([a-z ]+):/.exec(l)?.[1])
      .filter(Boolean);
    expect(labels).toContain('grants');
    expect(new Set(labels).size).toBe(labels.length);
    const json = recordingIO(sb.env);
    await checkRun({ json: true, cwd: work }, json);
    outputs.push(...json.out);
    const parsed = JSON.parse(json.out.join('')) as { server: { facts: { writable: boolean; permissions: string[] } } };
    expect(parsed.server.facts).toMatchObject({ writable: false, permissions: ['REPO_READ'] });
  });

  it("never spends the user's Basic attempts on REST: Bearer first, one Basic probe only if Bearer is refused", async () => {
    const { sb, work } = await setup(T.write);
    await commit(sb, work, 'checked with bearer');
    emu.clearLog();
    const io = recordingIO(sb.env);
    await checkRun({ json: true, cwd: work }, io);
    outputs.push(...io.out, ...io.err);
    const rest = emu.log().filter((l) => l.path.includes('/rest/'));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.filter((l) => l.auth === 'basic')).toEqual([]);
    // a token-shaped secret the server does not know: Bearer fails (no CAPTCHA count), then one
    // Basic probe (a secret that is not token-shaped is an account password: never sent at all)
    await runBin(
      sb,
      ['store'],
      desc({
        protocol: 'http',
        host: host(),
        username: 'alice',
        password: makeToken('999999999999'),
      }),
    );
    emu.clearLog();
    const bad = recordingIO(sb.env);
    await checkRun({ json: true, cwd: work }, bad);
    outputs.push(...bad.out, ...bad.err);
    expect(emu.log().filter((l) => l.path.includes('/rest/') && l.auth === 'basic')).toHaveLength(1);
    expect(JSON.parse(bad.out.join('')).server.status).toBe('rejected');
  });

  it('project token stored as a Bearer credential (git 2.46+ pushes with it): check sees it', async () => {
    const { sb, work } = await setup(T.write);
    // replace alice's token with the project token, stored the way login --allow-project-token does
    await storeAsBearer(sb, host(), T.project);
    await commit(sb, work, 'by the bot, stored');
    const io = recordingIO(sb.env);
    const code = await checkRun({ json: true, cwd: work }, io);
    outputs.push(...io.out, ...io.err);
    const parsed = JSON.parse(io.out.join('')) as {
      credential: { found: boolean; scheme?: string };
      findings: Array<{ check: string; level: string }>;
    };
    expect(parsed.credential).toMatchObject({ found: true, scheme: 'bearer' });
    expect(parsed.findings.map((f) => f.check)).toContain('projectToken');
    // git before 2.46 does not send a helper's Bearer credential: check says so and exits 1
    const minor = Number(/git version 2\.(\d+)/.exec((await git(sb, ['--version'], work)).stdout)?.[1]);
    expect(code).toBe(minor < 46 ? 1 : 0);
  });

  it('project token via http.extraHeader: warns, and blocks with bitbucket.projectToken=block', async () => {
    const { sb, work } = await setup(null, { extraHeader: T.project });
    await commit(sb, work, 'by the bot');
    const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: pushing with a project or repository access token');
    expect(r.stderr).toContain('generated bot identity');
    await git(sb, ['config', 'bitbucket.projectToken', 'block'], work);
    await commit(sb, work, 'blocked now');
    const b = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(b.exitCode).not.toBe(0);
    expect(b.stderr).toContain('blocked: pushing with a project or repository access token');
    expect(b.stderr).toContain('git config bitbucket.projectToken warn');
    const n = await git(sb, ['push', '--no-verify', 'origin', 'HEAD:main'], work);
    expect(n.exitCode, n.stderr).toBe(0);
    expect(n.stderr).not.toContain('git-credential-bitbucket');
  });

  it('commits by another email: the warning lists them (new branch: only its own commits)', async () => {
    const { sb, work } = await setup(T.write);
    await git(sb, ['checkout', '-q', '-b', 'feature'], work);
    await commit(sb, work, 'first by bob', 'bob@example.com');
    await commit(sb, work, 'second by bob', 'Bob@Example.com');
    await commit(sb, work, 'by alice');
    const r = await git(sb, ['push', 'origin', 'feature'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'warning: 2 commits to push are not committed as alice@example.com (Alice Example): a commit checker on the server would reject them',
    );
    expect(r.stderr).toMatch(/[0-9a-f]{10} {2}bob@example\.com {2}second by bob/);
    expect(r.stderr).toContain('git config user.email alice@example.com');
    const d = await git(sb, ['push', 'origin', '--delete', 'feature'], work);
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stderr).not.toContain('git-credential-bitbucket');
  });

  it('token expiring tomorrow: warning', async () => {
    const { sb, work } = await setup(T.soon);
    await commit(sb, work, 'soon');
    const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: the token expires in 1 day (on ');
    expect(r.stderr).toContain(`Renew it before then with: git credential-bitbucket rotate ${emu.baseUrl} (`);
  });

  it('REST hanging or failing: the push goes through with a warning, within the bound', async () => {
    const { sb, work } = await setup(T.write);
    await git(sb, ['config', 'bitbucket.timeout', '1000'], work);
    emu.setFaults([{ kind: 'hang', path: '/rest/' }]);
    try {
      await commit(sb, work, 'while hanging');
      const t0 = Date.now();
      const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(Date.now() - t0).toBeLessThan(bound(1000));
      expect(r.stderr).toContain('could not reach');
      // the timeout set and where, what to raise; not what was left of it when the request went out
      expect(r.stderr).toContain(`no complete response from ${host()} within 1000 ms (bitbucket.timeout)`);
      const c = await runBin(sb, ['check', '--timeout', '1'], '', { cwd: work });
      expect(c.stdout).toContain(`no complete response from ${host()} within 1 s (--timeout)`);
      emu.setFaults([{ kind: 'status', status: 503, path: '/rest/' }]);
      await commit(sb, work, 'while failing');
      const f = await git(sb, ['push', 'origin', 'HEAD:main'], work);
      expect(f.exitCode, f.stderr).toBe(0);
      expect(f.stderr).toContain('warning: could not verify the token');
    } finally {
      emu.setFaults([]);
    }
  });

  it('warm cache: a second push makes no REST call', async () => {
    const { sb, work } = await setup(T.write);
    await commit(sb, work, 'cold');
    expect((await git(sb, ['push', 'origin', 'HEAD:main'], work)).exitCode).toBe(0);
    emu.clearLog();
    await commit(sb, work, 'warm');
    expect((await git(sb, ['push', 'origin', 'HEAD:main'], work)).exitCode).toBe(0);
    expect(emu.log().filter((e) => e.path.includes('/rest/'))).toEqual([]);
  });

  it('an existing pre-push hook is chained, still run with the same arguments and stdin, and restored', async () => {
    const { sb } = f;
    await git(sb, ['config', '--global', 'credential.helper', BIN]);
    await runBin(sb, ['store'], desc({ protocol: 'http', host: host(), username: 'alice', password: T.write }));
    await git(sb, ['clone', '-q', repoUrl(), 'work']);
    const work = path.join(sb.dir, 'work');
    const hook = path.join(work, '.git', 'hooks', 'pre-push');
    const log = path.join(sb.dir, 'chained.log');
    const original = `#!/bin/sh\necho "args: $*" >> ${log}\ncat >> ${log}\nexit \${FAIL_CHAINED:-0}\n`;
    fs.writeFileSync(hook, original, { mode: 0o750 });
    const io = recordingIO(sb.env);
    expect(await hookInstallRun({ program: { node: process.execPath, bin: launcher }, cwd: work }, io)).toBe(0);
    expect(await hookInstallRun({ program: { node: process.execPath, bin: launcher }, cwd: work }, io)).toBe(0);
    expect(io.err.join('')).toContain('already installed');
    await git(sb, ['-c', 'user.email=alice@example.com', 'commit', '-q', '--allow-empty', '-m', 'x'], work);
    const r = await git(sb, ['push', 'origin', 'HEAD:main'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    const logged = fs.readFileSync(log, 'utf8');
    expect(logged).toContain(`args: origin ${repoUrl()}`);
    expect(logged).toMatch(/^HEAD [0-9a-f]{40} refs\/heads\/main [0-9a-f]{40}$/m);
    sb.env.FAIL_CHAINED = '3';
    await git(sb, ['-c', 'user.email=alice@example.com', 'commit', '-q', '--allow-empty', '-m', 'y'], work);
    expect((await git(sb, ['push', 'origin', 'HEAD:main'], work)).exitCode).not.toBe(0);
    delete sb.env.FAIL_CHAINED;
    expect(await hookUninstallRun({ cwd: work }, io)).toBe(0);
    expect(fs.readFileSync(hook, 'utf8')).toBe(original);
    expect(fs.statSync(hook).mode & 0o777).toBe(0o750);
    outputs.push(...io.err);
  });

  it('a non-Bitbucket remote is left alone', async () => {
    const { sb } = f;
    await git(sb, ['init', '-q', '--bare', 'plain.git']);
    await git(sb, ['init', '-q', 'work']);
    const work = path.join(sb.dir, 'work');
    await git(sb, ['remote', 'add', 'origin', path.join(sb.dir, 'plain.git')], work);
    await hookInstallRun({ program: { node: process.execPath, bin: launcher }, cwd: work }, recordingIO(sb.env));
    await git(sb, ['-c', 'user.email=x@y', '-c', 'user.name=x', 'commit', '-q', '--allow-empty', '-m', 'x'], work);
    const r = await git(sb, ['push', 'origin', 'HEAD:refs/heads/main'], work);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('git-credential-bitbucket');
  });
});

/**
 * The installed hook script reads git's ref list itself and runs the config listing and the
 * rev-list while Node starts (see hooks/pre-push and src/git/prefetched.ts). A `git` wrapper
 * on PATH records which process started each git: the script, or Node.
 */
describe("the hook script runs the guard's git queries itself", () => {
  // the git these tests run (test/run-git-lane.sh puts another one first in PATH)
  const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

  async function withGitLog(): Promise<{ sb: Sandbox; work: string; log: string; url: string }> {
    const { sb, work } = await setup(T.write);
    const bin = path.join(sb.dir, 'gitlog-bin');
    const log = path.join(sb.dir, 'git.log');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\necho "$(cat /proc/$PPID/comm) $1" >> '${log}'\nexec ${REAL_GIT} "$@"\n`,
      { mode: 0o755 },
    );
    sb.env.PATH = `${bin}:${sb.env.PATH}`;
    return { sb, work, log, url: repoUrl() };
  }

  /** git's pre-push stdin for pushing HEAD to main. */
  async function pushLine(sb: Sandbox, work: string): Promise<string> {
    const head = (await git(sb, ['rev-parse', 'HEAD'], work)).stdout.trim();
    const remote = (await git(sb, ['rev-parse', 'origin/main'], work)).stdout.trim();
    return `HEAD ${head} refs/heads/main ${remote}\n`;
  }

  async function runHookScript(sb: Sandbox, work: string, input: string) {
    const script = path.join(work, '.git', 'hooks', 'pre-push');
    const { execa } = await import('execa');
    const out = await execa(script, ['origin', repoUrl()], {
      cwd: work,
      env: sb.env,
      extendEnv: false,
      input,
      reject: false,
    });
    outputs.push(String(out.stdout), String(out.stderr));
    return { exitCode: out.exitCode ?? -1, stderr: String(out.stderr) };
  }

  /** git runs started by Node (the test's own git calls go before the log is cleared). */
  const byNode = (log: string) =>
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('node '));

  it('a push of 100,000 refs, past the argument limit: identity=block still blocks a foreign e-mail', async () => {
    const { sb, work } = await setup(T.write);
    await git(sb, ['config', 'bitbucket.identity', 'block'], work);
    const n = 100_000;
    // one 40-hex revision per ref: more than one argument list holds
    expect(n * 41).toBeGreaterThan(Number(execFileSync('getconf', ['ARG_MAX'], { encoding: 'utf8' })));
    // n commits by bob on top of origin/main, made in one fast-import run
    const base = (await git(sb, ['rev-parse', 'origin/main'], work)).stdout.trim();
    const stream: string[] = [];
    for (let i = 0; i < n; i++) {
      const msg = `c${i}\n`;
      stream.push(
        `commit refs/heads/many\ncommitter Bob <bob@example.com> 1700000000 +0000\ndata ${msg.length}\n${msg}${i === 0 ? `from ${base}\n` : ''}\n`,
      );
    }
    const imported = await git(sb, ['fast-import', '--quiet'], work, stream.join(''));
    expect(imported.exitCode, imported.stderr).toBe(0);
    const oids = (await git(sb, ['rev-list', 'refs/heads/many', '--not', 'origin/main'], work)).stdout
      .trim()
      .split('\n');
    expect(oids).toHaveLength(n);
    // git's pre-push input for a push of n new branches, one at each commit
    const input = oids.map((oid, i) => `refs/heads/b${i} ${oid} refs/heads/b${i} ${'0'.repeat(40)}\n`).join('');
    const r = await runHookScript(sb, work, input);
    expect(r.stderr).toContain(`${n} commits to push are not committed as alice@example.com`);
    expect(r.exitCode, r.stderr).toBe(1);
  }, 120_000);

  it('on a warm cache Node starts no git at all, and finds what it finds on its own', async () => {
    const { sb, work, log } = await withGitLog();
    await commit(sb, work, 'by bob', 'bob@example.com');
    const input = await pushLine(sb, work);
    await runHookScript(sb, work, input); // fills the cache
    fs.writeFileSync(log, '');
    const viaScript = await runHookScript(sb, work, input);
    const lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/ rev-list$/), expect.stringMatching(/ config$/)]),
    );
    expect(byNode(log)).toEqual([]);
    expect(viaScript.stderr).toContain('warning: 1 commit to push is not committed as alice@example.com');

    fs.writeFileSync(log, '');
    const direct = await runBin(sb, ['hook', 'pre-push', 'origin', repoUrl()], input, { cwd: work });
    outputs.push(direct.stdout, direct.stderr);
    // without the script, Node asks itself whether origin's refs describe the URL (src/prepush/known.ts)
    expect(byNode(log).map((l) => l.split(' ')[1])).toEqual(['config', 'remote', 'for-each-ref', 'rev-list']);
    expect(direct.stderr).toBe(viaScript.stderr);
    expect(direct.exitCode).toBe(viaScript.exitCode);
  });

  it('answers for other arguments are not used: Node runs git itself and the verdict is the same', async () => {
    const { sb, work, log } = await withGitLog();
    await commit(sb, work, 'by bob again', 'bob@example.com');
    const input = await pushLine(sb, work);
    const direct = await runBin(sb, ['hook', 'pre-push', 'origin', repoUrl()], input, { cwd: work });
    // an installed script from another version, whose rev-list differs from what Node would run
    const script = path.join(work, '.git', 'hooks', 'pre-push');
    fs.writeFileSync(
      script,
      fs
        .readFileSync(script, 'utf8')
        .replace("'--format=%H%x00%ae%x00%ce%x00%cn%x00%s'", "'--format=%H%x00%ae%x00%ce%x00%cn%x00%s%x00'"),
    );
    fs.writeFileSync(log, '');
    const r = await runHookScript(sb, work, input);
    expect(byNode(log).map((l) => l.split(' ')[1])).toEqual(['remote', 'for-each-ref', 'rev-list']);
    expect(r.stderr).toBe(direct.stderr);
  });

  it('a line that is not four fields goes to the guard whole, among a few refs or past 64', async () => {
    const { sb, work } = await withGitLog();
    await commit(sb, work, 'many refs', 'bob@example.com');
    const line = await pushLine(sb, work);
    const many = Array.from({ length: 70 }, (_, i) => line.replace('refs/heads/main', `refs/heads/b${i}`)).join('');
    for (const input of [`${line}three fields only\n`, `${many}three fields only\n`]) {
      const bad = await runHookScript(sb, work, input);
      expect(bad.exitCode).toBe(0);
      expect(bad.stderr).toMatch(
        /pre-push input line (2|71): expected "<local-ref> <local-oid> <remote-ref> <remote-oid>"/,
      );
      expect(bad.stderr).toContain('push not checked');
    }
  });

  /** A push of `n` refs: new branches and updates at three commits by bob, a delete, a tag. */
  async function manyRefs(sb: Sandbox, work: string, n: number): Promise<string> {
    for (const m of ['one', 'two', 'three']) await commit(sb, work, `${m} by bob`, 'bob@example.com');
    const tips = (await git(sb, ['rev-list', '-3', 'HEAD'], work)).stdout.trim().split('\n');
    const old = (await git(sb, ['rev-parse', 'origin/main'], work)).stdout.trim();
    const zero = '0'.repeat(40);
    const lines = Array.from(
      { length: n - 1 },
      (_, i) => `refs/heads/b${i} ${tips[i % 3]} refs/heads/b${i} ${i % 2 ? old : zero}\n`,
    );
    lines.splice(n >> 1, 0, `(delete) ${zero} refs/heads/gone ${old}\n`);
    return lines.join('');
  }

  it('past 64 refs the script still prefetches (one awk parses the list): the warm push starts no git from Node, under every sh', async () => {
    const { sb, work, log } = await withGitLog();
    const script = path.join(work, '.git', 'hooks', 'pre-push');
    const tmp = path.join(sb.dir, 'tmp');
    fs.mkdirSync(tmp);
    sb.env.TMPDIR = tmp;
    const input = await manyRefs(sb, work, 100);
    const direct = await runBin(sb, ['hook', 'pre-push', 'origin', repoUrl()], input, { cwd: work }); // fills the cache
    outputs.push(direct.stdout, direct.stderr);
    expect(direct.stderr).toContain('warning: 3 commits to push are not committed as alice@example.com');
    const shells: string[][] = [['dash'], ['bash'], ['bash', '--posix'], ['busybox', 'ash'], ['sh']];
    const { execa } = await import('execa');
    let ran = 0;
    for (const [shell, ...args] of shells) {
      const found = await execa('sh', ['-c', `command -v ${shell}`], { reject: false });
      if (found.exitCode !== 0) continue; // busybox is not on every machine
      fs.writeFileSync(log, '');
      const r = await execa(shell!, [...args, script, 'origin', repoUrl()], {
        cwd: work,
        env: sb.env,
        extendEnv: false,
        input,
        reject: false,
      });
      outputs.push(String(r.stdout), String(r.stderr));
      expect(byNode(log), `${shell} ${args.join(' ')}`).toEqual([]);
      expect(fs.readFileSync(log, 'utf8')).toMatch(/ rev-list\n/);
      expect(String(r.stderr)).toBe(direct.stderr);
      expect(r.exitCode).toBe(direct.exitCode);
      ran++;
    }
    expect(ran).toBeGreaterThanOrEqual(4);
    expect(fs.readdirSync(tmp)).toEqual([]); // the script writes no file
  });

  it('1,000 refs: prefetched as well, the same verdict as Node finds on its own', async () => {
    const { sb, work, log } = await withGitLog();
    const input = await manyRefs(sb, work, 1000);
    const direct = await runBin(sb, ['hook', 'pre-push', 'origin', repoUrl()], input, { cwd: work });
    outputs.push(direct.stdout, direct.stderr);
    fs.writeFileSync(log, '');
    const r = await runHookScript(sb, work, input);
    expect(byNode(log)).toEqual([]);
    expect(r.stderr).toBe(direct.stderr);
    expect(r.stderr).toContain('warning: 3 commits to push are not committed as alice@example.com');
  });

  it('does not wait for a commit list the guard has no use for (identity check off)', async () => {
    const { sb, work } = await withGitLog();
    // a rev-list that never ends until the test ends it
    const bin = path.join(sb.dir, 'slow-bin');
    const pidFile = path.join(sb.dir, 'rev-list.pid');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\nif [ "$1" = rev-list ]; then echo $$ > '${pidFile}'; exec sleep 600; fi\nexec ${REAL_GIT} "$@"\n`,
      { mode: 0o755 },
    );
    for (const check of ['identity', 'tagger', 'author']) await git(sb, ['config', `bitbucket.${check}`, 'off'], work);
    await commit(sb, work, 'identity not checked');
    const input = await pushLine(sb, work);
    sb.env.PATH = `${bin}:${sb.env.PATH}`;
    const r = await runHookScript(sb, work, input);
    expect(r.exitCode, r.stderr).toBe(0);
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).not.toThrow(); // still "walking": the script did not wait for it
    process.kill(pid, 'SIGTERM');
  });

  it("another credential helper asked through git credential fill inherits none of the script's pipes", async () => {
    const { sb, work } = await withGitLog();
    const fds = path.join(sb.dir, 'helper-fds');
    const helper = path.join(sb.dir, 'other-helper.sh');
    fs.writeFileSync(
      helper,
      `#!/bin/sh\nls -l /proc/$$/fd > '${fds}'\ncat >/dev/null\n[ "$1" = get ] && printf 'username=alice\\npassword=%s\\n' "$OTHER_TOKEN"\nexit 0\n`,
      { mode: 0o755 },
    );
    await git(sb, ['config', 'credential.helper', ''], work);
    await git(sb, ['config', '--add', 'credential.helper', helper], work);
    sb.env.OTHER_TOKEN = T.write;
    // with the identity check off, the commit list is never read: it must be closed all the same
    for (const check of ['identity', 'tagger', 'author']) await git(sb, ['config', `bitbucket.${check}`, 'off'], work);
    await commit(sb, work, 'through another helper');
    const r = await runHookScript(sb, work, await pushLine(sb, work));
    expect(r.exitCode, r.stderr).toBe(0);
    const seen = fs.readFileSync(fds, 'utf8');
    expect(seen).toMatch(/ 0 -> pipe:/); // the listing works: git talks to the helper on a pipe
    expect(seen).not.toMatch(/ [34] -> pipe:/);
  });
});
