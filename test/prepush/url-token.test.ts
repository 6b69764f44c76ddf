/**
 * A token written into the URL pushed to (`git push https://user:token@host/...`, common in CI):
 * git hands the guard that URL as the remote's name too. The guard still checks that token (it is
 * what git sends), but the name it traces and reports, and `check`'s text and JSON, never hold
 * it: not as written, not percent-encoded.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALICE, pushFixture, useEmulatorSandbox } from '../helpers/fixture.js';
import { BIN, describe as desc, expectNoSecrets } from '../helpers/sandbox.js';
import { makeToken } from '../emulator/index.js';

const DAY = 86_400_000;
/** A token whose base64 holds both '+' and '/' (bytes 0xfbefbe and 0xffffff), which a URL must encode. */
const inUrl = `BBDC-${Buffer.concat([Buffer.from('300000000009:'), randomBytes(2), Buffer.from([0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff]), randomBytes(12)]).toString('base64')}`;
const stored = makeToken('300000000010');
/** Every way the URL's token could be written out: whole, percent-encoded (either case), and its runs between '+', '/' and '='. */
const encoded = encodeURIComponent(inUrl);
const SECRETS = [
  inUrl,
  encoded,
  encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  inUrl.replace(/\//g, '%2F'),
  ...inUrl.split(/[+/=]/).filter((run) => run.length >= 8),
  stored,
];

const f = useEmulatorSandbox({
  sandbox: 'file',
  secrets: SECRETS,
  data: pushFixture([
    // the URL's token expires tomorrow, the stored one never: a warning shows which one was checked
    {
      owner: { user: 'alice' },
      name: 'in-url',
      token: inUrl,
      permissions: ['REPO_WRITE'],
      expiresAt: new Date(Date.now() + DAY + 3_600_000).toISOString(),
    },
    { owner: { user: 'alice' }, name: 'stored', token: stored, permissions: ['REPO_WRITE'] },
  ]),
});

let work: string;
let traceFile: string;
const host = () => new URL(f.emu.baseUrl).host;
const urlWith = (password: string) => `http://alice:${password}@${host()}/scm/prj/app.git`;

beforeAll(async () => {
  expect(inUrl).toMatch(/\+.*\//);
  for (const [k, v] of [
    ['credential.helper', BIN],
    ['user.name', ALICE.displayName!],
    ['user.email', ALICE.email!],
    ['bitbucket.timeout', '60000'], // a loaded machine may need more than the default 3 s
  ])
    await f.git(['config', '--global', k!, v!]);
  const r = await f.bin(['store'], desc({ protocol: 'http', host: host(), username: 'alice', password: stored }));
  expect(r.exitCode, r.stderr).toBe(0);
  work = path.join(f.sb.dir, 'work');
  expect((await f.git(['clone', '-q', `${f.emu.baseUrl}/scm/prj/app.git`, work])).exitCode).toBe(0);
  const hook = await f.bin(['hook', 'install'], '', { cwd: work });
  expect(hook.exitCode, hook.stderr).toBe(0);
  traceFile = path.join(f.sb.dir, 'trace.log');
  f.sb.env.GIT_CREDENTIAL_BITBUCKET_TRACE = traceFile;
});

describe('a token in the URL pushed to', () => {
  it('a push: the guard checks that token and traces the URL without it', async () => {
    fs.writeFileSync(path.join(work, 'a.txt'), 'a\n');
    await f.git(['add', 'a.txt'], { cwd: work });
    await f.git(['commit', '-q', '-m', 'a'], { cwd: work });
    const url = urlWith(encoded);
    const r = await f.git(['push', url, 'HEAD:refs/heads/url-token'], { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: the token expires in 1 day');
    expect(r.stderr).not.toContain('rotate'); // rotate would replace the stored token, not this one
    const traced = fs.readFileSync(traceFile, 'utf8');
    f.outputs.push(traced);
    const shown = `http://alice@${host()}/scm/prj/app.git`;
    expect(traced).toContain(`guard: pre-push ${shown} ${shown}`);
    expect(traced).toContain(`guard: ${shown} ${f.emu.baseUrl}: policy`);
    expect(traced).toContain('guard: credential from remote URL, basic as alice');
    expectNoSecrets([traced, r.stdout, r.stderr], SECRETS);
  });

  it('check URL, in text and JSON: the same token checked, the URL shown without it', async () => {
    const url = urlWith(encoded);
    const text = await f.bin(['check', url], '', { cwd: work });
    expect(text.stdout).toContain(`(remote http://alice@${host()}/scm/prj/app.git)`);
    expect(text.stdout).toContain('the token expires in 1 day');
    const json = await f.bin(['check', '--json', url], '', { cwd: work });
    const parsed = JSON.parse(json.stdout) as { remote: { name: string; url: string }; credential: object };
    expect(parsed.remote).toMatchObject({
      name: `http://alice@${host()}/scm/prj/app.git`,
      url: `http://alice@${host()}/scm/prj/app.git`,
    });
    expect(parsed.credential).toMatchObject({ found: true, source: 'remote URL', username: 'alice' });
    const ssh = await f.bin(['check', `ssh://alice:${encoded}@${host()}/prj/app.git`], '', { cwd: work });
    expect(ssh.stdout).toContain(`ssh://alice@${host()}/prj/app.git is an SSH remote`);
    const traced = fs.readFileSync(traceFile, 'utf8');
    f.outputs.push(traced);
    expectNoSecrets([text.stdout, text.stderr, json.stdout, json.stderr, ssh.stdout, ssh.stderr, traced], SECRETS);
  });

  it("a '/' written as it is in the password: neither the hook nor check repeats it", async () => {
    const url = urlWith(inUrl);
    const head = (await f.git(['rev-parse', 'HEAD'], { cwd: work })).stdout.trim();
    const hook = await f.bin(['hook', 'pre-push', url, url], `HEAD ${head} refs/heads/x ${'0'.repeat(40)}\n`, {
      cwd: work,
    });
    expect(hook.exitCode, hook.stderr).toBe(0);
    const check = await f.bin(['check', url], '', { cwd: work });
    expect(check.stdout).toContain('is not a Bitbucket HTTP(S) remote');
    const json = await f.bin(['check', '--json', url], '', { cwd: work });
    const traced = fs.readFileSync(traceFile, 'utf8');
    f.outputs.push(traced);
    expectNoSecrets([hook.stdout, hook.stderr, check.stdout, check.stderr, json.stdout, json.stderr, traced], SECRETS);
  });
});
