// Issue 14 item 3 (the guard's part): commit metadata and server strings reach the terminal
// with their control characters made visible. The attack: a commit whose author e-mail or
// subject carries escape sequences cleared the screen or faked the guard's output.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';
import { ALICE, pushFixture } from '../helpers/fixture.js';
import { addHostileCommits, guardedRepo } from './hostile-repo.js';
import { visible } from '../../src/visible.js';

const TOKEN = makeToken('600000000001');
let emu: Emulator;
let sb: Sandbox;
const outputs: string[] = [];
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

beforeAll(async () => {
  emu = await startEmulator({
    data: pushFixture([{ owner: { user: 'alice' }, name: 'w', token: TOKEN, permissions: ['REPO_WRITE'] }], {
      users: [{ ...ALICE, displayName: 'Alice' }], // guardedRepo commits as Alice
    }),
  });
  sb = makeSandbox();
});
afterAll(async () => {
  await emu.stop();
  sb.cleanup();
  expectNoSecrets(outputs, [TOKEN]);
});

describe('hostile commit metadata', () => {
  it('check and the guard print it with every control character visible', async () => {
    const work = await guardedRepo(sb, emu.baseUrl, TOKEN);
    expect((await runGit(sb, ['config', '--global', 'bitbucket.identity', 'block'])).exitCode).toBe(0);
    const repo = await addHostileCommits(sb, work);
    // origin's refs tell that these commits are new to it: the check blocks (src/prepush/known.ts)
    expect((await runGit(sb, ['-C', work, 'fetch', '-q', 'origin'])).exitCode).toBe(0);
    const r = await runBin(sb, ['check'], '', { cwd: work });
    outputs.push(r.stdout, r.stderr);
    expect(r.exitCode, r.stdout + r.stderr).not.toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).not.toMatch(CONTROL);
    // the offending e-mail is named, in its visible form
    expect(text).toContain(visible(repo.emails[0]!));
    // --json stays exact
    const json = await runBin(sb, ['check', '--json'], '', { cwd: work });
    outputs.push(json.stdout, json.stderr);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(repo.emails[0]).slice(1, -1));
    expect(fs.existsSync(path.join(work, 'pwned'))).toBe(false);
  });
});
