/**
 * The `given` record (src/credential/given.ts) against a writer in another process: an erase
 * that lands between a `get`'s read of the store and its write of the record must not leave a
 * record of the erased token, or the sh front would skip a later store of that very token (typed
 * again at a prompt) and it would be lost.
 *
 * The interleaving is made exact, without sleeps: `get` runs in this process, and the erase
 * runs as a real second process (the built program) from inside `get`'s stdout write, which
 * comes after the store was read and before the record is written. The store that follows goes
 * through the real sh front.
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, describe as desc, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { runHelperOperation } from '../../src/credential/run.js';

const TOKEN = 'BBDC-givenRaceTOKEN0123456789abcdefghijklmnopq';
const HOST = 'bb.example.com';
const FRONT = path.join(path.dirname(BIN), 'git-credential-bitbucket.sh');
const ANSWERED = desc({ protocol: 'https', host: HOST, username: 'alice', password: TOKEN });

let sb: Sandbox;
afterEach(() => sb?.cleanup());

const givenFile = () => path.join(sb.dataDir, 'given');

/** `get` in this process, as the front starts it (the record announced); `between` runs after the read. */
async function getWith(between: () => void): Promise<string> {
  let out = '';
  const code = await runHelperOperation('get', {
    readInput: () => desc({ protocol: 'https', host: HOST }),
    stdout: (t) => {
      out += t;
      between();
    },
    stderr: () => undefined,
    env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_GIVEN: givenFile() },
    now: () => Date.now(),
  });
  expect(code).toBe(0);
  return out;
}

/** git's `store` through the sh front, as the helper line runs it. */
function frontStore(input: string): void {
  const r = spawnSync('sh', [FRONT, process.execPath, process.platform, 'store'], {
    input,
    env: sb.env,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
}

const stored = async () => (await runBin(sb, ['get'], desc({ protocol: 'https', host: HOST }))).stdout;

describe.runIf(process.platform !== 'win32')('the given record and a concurrent writer', () => {
  it('without a writer, get records what it gave out (so the front can skip the store)', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    const out = await getWith(() => undefined);
    expect(out).toContain(`password=${TOKEN}`);
    expect(fs.readFileSync(givenFile(), 'utf8')).toMatch(/^v1 [0-9a-f]{32}\n[0-9a-f]{64}\n/);
  });

  it('an erase in another process between the read and the record: nothing recorded, the next store reaches Node', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    const out = await getWith(() => {
      const erase = spawnSync(process.execPath, [BIN, 'erase'], { input: ANSWERED, env: sb.env, encoding: 'utf8' });
      expect(erase.status, erase.stderr).toBe(0);
    });
    expect(out).toContain(`password=${TOKEN}`);
    expect(fs.existsSync(givenFile()), 'a record of the erased token').toBe(false);
    // git's store of that token right after (the request it was used for succeeded): it must be
    // kept, as the erase took it out of the store
    frontStore(ANSWERED);
    expect(await stored()).toContain(`password=${TOKEN}`);
  });

  it('a writer holding the lock: get answers at once without waiting, and records nothing', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    const lock = path.join(sb.dataDir, 'credentials.json.lock');
    const out = await getWith(() =>
      fs.writeFileSync(lock, `${process.pid} ${Date.now()} held host\n`, { mode: 0o600 }),
    );
    expect(out).toContain(`password=${TOKEN}`);
    expect(fs.existsSync(givenFile())).toBe(false);
    expect(fs.readFileSync(lock, 'utf8')).toContain('held');
  });
});

/**
 * The front's `store` with no Node to start, neither the one named nor one on PATH (which holds
 * only the digest tool): it succeeds only when the front skips Node.
 */
function frontSkips(input: string): boolean {
  const tools = path.join(sb.dir, 'no-node');
  if (!fs.existsSync(tools)) {
    fs.mkdirSync(tools);
    const sum = spawnSync('sh', ['-c', 'command -v sha256sum'], { encoding: 'utf8' }).stdout.trim();
    fs.symlinkSync(sum, path.join(tools, 'sha256sum'));
  }
  const r = spawnSync('/bin/sh', [FRONT, path.join(sb.dir, 'no-node-here'), process.platform, 'store'], {
    input,
    env: { ...sb.env, PATH: tools },
    encoding: 'utf8',
  });
  return r.status === 0;
}

describe.runIf(process.platform !== 'win32')("the given record's memo", () => {
  it('a second get of the same answer from the unchanged store writes nothing; the memo names no secret', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    await getWith(() => undefined);
    const first = fs.readFileSync(givenFile(), 'utf8');
    const before = fs.statSync(givenFile());
    const memo = first.trimEnd().split('\n').pop()!;
    expect(memo).toMatch(/^m \[/);
    expect(memo).toContain('username=alice');
    expect(memo).not.toContain(TOKEN);
    expect(first).not.toContain(TOKEN);

    await getWith(() => undefined);
    const after = fs.statSync(givenFile());
    expect(fs.readFileSync(givenFile(), 'utf8')).toBe(first);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]); // not rewritten
    expect(frontSkips(ANSWERED), 'the front skips Node for the store of what get gave out').toBe(true);
    expect(frontSkips(ANSWERED.replace(TOKEN, `${TOKEN}x`)), 'another token reaches Node').toBe(false);
  });

  it('a store that changed since the memo was written: get records again, with the new identity', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    await getWith(() => undefined);
    const memo = () => fs.readFileSync(givenFile(), 'utf8').trimEnd().split('\n').pop();
    const old = memo();
    // the store file replaced behind the program's back (same content, another inode)
    const store = path.join(sb.dataDir, 'credentials.json');
    const text = fs.readFileSync(store);
    fs.rmSync(store);
    fs.writeFileSync(store, text, { mode: 0o600 });
    await getWith(() => undefined);
    expect(memo()).toMatch(/^m \[/);
    expect(memo()).not.toBe(old);
    expect(frontSkips(ANSWERED)).toBe(true);
  });

  it('another account answering on the same host: both are recorded, the memo follows the latest', async () => {
    sb = makeSandbox();
    const bob = desc({ protocol: 'https', host: HOST, username: 'bob', password: `${TOKEN}bob` });
    expect((await runBin(sb, ['store'], ANSWERED)).exitCode).toBe(0);
    expect((await runBin(sb, ['store'], bob)).exitCode).toBe(0);
    const getAs = async (username: string) => {
      const code = await runHelperOperation('get', {
        readInput: () => desc({ protocol: 'https', host: HOST, username }),
        stdout: () => undefined,
        stderr: () => undefined,
        env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_GIVEN: givenFile() },
        now: () => Date.now(),
      });
      expect(code).toBe(0);
    };
    await getAs('alice');
    await getAs('bob');
    expect(fs.readFileSync(givenFile(), 'utf8').trimEnd().split('\n').pop()).toContain('username=bob');
    expect(frontSkips(ANSWERED)).toBe(true);
    expect(frontSkips(bob)).toBe(true);
  });
});
