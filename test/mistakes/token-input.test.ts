/**
 * A token is trimmed however it arrives (prompt, --token-stdin, a paste with spaces, tabs, CR,
 * extra newlines, zero-width characters) and then works with git; whitespace, a control
 * character or any other character outside printable ASCII inside it is a usage error naming
 * the position, before anything is sent or stored; so are quotes around it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { DECLINE_SETUP, runOnPty } from '../helpers/pty.js';

const token = fixtureToken('alice-write');
const f = useEmulatorSandbox({ secrets: [token, token.slice(4, 24)] });
const { bin, git } = f;
beforeEach(() => f.emu.clearLog());

const storeFile = () => path.join(f.sb.dataDir, 'credentials.json');

/** The stored token works with git: a real clone through the helper. */
async function cloneWorks(): Promise<void> {
  expect((await bin(['setup', f.emu.baseUrl])).exitCode).toBe(0);
  const r = await git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, path.join(f.sb.dir, 'app')]);
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('--token-stdin', () => {
  it.each([
    ['a trailing space', `${token} \n`],
    ['a leading space', ` ${token}\n`],
    ['two trailing newlines', `${token}\n\n`],
    ['CRLF', `${token}\r\n`],
    ['tabs around it', `\t${token}\t\n`],
  ])('%s is trimmed: logged in with name, permissions and expiry, and git can use it', async (_name, input) => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], input);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Logged in to .* as alice \(Alice Example\)/);
    expect(r.stderr).toMatch(/\[PROJECT_READ, REPO_WRITE\]/);
    expect(r.stderr).toContain('2099-01-01');
    await cloneWorks();
  });

  it.each([
    ['a zero-width space after it', `${token}\u200b\n`],
    ['a byte order mark before it (a file saved by an editor)', `\ufeff${token}\n`],
    ['zero-width joiners, non-joiners and word joiners around it', `\u200d\u2060${token}\u200c \u200b\n`],
  ])('%s is trimmed like whitespace: logged in, and git can use it', async (_name, input) => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], input);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Logged in to .* as alice \(Alice Example\)/);
    await cloneWorks();
  });

  it.each([
    [
      'a zero-width space',
      `${token.slice(0, 12)}\u200b${token.slice(12)}\n`,
      new RegExp(`has a zero-width character \\(U\\+200B\\) at position 13 of ${token.length + 1};`),
    ],
    [
      'a byte order mark',
      `${token.slice(0, 2)}\ufeff${token.slice(2)}\n`,
      new RegExp(`has a zero-width character \\(U\\+FEFF\\) at position 3 of ${token.length + 1};`),
    ],
    [
      'a letter outside ASCII',
      `${token.slice(0, 30)}\u00e9${token.slice(30)}\n`,
      new RegExp(`has a character outside printable ASCII \\(U\\+00E9\\) at position 31 of ${token.length + 1},`),
    ],
    [
      'a dash outside ASCII',
      `${token.slice(0, 8)}\u2014${token.slice(8)}\n`,
      new RegExp(`has a character outside printable ASCII \\(U\\+2014\\) at position 9 of ${token.length + 1},`),
    ],
    [
      'a character outside the basic plane',
      `${token.slice(0, 4)}\u{1F511}${token.slice(4)}\n`,
      new RegExp(`has a character outside printable ASCII \\(U\\+1F511\\) at position 5 of ${token.length + 1},`),
    ],
    [
      'a space',
      `${token.slice(0, 10)} ${token.slice(10)}\n`,
      new RegExp(`has a space at position 11 of ${token.length + 1};`),
    ],
    [
      'a tab',
      `${token.slice(0, 5)}\t${token.slice(5)}\n`,
      new RegExp(`has a tab at position 6 of ${token.length + 1};`),
    ],
    [
      'a line break',
      `${token.slice(0, 20)}\n${token.slice(20)}\n`,
      new RegExp(`has a line break at position 21 of ${token.length + 1};`),
    ],
    [
      'a control character',
      `${token.slice(0, 3)}\x07${token.slice(3)}`,
      /has a control character \(U\+0007\) at position 4/,
    ],
  ])('%s inside is a usage error naming the position; nothing is sent or stored', async (_name, input, message) => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], input);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/nothing was stored/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(storeFile())).toBe(false);
    expect(f.emu.log()).toEqual([]);
  });

  it.each([
    ['in double quotes (copied out of JSON)', `"${token}"\n`],
    ['in single quotes', `'${token}'\n`],
    ['in typographic quotes', `\u201c${token}\u201d\n`],
    ['as a JSON value with its comma', `"${token}",\n`],
  ])('%s is refused, not stripped: one line, before any request', async (_name, input) => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], input);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      'git-credential-bitbucket: the token is in quotes: paste it without them; nothing was stored',
    );
    expect(fs.existsSync(storeFile())).toBe(false);
    expect(f.emu.log()).toEqual([]);
  });

  it('a quotation mark inside (no Bitbucket token has one) is refused naming the position', async () => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], `${token.slice(0, 9)}"${token.slice(9)}\n`);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`has a quotation mark at position 10 of ${token.length + 1}, which no`));
    expect(f.emu.log()).toEqual([]);
  });

  it('only whitespace is "no token given" (exit 2)', async () => {
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], ' \n\n');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no token given/);
  });
});

describe('the hidden prompt on a terminal', () => {
  it('a paste with spaces and a tab around it logs in; git can use it', async () => {
    const r = await runOnPty(
      f.sb,
      ['login', f.emu.baseUrl],
      [{ wait: 'input is hidden', send: `  ${token} \t\r` }, DECLINE_SETUP],
    );
    f.outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/Logged in to .* as alice/);
    await cloneWorks();
  });

  it('a paste with zero-width characters around it logs in; one inside is a usage error naming it', async () => {
    const inside = await runOnPty(
      f.sb,
      ['login', f.emu.baseUrl],
      [{ wait: 'input is hidden', send: `${token.slice(0, 6)}\u200b${token.slice(6)}\r` }],
    );
    f.outputs.push(inside.output);
    expect(inside.exitCode, inside.output).toBe(2);
    expect(inside.output).toMatch(
      new RegExp(`has a zero-width character \\(U\\+200B\\) at position 7 of ${token.length + 1};`),
    );
    expect(fs.existsSync(storeFile())).toBe(false);

    const r = await runOnPty(
      f.sb,
      ['login', f.emu.baseUrl],
      [{ wait: 'input is hidden', send: `\u200b${token}\u2060\r` }, DECLINE_SETUP],
    );
    f.outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/Logged in to .* as alice/);
    await cloneWorks();
  });

  it('a space inside is a usage error naming the position', async () => {
    const r = await runOnPty(
      f.sb,
      ['login', f.emu.baseUrl],
      [{ wait: 'input is hidden', send: `${token.slice(0, 7)} ${token.slice(7)}\r` }],
    );
    f.outputs.push(r.output);
    expect(r.exitCode, r.output).toBe(2);
    expect(r.output).toMatch(new RegExp(`has a space at position 8 of ${token.length + 1};`));
    expect(fs.existsSync(storeFile())).toBe(false);
  });
});
