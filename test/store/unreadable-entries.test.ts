/**
 * One entry of the store file that is not in our format never hides the others
 * (src/store/storefile.ts): the built program, and real git through it, keep answering for the
 * rest, name the skipped entry (never its secret) in one stderr line per command, and write it
 * back byte for byte whenever the store changes.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, describe as desc, makeSandbox, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';
import { credentialsFile } from '../hardening/util.js';
import { entrySources } from '../../src/store/storefile.js';

const TOKEN = 'BBDC-goodTOKEN0123456789abcdefghijklmnopqrstuv';
const BAD_SECRET = 'BBDC-badSECRET0123456789abcdefghijklmnopqrst';

/** Entries the reader skips, each as written in the file (odd spacing and escapes on purpose). */
const BAD = [
  // a line break in the host: it would end git's answer early
  `{"protocol":"https","host":"x.example.com\\rhost=victim","username":"bob","hasPassword":true,"hasCredential":false,"storedAt":1,"secrets":{"password":"${BAD_SECRET}"}}`,
  // a secret that is not text
  `{ "protocol" : "https", "host":"y.example.com", "username":"carol", "hasPassword":true,"hasCredential":false,"storedAt":2e0,"secrets":{"password":42} }`,
  // not an object at all
  `"\\u0041 stray string"`,
];

const sandboxes: Sandbox[] = [];
afterAll(() => {
  for (const sb of sandboxes) sb.cleanup();
});

/** A store holding one good entry for bb.example.com and the bad ones between. */
async function mixedStore(): Promise<Sandbox> {
  const sb = makeSandbox();
  sandboxes.push(sb);
  const r = await runBin(
    sb,
    ['store'],
    desc({ protocol: 'https', host: 'bb.example.com', username: 'alice', password: TOKEN }),
  );
  expect(r.exitCode, r.stderr).toBe(0);
  const file = credentialsFile(sb);
  const good = JSON.stringify((JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: unknown[] }).entries[0]);
  fs.writeFileSync(file, `{"version":1,"entries":[${BAD[0]},\n  ${good} ,${BAD[1]},${BAD[2]}]}\n`, { mode: 0o600 });
  return sb;
}

const ask = (host: string) => desc({ protocol: 'https', host });

/** The one line naming the skipped entries: labels, no secret. */
function expectSkipNote(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l.includes('skipped'));
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/skipped 3 unreadable entries of \S+credentials\.json/);
  expect(lines[0]).toContain(
    'entry 1 (https://bob@x.example.com\\x0dhost=victim): a field contains a line break or NUL',
  );
  expect(lines[0]).toContain('entry 3 (https://carol@y.example.com): a secret is not text');
  expect(lines[0]).toContain('entry 4: not an object');
  expect(stderr).not.toContain(BAD_SECRET);
  expect(stderr).not.toContain(TOKEN);
}

function expectBadKept(sb: Sandbox): void {
  const text = fs.readFileSync(credentialsFile(sb), 'utf8');
  for (const raw of BAD) expect(text, raw).toContain(raw);
  expect(JSON.parse(text)).toMatchObject({ version: 1 });
}

describe('a store with unreadable entries keeps answering for the rest', () => {
  it('get answers from the good entry and names the others once; store and erase keep them byte for byte', async () => {
    const sb = await mixedStore();
    // get checks only the entries of the request's host (10,000 accounts): none of these is bad
    const get = await runBin(sb, ['get'], ask('bb.example.com'));
    expect(get.exitCode).toBe(0);
    expect(get.stdout).toContain(`password=${TOKEN}`);
    expect(get.stderr).toBe('');

    // a bad entry's own host gets nothing, and hears which entry was skipped (never its secret)
    const bad = await runBin(sb, ['get'], ask('y.example.com'));
    expect(bad.stdout).toBe('');
    expect(bad.exitCode).toBe(0);
    expect(bad.stderr).toMatch(
      /skipped 1 unreadable entry of \S+credentials\.json \(entry 3 \(https:\/\/carol@y\.example\.com\): a secret is not text\)/,
    );
    // with no answer, get looks at every entry to say why: all three named, in one line
    const none = await runBin(sb, ['get'], ask('nothing.example.com'));
    expect(none.stdout).toBe('');
    expectSkipNote(none.stderr);

    const store = await runBin(
      sb,
      ['store'],
      desc({ protocol: 'https', host: 'new.example.com', username: 'dave', password: 'BBDC-newTOKEN0123456789' }),
    );
    expect(store.exitCode, store.stderr).toBe(0);
    expectSkipNote(store.stderr);
    expectBadKept(sb);
    expect((await runBin(sb, ['get'], ask('new.example.com'))).stdout).toContain('password=BBDC-newTOKEN0123456789');

    const erase = await runBin(sb, ['erase'], ask('bb.example.com'));
    expect(erase.exitCode, erase.stderr).toBe(0);
    expectBadKept(sb);
    expect((await runBin(sb, ['get'], ask('bb.example.com'))).stdout).toBe('');
    expect((await runBin(sb, ['get'], ask('new.example.com'))).stdout).toContain('password=BBDC-newTOKEN0123456789');
  });

  it('list shows the good entries and names the skipped ones', async () => {
    const sb = await mixedStore();
    const r = await runBin(sb, ['list']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('bb.example.com');
    expectSkipNote(r.stderr);
  });

  // with git 2.55 first in PATH in the git lane (test/run-git-lane.sh)
  it('real git: fill gets the good token; approve stores beside the bad entries and names them once', async () => {
    const sb = await mixedStore();
    await runGit(sb, ['config', '--global', 'credential.helper', `!'${process.execPath}' '${BIN}'`]);
    const fill = await runGit(sb, ['credential', 'fill'], 'protocol=https\nhost=bb.example.com\n\n');
    expect(fill.exitCode, fill.stderr).toBe(0);
    expect(fill.stdout).toContain(`password=${TOKEN}`);
    const approve = await runGit(
      sb,
      ['credential', 'approve'],
      'protocol=https\nhost=git.example.com\nusername=erin\npassword=BBDC-approvedTOKEN0123456789\n\n',
    );
    expect(approve.exitCode, approve.stderr).toBe(0);
    expectSkipNote(approve.stderr);
    expectBadKept(sb);
    const again = await runGit(sb, ['credential', 'fill'], 'protocol=https\nhost=git.example.com\n\n');
    expect(again.stdout).toContain('password=BBDC-approvedTOKEN0123456789');
  });
});

describe('entrySources: the exact text of each entry', () => {
  it.each([
    ['{"version":1,"entries":[1, {"a":[1,2]} ,"x,]"]}', ['1', '{"a":[1,2]}', '"x,]"']],
    ['{"entries":[{"k":"\\"]"}],"version":1}', ['{"k":"\\"]"}']],
    ['{"other":{"entries":[9]},"entries":[ ]}', []],
    ['{"entries":[1],"entr\\u0069es":[2, 3]}', ['2', '3']],
    ['{"version":1}', undefined],
  ])('%s', (text, expected) => {
    expect(entrySources(text)).toEqual(expected);
  });
});
