/**
 * The guard finds the token as `get` does: a corrupt credentials.json is named in one line and
 * skipped, and the token the OS keyring holds is the one checked, by a real `git push` through
 * the installed hook and by `check`; with nothing in our stores, a helper configured after ours
 * is asked, as git asks it. The real GNOME keyring, in the private D-Bus session
 * test/run.sh starts; every output (and the trace) is scanned for the token.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALICE, pushFixture, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN, expectNoSecrets } from '../helpers/sandbox.js';
import { makeToken } from '../emulator/index.js';

const privateKeyring = process.env.GCB_TEST_PRIVATE_KEYRING === '1';
if (process.env.CI && !privateKeyring) throw new Error('CI must run the keyring tests: run them through test/run.sh');

const DAY = 86_400_000;
const TOKEN = makeToken('300000000041');
const f = useEmulatorSandbox({
  sandbox: 'file',
  secrets: [TOKEN],
  // expiring tomorrow: the guard's warning shows that it checked this token
  data: pushFixture([
    {
      owner: { user: 'alice' },
      name: 'in-keyring',
      token: TOKEN,
      permissions: ['REPO_WRITE'],
      expiresAt: new Date(Date.now() + DAY + 3_600_000).toISOString(),
    },
  ]),
});

let work: string;
let traceFile: string;
const storeFile = () => path.join(f.sb.dataDir, 'credentials.json');
/** The one line that names the skipped file, as `get` writes it (src/credential/run.ts), for `op`. */
const skipped = (op: string) =>
  `git-credential-bitbucket: ${op}: skipped the file store: credential store ${storeFile()} is corrupt (not valid JSON); it was left unchanged: repair or remove it\n`;
const count = (text: string, part: string) => text.split(part).length - 1;

describe.runIf(privateKeyring)('a corrupt credentials.json and the token in the OS keyring', () => {
  beforeAll(async () => {
    for (const [k, v] of [
      ['credential.helper', BIN],
      ['user.name', ALICE.displayName!],
      ['user.email', ALICE.email!],
      ['bitbucket.timeout', '60000'], // a loaded machine may need more than the default 3 s
    ])
      await f.git(['config', '--global', k!, v!]);
    f.sb.env.GIT_CREDENTIAL_BITBUCKET_STORE = 'keyring';
    await f.login(TOKEN);
    work = path.join(f.sb.dir, 'work');
    expect((await f.git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, work])).exitCode).toBe(0);
    const hook = await f.bin(['hook', 'install'], '', { cwd: work });
    expect(hook.exitCode, hook.stderr).toBe(0);
    fs.writeFileSync(storeFile(), '{"version":1,"entries":[', { mode: 0o600 });
    traceFile = path.join(f.sb.dir, 'trace.log');
    f.sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
  });

  it('git push: get and the guard each name the file once, and the guard checks the keyring token', async () => {
    fs.writeFileSync(path.join(work, 'a.txt'), 'a\n');
    await f.git(['add', 'a.txt'], { cwd: work });
    await f.git(['commit', '-q', '-m', 'a'], { cwd: work });
    const r = await f.git(['push', 'origin', 'HEAD:refs/heads/corrupt-store'], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(skipped('get'));
    expect(count(r.stderr, skipped('pre-push'))).toBe(1);
    expect(r.stderr).not.toContain('pre-push check skipped');
    expect(r.stderr).toContain('warning: the token expires in 1 day');
    const traced = fs.readFileSync(traceFile, 'utf8');
    f.outputs.push(traced);
    expect(traced).toContain('guard: credential from credential store, basic as alice');
    expectNoSecrets([r.stdout, r.stderr, traced], [TOKEN]);
  });

  it('check, in text and JSON: its lookup answers from the keyring and names the file once', async () => {
    for (const args of [['check'], ['check', '--json']]) {
      fs.writeFileSync(traceFile, '');
      const r = await f.bin(args, '', { cwd: work });
      expect(r.stderr, r.stderr).toBe(skipped('check').trimEnd()); // execa drops the final newline
      expect(r.exitCode, r.stdout).toBe(0);
      const traced = fs.readFileSync(traceFile, 'utf8');
      f.outputs.push(traced);
      expect(traced).toContain('guard: credential from credential store, basic as alice');
      expect(traced).toContain('guard: server: ok');
      if (args.length === 1) expect(r.stdout).toMatch(/from credential store/);
      else expect(JSON.parse(r.stdout)).toMatchObject({ credential: { found: true, source: 'credential store' } });
      expectNoSecrets([r.stdout, r.stderr, traced], [TOKEN]);
    }
  });

  it('nothing in our stores, a helper after ours has the token: the guard asks it, as git does', async () => {
    const url = `http://localhost:${new URL(f.emu.baseUrl).port}/scm/prj/app.git`;
    const other = path.join(f.sb.dir, 'other-helper-store');
    fs.writeFileSync(other, `http://alice:${encodeURIComponent(TOKEN)}@localhost%3a${new URL(url).port}\n`, {
      mode: 0o600,
    });
    const key = `credential.http://localhost:${new URL(url).port}.helper`;
    await f.git(['config', '--global', key, `store --file ${other}`]);
    try {
      fs.writeFileSync(traceFile, '');
      const head = (await f.git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
      const r = await f.bin(['hook', 'pre-push', url, url], `HEAD ${head} refs/heads/x ${'0'.repeat(40)}\n`, {
        cwd: work,
      });
      const traced = fs.readFileSync(traceFile, 'utf8');
      f.outputs.push(traced);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(count(r.stderr, skipped('pre-push'))).toBe(1);
      expect(r.stderr).not.toContain('check skipped');
      expect(r.stderr).toContain('warning: the token expires in 1 day');
      expect(traced).toContain('guard: credential from git credential fill, basic as alice');
      expectNoSecrets([r.stdout, r.stderr, traced], [TOKEN]);
    } finally {
      await f.git(['config', '--global', '--unset', key]);
    }
  });

  it('nothing in the keyring for the host: the guard is skipped in one line naming the file, as before', async () => {
    const url = `http://localhost:${new URL(f.emu.baseUrl).port}/scm/prj/app.git`;
    const head = (await f.git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    const r = await f.bin(['hook', 'pre-push', url, url], `HEAD ${head} refs/heads/x ${'0'.repeat(40)}\n`, {
      cwd: work,
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    expect(r.stderr).toBe(
      `git-credential-bitbucket: pre-push check skipped: credential store ${storeFile()} is corrupt (not valid JSON); it was left unchanged: repair or remove it`, // execa drops the final newline
    );
  });
});
