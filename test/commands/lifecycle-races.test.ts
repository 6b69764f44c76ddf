/**
 * What else runs while `rotate`, `login` or `logout --revoke` change the stored token:
 * - a git already running: it got the old token from `get` and, after its first successful
 *   request, sends `store` of it through the helper line `setup` wrote (the sh front first); the
 *   old token must not come back over the new one (or, after logout, at all);
 * - a second `rotate` of the same account: exactly one new token is stored and the other is
 *   revoked, so none is left working on the server that nothing here names;
 * - a signal (Ctrl-C, SIGTERM) after the new token was created and before it was stored: it is
 *   revoked, or named with the words that it was not stored.
 * Real git, real processes and real signals against the emulator; the server's slowness is an
 * emulator fault, and nothing here measures the wall clock.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearerStatus } from '../helpers/fixture.js';
import { ALICE_PASSWORD, useLifecycleSandbox } from '../helpers/lifecycle.js';
import { BIN, expectNoSecrets, runGit, type RunResult } from '../helpers/sandbox.js';

const { f, createLogin, rotate } = useLifecycleSandbox();
/** Every token seen in a test, scanned for in every output of ours (git's `fill` excepted: it prints the token). */
const tokens: string[] = [];
const outputs: string[] = [];
afterEach(() => {
  expectNoSecrets([...outputs, ...f.outputs], tokens);
  outputs.length = 0;
});

const NAME = /git-credential-bitbucket on /;
const page = () => `${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`;
const repo = () => `${f.emu.baseUrl}/scm/prj/app.git`;
const REFUSED = /store: not storing a token for 127\.0\.0\.1:\d+ that login, rotate or logout replaced or removed/;

interface Entry {
  username?: string;
  secrets: { password?: string };
  meta?: { tokenId?: string };
}
function stored(): Entry[] {
  const file = path.join(f.sb.dataDir, 'credentials.json');
  if (!fs.existsSync(file)) return [];
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Entry[] }).entries;
}
function storedToken(): string {
  const t = stored()[0]?.secrets.password ?? '';
  if (t) tokens.push(t);
  return t;
}

/** alice's live tokens named like ours that this test made, as the server lists them. */
async function ours(): Promise<Array<{ id: string; name: string }>> {
  return (await listed()).filter((t) => !earlier.includes(t.id));
}
async function listed(): Promise<Array<{ id: string; name: string }>> {
  const auth = `Basic ${Buffer.from(`alice:${ALICE_PASSWORD}`).toString('base64')}`;
  const res = await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice?limit=1000`, {
    headers: { Authorization: auth },
  });
  const body = (await res.json()) as { values: Array<{ id: string; name: string }> };
  return body.values.filter((t) => NAME.test(t.name));
}
/** The tokens earlier tests left (the emulator is the file's). */
let earlier: string[] = [];
beforeEach(async () => {
  earlier = (await listed()).map((t) => t.id);
});

/** `login --create` as alice with the helper line set up for the emulator; the stored token. */
async function loggedIn(): Promise<string> {
  const setup = await f.bin(['setup', f.emu.baseUrl]);
  expect(setup.exitCode, setup.stderr).toBe(0);
  const r = await createLogin();
  expect(r.exitCode, r.stderr).toBe(0);
  return storedToken();
}

/** `git credential fill` for the repository, as a git starting a fetch: what git now holds. */
async function fill(): Promise<string> {
  const r = await runGit(f.sb, ['credential', 'fill'], `url=${repo()}\n\n`);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

/**
 * `git credential approve` of what `fill` gave: git's `store` after its first successful request
 * (with the URL, whose path the helper line's `credential.<url>` matches, as git's own has it).
 */
async function approve(held: string): Promise<RunResult> {
  const kept = held.split('\n').filter((l) => /^(username|password)=/.test(l));
  const r = await runGit(f.sb, ['credential', 'approve'], `url=${repo()}\n${kept.join('\n')}\n\n`);
  outputs.push(r.stdout, r.stderr);
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

describe('a git that got the token before the command changed it', () => {
  it('rotate: its store of the old token is refused, past the sh front; the new token stays stored', async () => {
    const old = await loggedIn();
    const held = await fill();
    // the front could skip Node for this store: get recorded what it gave out
    expect(fs.existsSync(path.join(f.sb.dataDir, 'given'))).toBe(true);
    const r = await rotate();
    expect(r.exitCode, r.stderr).toBe(0);
    const fresh = storedToken();
    expect(fresh).not.toBe(old);
    const back = await approve(held);
    expect(back.stderr).toMatch(REFUSED);
    expect(storedToken()).toBe(fresh);
    expect(await bearerStatus(f.emu.baseUrl, fresh)).toBe(200);
    const status = await f.bin(['status', f.emu.baseUrl]);
    expect(status.exitCode, status.stdout + status.stderr).toBe(0);
  });

  it('logout --revoke: its store of the revoked token is refused; nothing is stored', async () => {
    await loggedIn();
    const held = await fill();
    const r = await f.bin(['logout', f.emu.baseUrl, '--revoke', '--password-stdin'], `${ALICE_PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await approve(held)).stderr).toMatch(REFUSED);
    expect(stored()).toEqual([]);
  });

  it('login with another token: its store of the one replaced is refused; login with that one takes it back', async () => {
    const first = await loggedIn();
    const held = await fill();
    const second = f.emu.addToken({
      owner: { user: 'alice' },
      name: 'second',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
    }).token;
    tokens.push(second);
    await f.login(second);
    expect((await approve(held)).stderr).toMatch(REFUSED);
    expect(storedToken()).toBe(second);
    // to use it again, log in with it: then git may store it
    await f.login(first);
    const again = await approve(held);
    expect(again.stderr).toBe('');
    expect(storedToken()).toBe(first);
  });

  it('a real ls-remote waiting for the server while rotate runs: the new token stays stored and works', async () => {
    const old = await loggedIn();
    // the answers to info/refs come late: the authenticated one after rotate has finished
    f.emu.setFaults([{ kind: 'afterHandling', then: 'latency', ms: 8000, path: 'info/refs' }]);
    const lsRemote = runGit(f.sb, ['ls-remote', repo()]);
    await until(() => f.emu.log().some((l) => l.path.endsWith('/info/refs') && l.auth === 'basic'));
    const r = await rotate();
    expect(r.exitCode, r.stderr).toBe(0);
    const fresh = storedToken();
    expect(fresh).not.toBe(old);
    const ls = await lsRemote;
    outputs.push(ls.stdout, ls.stderr);
    // git stored the token it had after rotate had replaced it: refused
    expect(ls.stderr).toMatch(REFUSED);
    expect(storedToken()).toBe(fresh);
    expect(await bearerStatus(f.emu.baseUrl, fresh)).toBe(200);
    f.emu.setFaults([]);
    const again = await runGit(f.sb, ['ls-remote', repo()]);
    outputs.push(again.stdout, again.stderr);
    expect(again.exitCode, again.stderr).toBe(0);
  }, 120_000);
});

describe('two rotates of the same account at once', () => {
  it('one stores its token and revokes the old one; the other revokes its own and says so', async () => {
    const old = await loggedIn();
    const oldId = stored()[0]?.meta?.tokenId ?? '';
    // the first to create a token waits for its check: the second rotates meanwhile
    f.emu.setFaults([
      { kind: 'afterHandling', then: 'latency', ms: 8000, method: 'GET', path: `alice/(?!${oldId})[0-9]+$`, times: 1 },
    ]);
    const first = start(['rotate', f.emu.baseUrl, '--password-stdin'], `${ALICE_PASSWORD}\n`);
    await first.saw('Created token');
    const second = await rotate();
    const one = await first.done;
    const results = [one, second];
    const won = results.filter((x) => x.exitCode === 0);
    const lost = results.filter((x) => x.exitCode !== 0);
    expect(won, results.map((x) => x.stderr).join('\n---\n')).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(won[0]?.stderr).toMatch(/✓ Revoked the old token/);
    expect(lost[0]?.stderr).toMatch(
      /the stored token was replaced while this command ran \(another rotate or login\); the new token was revoked, and the token stored now was kept/,
    );
    const fresh = storedToken();
    expect(fresh).not.toBe(old);
    expect(await bearerStatus(f.emu.baseUrl, fresh)).toBe(200);
    expect(await bearerStatus(f.emu.baseUrl, old)).toBe(401);
    // nothing left working on the server that nothing here names
    expect((await ours()).map((t) => t.id)).toEqual([stored()[0]?.meta?.tokenId]);
  }, 120_000);
});

describe('a signal after the new token was created, before it was stored', () => {
  /** The check of the new token (GET of its own entry) waits; `except` is a token id it does not hold up. */
  const slowCheck = (except = 'none') => ({
    kind: 'latency' as const,
    ms: 20_000,
    method: 'GET',
    path: `access-tokens/1\\.0/users/alice/(?!${except})[0-9]+$`,
  });
  const createArgs = ['login', '--create', '--username', 'alice', '--password-stdin'];
  const createLoginStarted = () =>
    start([createArgs[0]!, f.emu.baseUrl, ...createArgs.slice(1)], `${ALICE_PASSWORD}\n`);

  it('login --create, Ctrl-C during the check: the token is revoked, nothing stored, one line says so', async () => {
    f.emu.setFaults([slowCheck()]);
    const run = createLoginStarted();
    await run.saw('Created token');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stderr).toMatch(
      /^git-credential-bitbucket: interrupted; the new token "git-credential-bitbucket on .+" \(id \d{12}, .*\) was revoked, and nothing was stored$/m,
    );
    expect(await ours()).toEqual([]);
    expect(stored()).toEqual([]);
  }, 120_000);

  /** rotate (started through `under`), `signal` during the check: the new token revoked, the old one kept and working. */
  async function rotateInterrupted(signal: 'SIGTERM' | 'SIGHUP', under: string[] = []): Promise<void> {
    const old = await loggedIn();
    f.emu.setFaults([slowCheck(stored()[0]?.meta?.tokenId)]);
    const run = start(['rotate', f.emu.baseUrl, '--password-stdin'], `${ALICE_PASSWORD}\n`, under);
    await run.saw('Created token');
    run.child.kill(signal);
    const r = await run.done;
    expect(r.signal, r.stderr).toBe(signal);
    expect(r.stderr).toMatch(/interrupted; the new token .* was revoked, and nothing was stored$/m);
    expect(storedToken()).toBe(old);
    expect(await bearerStatus(f.emu.baseUrl, old)).toBe(200);
    expect((await ours()).map((t) => t.id)).toEqual([stored()[0]?.meta?.tokenId]);
  }

  it('rotate, SIGTERM during the check: the new token is revoked, the old one stays stored and works', async () => {
    await rotateInterrupted('SIGTERM');
  }, 120_000);

  it.runIf(process.platform === 'linux')(
    'rotate under nohup, SIGHUP during the check: Node does not keep the ignore nohup set, so the token is revoked',
    async () => {
      // the premise: nohup hands its command SIGHUP ignored (bit 0 of SigIgn)
      const premise = await execa('nohup', ['grep', '^SigIgn:', '/proc/self/status'], { reject: false });
      expect(BigInt(`0x${String(premise.stdout).split(/\s+/)[1]}`) & 1n).toBe(1n);
      await rotateInterrupted('SIGHUP', ['nohup']);
    },
    120_000,
  );

  it('when it cannot be revoked, it is named: name, id, token page, and that it was not stored', async () => {
    f.emu.setFaults([slowCheck(), { kind: 'status', status: 500, method: 'DELETE', path: 'access-tokens' }]);
    const run = createLoginStarted();
    await run.saw('Created token');
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.signal, r.stderr).toBe('SIGINT');
    const [left] = await ours();
    expect(left).toBeDefined();
    expect(r.stderr).toContain(
      `git-credential-bitbucket: interrupted; the new token "${left?.name}" (id ${left?.id}, created`,
    );
    expect(r.stderr).toMatch(
      /could not be revoked \(.*\) and still works on the server: revoke it at \S+; it was not stored$/m,
    );
    expect(r.stderr).toContain(page());
    expect(stored()).toEqual([]);
  }, 120_000);

  it('a second signal while the revocation waits ends the process at once, naming the token', async () => {
    f.emu.setFaults([slowCheck(), { kind: 'hang', method: 'DELETE', path: 'access-tokens' }]);
    const run = createLoginStarted();
    await run.saw('Created token');
    run.child.kill('SIGINT');
    await until(() => f.emu.log().some((l) => l.method === 'DELETE'));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stderr).toMatch(
      /^git-credential-bitbucket: interrupted; the new token "git-credential-bitbucket on .+" \(id \d{12}, .*\) was not stored and may still work on the server: revoke it at \S+$/m,
    );
    expect(r.stderr).toContain(page());
    expect(stored()).toEqual([]);
  }, 120_000);
});

/** The built program started in the sandbox, not waited for; `under` runs it (`nohup`). */
function start(
  args: string[],
  input: string,
  under: string[] = [],
): {
  child: ResultPromise;
  saw(text: string): Promise<void>;
  done: Promise<{ exitCode?: number; signal?: string; stderr: string }>;
} {
  const [first = process.execPath, ...rest] = [...under, process.execPath];
  const child = execa(first, [...rest, BIN, ...args], {
    env: f.sb.env,
    extendEnv: false,
    input,
    reject: false,
    cwd: f.sb.dir,
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const done = child.then((r) => {
    outputs.push(String(r.stdout), String(r.stderr));
    return { exitCode: r.exitCode, signal: r.signal, stderr: String(r.stderr) };
  });
  const saw = async (text: string): Promise<void> => {
    const ended = done.then((r) => {
      if (!err.includes(text)) throw new Error(`ended (${r.exitCode ?? r.signal}) before "${text}": ${r.stderr}`);
    });
    await Promise.race([until(() => err.includes(text)), ended]);
  };
  return { child, saw, done };
}

/** Resolves once `ok` holds, looking every 20 ms (the test's own timeout bounds the wait). */
async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await new Promise((r) => setTimeout(r, 20));
}
