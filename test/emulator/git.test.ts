// Real git clone/push through the emulator's smart HTTP (docs/bitbucket-server.md sections 2 and 7).
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './index.js';
import { DEFAULT_SWITCHES } from './types.js';
import { T, gitSandbox, testFixture, withCreds } from './test-helpers.js';

let emu: Emulator;
let box: Awaited<ReturnType<typeof gitSandbox>>;
let n = 0;

beforeAll(async () => {
  emu = await startEmulator({ data: testFixture(), context: '/bitbucket' });
  box = await gitSandbox();
});
afterAll(async () => {
  await emu.stop();
  await box.cleanup();
});
afterEach(() => {
  emu.setSwitches({ ...DEFAULT_SWITCHES });
  emu.clearLog();
});

const headOf = (key: string, slug: string): string =>
  execFileSync('git', ['--git-dir', emu.bareRepoPath(key, slug), 'rev-parse', 'main'], { encoding: 'utf8' }).trim();

/** Clones, commits one file and pushes; returns clone/push results and the new commit. */
async function cloneCommitPush(url: string, extra: string[] = []) {
  const dir = join(box.dir, `w${++n}`);
  const clone = await box.git([...extra, 'clone', '--quiet', url, dir]);
  if (clone.exitCode !== 0) return { clone, push: undefined, commit: '' };
  await writeFile(join(dir, `file${n}.txt`), `change ${n}\n`);
  await box.git(['add', '.'], { cwd: dir });
  await box.git(['commit', '--quiet', '-m', `change ${n}`], { cwd: dir });
  const commit = (await box.git(['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim();
  const push = await box.git([...extra, 'push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir });
  return { clone, push, commit };
}

const repoUrl = (key: string, slug: string, user?: string, secret?: string) =>
  `${user ? withCreds(emu.baseUrl, user, secret ?? '') : emu.baseUrl}/scm/${key}/${slug}.git`;

describe('clone and push', () => {
  it.each([
    ['Basic with a password', () => repoUrl('prj', 'app', 'alice', 'alice-pw'), []],
    ['Basic with a personal token', () => repoUrl('prj', 'app', 'alice', T.aliceWrite), []],
    [
      'Bearer with a personal token',
      () => repoUrl('prj', 'app'),
      ['-c', `http.extraHeader=Authorization: Bearer ${T.aliceWrite}`],
    ],
  ])('%s: the commit lands in the bare repository', async (_label, url, extra) => {
    const r = await cloneCommitPush(url(), extra);
    expect(r.clone.exitCode, r.clone.stderr).toBe(0);
    expect(r.push?.exitCode, r.push?.stderr).toBe(0);
    expect(headOf('PRJ', 'app')).toBe(r.commit);
    // git first tries without credentials (401 + challenge), then with them.
    const scm = emu.log().filter((e) => e.path.includes('/scm/'));
    expect(scm.filter((e) => e.auth === 'none').every((e) => e.status === 401)).toBe(true);
    expect(new Set(scm.filter((e) => e.auth !== 'none').map((e) => e.user))).toEqual(new Set(['alice']));
  });
  it('a project token pushes as Bearer under its own identity', async () => {
    const r = await cloneCommitPush(repoUrl('PRJ', 'lib'), [
      '-c',
      `http.extraHeader=Authorization: Bearer ${T.prjWrite}`,
    ]);
    expect(r.push?.exitCode, r.push?.stderr).toBe(0);
    expect(headOf('PRJ', 'lib')).toBe(r.commit);
    const pushLog = emu.log().find((e) => e.method === 'POST' && e.path.endsWith('/git-receive-pack'));
    expect(pushLog).toMatchObject({ auth: 'bearer', status: 200, via: 'token' });
    expect(pushLog?.user).not.toBe('alice');
  });
  it("clones a personal repository with the owner's password", async () => {
    const r = await box.git([
      'clone',
      '--quiet',
      repoUrl('~alice', 'scratch', 'alice', 'alice-pw'),
      join(box.dir, 'scratch'),
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
  });
});

describe('refusals', () => {
  it("refuses a read-only token's push at the receive-pack advertisement by default", async () => {
    const before = headOf('PRJ', 'app');
    const r = await cloneCommitPush(repoUrl('prj', 'app', 'alice', T.aliceRead));
    expect(r.clone.exitCode, r.clone.stderr).toBe(0);
    expect(r.push?.exitCode).not.toBe(0);
    expect(r.push?.stderr).toMatch(/403/);
    expect(headOf('PRJ', 'app')).toBe(before);
    const ad = emu.log().find((e) => e.query === 'service=git-receive-pack' && e.auth === 'basic');
    expect(ad).toMatchObject({ method: 'GET', status: 403, user: 'alice' });
    expect(emu.log().some((e) => e.method === 'POST' && e.path.endsWith('/git-receive-pack'))).toBe(false);
  });
  it('with refuseReadOnlyPushAt=upload, refuses the POST instead', async () => {
    emu.setSwitches({ refuseReadOnlyPushAt: 'upload' });
    const before = headOf('PRJ', 'app');
    const r = await cloneCommitPush(repoUrl('prj', 'app'), [
      '-c',
      `http.extraHeader=Authorization: Bearer ${T.appRead}`,
    ]);
    expect(r.clone.exitCode, r.clone.stderr).toBe(0);
    expect(r.push?.exitCode).not.toBe(0);
    expect(headOf('PRJ', 'app')).toBe(before);
    expect(emu.log().find((e) => e.query === 'service=git-receive-pack')).toMatchObject({ status: 200 });
    expect(emu.log().find((e) => e.method === 'POST' && e.path.endsWith('/git-receive-pack'))).toMatchObject({
      status: 403,
    });
  });
  it('anonymous: public repositories clone, private ones get a 401 Basic challenge', async () => {
    expect((await box.git(['clone', '--quiet', repoUrl('pub', 'docs'), join(box.dir, 'docs')])).exitCode).toBe(0);
    const r = await box.git(['clone', '--quiet', repoUrl('prj', 'app'), join(box.dir, 'anon')]);
    expect(r.exitCode).not.toBe(0);
    const res = await fetch(`${repoUrl('prj', 'app')}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="Atlassian Bitbucket"');
    expect(res.headers.get('x-arequestid')).toBeTruthy();
  });
  it('a wrong password gets 401 with the challenge; a user without access gets 403', async () => {
    const bad = await fetch(`${repoUrl('prj', 'app')}/info/refs?service=git-upload-pack`, {
      headers: { Authorization: `Basic ${Buffer.from('bob:nope').toString('base64')}` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Basic realm="Atlassian Bitbucket"');
    const r = await box.git([
      'clone',
      '--quiet',
      repoUrl('prj', 'app', 'carol@example.com', 'carol-pw'),
      join(box.dir, 'carol'),
    ]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/403/);
  });
  it('answers 404 for unknown repositories', async () => {
    expect((await fetch(`${repoUrl('prj', 'nope')}/info/refs?service=git-upload-pack`)).status).toBe(404);
  });
});

describe('CGI details', () => {
  it('passes Git-Protocol through (protocol v2 advertisement)', async () => {
    const res = await fetch(`${repoUrl('pub', 'docs')}/info/refs?service=git-upload-pack`, {
      headers: { 'Git-Protocol': 'version=2' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
    expect(await res.text()).toContain('version 2');
  });
  it('inflates gzip request bodies (git gzips large fetch requests)', async () => {
    const { gzipSync } = await import('node:zlib');
    const want = headOf('PUB', 'docs');
    const pkt = (s: string) => `${(s.length + 4).toString(16).padStart(4, '0')}${s}`;
    const body = gzipSync(Buffer.from(`${pkt(`want ${want}\n`)}0000${pkt('done\n')}`));
    const res = await fetch(`${repoUrl('pub', 'docs')}/git-upload-pack`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-git-upload-pack-request', 'Content-Encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    const out = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(out.startsWith('0008NAK\n')).toBe(true);
    expect(out).toContain('PACK');
  });
});
