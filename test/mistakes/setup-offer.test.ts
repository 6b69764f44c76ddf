/** login on a server git is not set up for: offers setup on a terminal, prints the command otherwise; doctor says so. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';
import { runOnPty } from '../helpers/pty.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = fixture.tokens!.find((t) => t.name === 'alice-write')!.token!;
const outputs: string[] = [];

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(outputs, [token]);
});
beforeEach(() => {
  sb = makeSandbox();
});
afterEach(() => sb.cleanup());

async function bin(args: string[], input = '') {
  const r = await runBin(sb, args, input);
  outputs.push(r.stdout, r.stderr);
  return r;
}

describe('login without setup', () => {
  it('without a terminal: prints the setup command; doctor reports "token stored, git not set up"', async () => {
    const r = await bin(['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `! git is not set up to use this token for ${emu.baseUrl} yet; run: git credential-bitbucket setup ${emu.baseUrl}`,
    );
    const doctor = await bin(['doctor', emu.baseUrl]);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toContain(`token stored, git not set up: git does not ask this helper for ${emu.baseUrl}`);
    expect(doctor.stdout).toContain(`git credential-bitbucket setup ${emu.baseUrl}`);

    expect((await bin(['setup', emu.baseUrl])).exitCode).toBe(0);
    const again = await bin(['login', emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(again.stderr).not.toContain('not set up');
    expect((await bin(['doctor', emu.baseUrl])).stdout).not.toContain('git not set up');
  });

  it('on a terminal: offers to run setup; yes sets git up and a clone works', async () => {
    const r = await runOnPty(
      sb,
      ['login', emu.baseUrl],
      [
        { wait: 'input is hidden', send: `${token}\r` },
        { wait: '[Y/n]', send: 'y\r' },
      ],
    );
    outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain(`git is not set up to use this token for ${emu.baseUrl}.`);
    expect(r.output).toMatch(/Updated .*gitconfig/);
    const clone = await runGit(sb, ['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, path.join(sb.dir, 'app')]);
    outputs.push(clone.stderr);
    expect(clone.exitCode, clone.stderr).toBe(0);
  });
});
