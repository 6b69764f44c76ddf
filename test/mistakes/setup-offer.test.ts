/** login on a server git is not set up for: offers setup on a terminal, prints the command otherwise; doctor says so. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { runOnPty } from '../helpers/pty.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ context: '/bitbucket', secrets: [token] });
const { bin, git } = f;

describe('login without setup', () => {
  it('without a terminal: prints the setup command; doctor reports "token stored, git not set up"', async () => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `! git is not set up to use this token for ${f.emu.baseUrl} yet; run: git credential-bitbucket setup ${f.emu.baseUrl}`,
    );
    const doctor = await bin(['doctor', f.emu.baseUrl]);
    expect(doctor.exitCode).toBe(1);
    expect(doctor.stdout).toContain(`token stored, git not set up: git does not ask this helper for ${f.emu.baseUrl}`);
    expect(doctor.stdout).toContain(`git credential-bitbucket setup ${f.emu.baseUrl}`);

    expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
    const again = await bin(['login', f.emu.baseUrl, '--token-stdin'], `${token}\n`);
    expect(again.stderr).not.toContain('not set up');
    expect((await bin(['doctor', f.emu.baseUrl])).stdout).not.toContain('git not set up');
  });

  it('on a terminal: offers to run setup; yes sets git up and a clone works', async () => {
    const r = await runOnPty(
      f.sb,
      ['login', f.emu.baseUrl],
      [
        { wait: 'input is hidden', send: `${token}\r` },
        { wait: '[Y/n]', send: 'y\r' },
      ],
    );
    f.outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain(`git is not set up to use this token for ${f.emu.baseUrl}.`);
    expect(r.output).toMatch(/Updated .*gitconfig/);
    const clone = await git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, path.join(f.sb.dir, 'app')]);
    expect(clone.exitCode, clone.stderr).toBe(0);
  });
});
