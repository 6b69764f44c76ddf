/**
 * setup checks the helper chain git builds for the server, not only its own key: a helper or a
 * reset read after its lines is dealt with (its lines move to the end of the file) or reported.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const URL_ = 'https://127.0.0.1:7990/bitbucket';
let sb: Sandbox;
beforeEach(() => void (sb = makeSandbox()));
afterEach(() => sb.cleanup());

const config = () => fs.readFileSync(sb.env.GIT_CONFIG_GLOBAL!, 'utf8');
const add = (key: string, value: string) => runGit(sb, ['config', '--global', '--add', key, value]);
/** Whether git, confirming a token for `url` (as after a push), hands it to `store` (~/.git-credentials). */
async function approved(url: string): Promise<boolean> {
  const token = 'BBDC-MTAwMDAwMDAwMDAxOgmV9g4a1pLP7N8T/4IYD1gm8JA6';
  const file = path.join(sb.home, '.git-credentials');
  fs.rmSync(file, { force: true });
  await runGit(sb, ['credential', 'approve'], `url=${url}\nusername=alice\npassword=${token}\n\n`);
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('alice');
}
/** What doctor says. */
const doctorChain = async () => (await runBin(sb, ['doctor', URL_])).stdout;

describe('setup and the helper chain git builds', () => {
  it('a reset and a helper added later in the file: setup moves its lines after them', async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add('credential.helper', '');
    await add('credential.helper', 'manager');
    expect(await doctorChain()).toContain(`this helper is not configured for ${URL_}; git asks: manager`);
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("'\"\"', 'manager' came after them, so git did not ask this helper");
    expect(config()).toContain(`[credential]\n\thelper = \n\thelper = manager\n[credential "${URL_}"]\n`);
    expect(await doctorChain()).toContain(`helper chain for ${URL_}: [!f()`);
    expect((await runBin(sb, ['setup', URL_])).stderr).toMatch(/nothing changed/);
  });

  it('a store helper added later would get the token: setup moves its lines after it', async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add('credential.helper', 'store');
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('git asked store after this helper');
    expect(r.stderr).not.toMatch(/warning/);
    expect(config().indexOf('helper = store')).toBeLessThan(config().indexOf(`[credential "${URL_}"]`));
  });

  it('its section also holds a setting of the user: reported with exit 1, the section stays', async () => {
    fs.writeFileSync(sb.env.GIT_CONFIG_GLOBAL!, `[credential "${URL_}"]\n\tusername = alice\n`);
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add('credential.helper', '');
    const before = config();
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`git does not ask this helper for ${URL_}`);
    expect(r.stderr).toContain('also holds settings of yours, so setup cannot move its lines');
    expect(config()).toBe(before);
  });

  it('a helper in a file included after its lines: exit 1, nothing changed', async () => {
    const other = path.join(sb.dir, 'other.gitconfig');
    fs.writeFileSync(other, '[credential]\n\thelper =\n\thelper = manager\n');
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add('include.path', other);
    const before = config();
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/it asks: manager\): they are read after .*\(another scope or an included file\)/);
    expect(r.stderr).not.toMatch(/nothing changed/);
    expect(config()).toBe(before);
  });

  it('a store helper in git\'s partial-URL form ([credential "host:port"]) added later: doctor warns, setup moves its lines after it', async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add('credential.127.0.0.1:7990.helper', 'store');
    expect(await doctorChain()).toContain("'store' runs after this helper and receives every token git confirms");
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("'store' came after them, so git asked store after this helper");
    expect(await approved(`${URL_}/scm/prj/app.git`)).toBe(false);
  });

  it('a store helper for a path under the server added later: doctor names the path, setup moves its lines after it, git no longer asks it', async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    await add(`credential.${URL_}/scm/prj.helper`, 'store');
    expect(await doctorChain()).toContain(
      `for repositories under ${URL_}/scm/prj: 'store' runs after this helper and receives every token git confirms: it copies it to a plain-text file`,
    );
    expect(await approved(`${URL_}/scm/prj/app.git`)).toBe(true);
    expect(await approved(`${URL_}/scm/other/app.git`)).toBe(false);
    const r = await runBin(sb, ['setup', URL_]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`so git asked store after this helper for repositories under ${URL_}/scm/prj`);
    expect(await doctorChain()).not.toContain('for repositories under');
    expect(await approved(`${URL_}/scm/prj/app.git`)).toBe(false);
  });

  it("a store helper for a path under the server in the repository's config: a warning naming the path, exit 0", async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    await runGit(sb, ['config', '--local', `credential.${URL_}/scm/prj/app.git.helper`, 'store'], '', { cwd: repo });
    const r = await runBin(sb, ['setup', URL_], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: for repositories under ${URL_}/scm/prj/app.git, git asks 'store' after this helper and hands it every token it confirms`,
    );
  });

  it("a helper after this one in the repository's config: a warning, exit 0", async () => {
    expect((await runBin(sb, ['setup', URL_])).exitCode).toBe(0);
    const repo = path.join(sb.dir, 'repo');
    await runGit(sb, ['init', '-q', repo]);
    await runGit(sb, ['config', '--local', 'credential.helper', 'store'], '', { cwd: repo });
    const r = await runBin(sb, ['setup', URL_], '', { cwd: repo });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/nothing changed/);
    expect(r.stderr).toContain(`warning: git asks 'store' after this helper for ${URL_}`);
  });
});
