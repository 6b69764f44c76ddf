/**
 * git's `store` of a token against a login, rotate or logout that retires it at the same moment
 * (src/credential/retired.ts): the command writes the record and the store under the record's
 * lock, so `store` must check the record and write under that lock too, or a store that read the
 * record just before the command wrote it puts the old token back over the new one.
 *
 * The interleaving is made exact, without sleeps: this process holds the record's lock (as the
 * command would), starts `store` as a real process of the built program, waits until that
 * process says it is waiting for the lock (or has ended, as it did when it took no lock), then
 * writes the record and lets go.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { withRetiredLock } from '../../src/credential/retired.js';
import { BIN, describe as desc, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';

const HOST = 'bb.example.com';
const OLD = 'BBDC-retiredRaceOLD0123456789abcdefghijklmnopq';
const NEW = 'BBDC-retiredRaceNEW0123456789abcdefghijklmnopq';
const as = (password: string) => desc({ protocol: 'https', host: HOST, username: 'alice', password });
const REFUSED =
  /^git-credential-bitbucket: store: not storing a token for bb\.example\.com that login, rotate or logout replaced or removed/m;

let sb: Sandbox;
afterEach(() => sb?.cleanup());

function storedPasswords(): string[] {
  const file = path.join(sb.dataDir, 'credentials.json');
  const entries = (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: Array<{ secrets: { password?: string } }> })
    .entries;
  return entries.map((e) => e.secrets.password ?? '');
}

describe('store and a command retiring the token it stores', () => {
  it('a store that reaches the record while the command holds its lock waits, then refuses the token retired meanwhile', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], as(NEW))).exitCode).toBe(0);
    let err = '';
    let ended = false;
    const child = await withRetiredLock(sb.dataDir, async (edit) => {
      const started = execa(process.execPath, [BIN, 'store'], {
        env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_TRACE: '1' },
        extendEnv: false,
        input: as(OLD),
        reject: false,
        cwd: sb.dir,
      });
      started.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      void started.finally(() => {
        ended = true;
      });
      while (!ended && !err.includes('waiting for the lock of the retired record'))
        await new Promise((r) => setTimeout(r, 10));
      // the command's write: the old token retired (the new one is stored already)
      edit({ protocol: 'https', host: HOST }, { retire: [OLD] });
      return { started };
    });
    const r = await child.started;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toMatch(REFUSED);
    expect(storedPasswords()).toEqual([NEW]);
    expect(String(r.stderr)).not.toContain(OLD);
  });

  it('a store of what is already stored writes nothing and takes no lock: it does not wait for a command', async () => {
    sb = makeSandbox();
    expect((await runBin(sb, ['store'], as(NEW))).exitCode).toBe(0);
    const r = await withRetiredLock(sb.dataDir, () =>
      runBin(sb, ['store'], as(NEW), { env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_TRACE: '1' } }),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('store: unchanged');
    expect(r.stderr).not.toContain('waiting for the lock');
    expect(storedPasswords()).toEqual([NEW]);
  });
});
