// Issue 14 item 2: every failed Basic attempt counts towards the account's CAPTCHA lock, so the
// product spends at most one per token, ever. The attack: six `check` runs with a revoked token
// made six failed Basic attempts and locked the account.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { describe as desc, expectNoSecrets, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { ALICE, pushFixture } from '../helpers/fixture.js';
import { guardedRepo } from './hostile-repo.js';
import { REFUSALS_FILE } from '../../src/bitbucket/refusals.js';
import { stateDir } from '../../src/settings.js';

const REVOKED = makeToken('400000000001');
const GOOD = makeToken('400000000002');
let emu: Emulator;
const outputs: string[] = [];

beforeAll(async () => {
  emu = await startEmulator({
    data: pushFixture(
      [
        { owner: { user: 'alice' }, name: 'gone', token: REVOKED, permissions: ['REPO_WRITE'], revoked: true },
        { owner: { user: 'alice' }, name: 'good', token: GOOD, permissions: ['REPO_WRITE'] },
      ],
      { users: [{ ...ALICE, displayName: 'Alice' }] }, // guardedRepo commits as Alice
    ),
  });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(outputs, [REVOKED, GOOD, Buffer.from(`alice:${REVOKED}`).toString('base64')]);
});

const host = () => new URL(emu.baseUrl).host;
const failedBasic = () => emu.log().filter((e) => e.auth === 'basic' && e.status === 401).length;

const repoWith = (sb: Sandbox, token: string) => guardedRepo(sb, emu.baseUrl, token);

describe('at most one failed Basic attempt per token', () => {
  it('six checks, then status and doctor, with a revoked token: one failed Basic attempt in all', async () => {
    const sb = makeSandbox();
    try {
      const work = await repoWith(sb, REVOKED);
      emu.clearLog();
      for (let i = 0; i < 6; i++) {
        const r = await runBin(sb, ['check'], '', { cwd: work });
        outputs.push(r.stdout, r.stderr);
        expect(r.stdout + r.stderr).toContain('refused the token');
        if (i > 0) expect(r.stdout + r.stderr).toContain('not tried again');
      }
      for (const cmd of [['status'], ['doctor']]) {
        const r = await runBin(sb, cmd, '', { cwd: work });
        outputs.push(r.stdout, r.stderr);
      }
      expect(failedBasic()).toBe(1);
      // the memory holds no form of the secret
      const memory = fs.readFileSync(path.join(stateDir(sb.env), REFUSALS_FILE), 'utf8');
      outputs.push(memory);
      expect(fs.statSync(path.join(stateDir(sb.env), REFUSALS_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      sb.cleanup();
    }
  });

  it('a new token is not held back by the old refusal', async () => {
    const sb = makeSandbox();
    try {
      const work = await repoWith(sb, REVOKED);
      outputs.push((await runBin(sb, ['check'], '', { cwd: work })).stderr);
      await runBin(sb, ['store'], desc({ protocol: 'http', host: host(), username: 'alice', password: GOOD }));
      const r = await runBin(sb, ['check'], '', { cwd: work });
      outputs.push(r.stdout, r.stderr);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(r.stdout + r.stderr).toContain('alice');
      expect(r.stdout + r.stderr).not.toContain('not tried again');
    } finally {
      sb.cleanup();
    }
  });
});
