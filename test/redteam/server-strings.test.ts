// Issue 14 item 3 (the commands' part): what a server says reaches the terminal with its control
// characters made visible in `login`, `status`, `doctor` and `list`; `--json` keeps the exact
// value. The attack: a server whose names, token name, version or error messages carry escape
// sequences, C1 controls or bidirectional overrides sets the window title, plants a hyperlink,
// clears the screen or turns a line around.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../bitbucket/helpers.js';
import { makeToken } from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, runBin, runGit, type RunResult, type Sandbox } from '../helpers/sandbox.js';
import { fakeBitbucket } from './hostile-server.js';
import { visible } from '../../src/visible.js';
import { MAX_MESSAGE } from '../../src/bitbucket/server-values.js';

const TOKEN = makeToken('510000000001');
const OTHER = makeToken('510000000002');
/** Any character visible() must never let through (the line feed between lines aside). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** Escape sequences a terminal acts on: window title, hyperlink, clear screen, C1 CSI, next line. */
const ESCAPES = '\x1b]0;owned\x07\x1b]8;;http://127.0.0.1/x\x1b\\link\x1b]8;;\x1b\\\x1b[2J\x9b31m\x85';
/** Text a server may legitimately send (no C0/C1 control) that still turns a line around. */
const BIDI = '\u202egnp.exe\u2066x\u2069\u200f';
const NAME = `mallory${BIDI}`;
const DISPLAY = `Mallory ${BIDI}`;
const EMAIL = `mallory${BIDI}@example.com`;
const TOKEN_NAME = `deploy${BIDI}`;
const VERSION = `9.4.22${BIDI}`;
const REFUSAL = `Authentication failed${ESCAPES}${BIDI}`;

let server: TestServer;
let sb: Sandbox;
const outputs: string[] = [];

beforeAll(async () => {
  server = await startServer();
  sb = makeSandbox();
});
afterAll(async () => {
  await server.close();
  sb.cleanup();
  expectNoSecrets(outputs, [TOKEN, OTHER]);
});

async function run(args: string[], input = ''): Promise<RunResult> {
  const r = await runBin(sb, args, input);
  outputs.push(r.stdout, r.stderr);
  // every byte of human output: nothing a terminal would act on
  if (!args.includes('--json')) expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(CONTROL);
  else expect(r.stderr, args.join(' ')).not.toMatch(CONTROL);
  return r;
}

function hostile(extra: Parameters<typeof fakeBitbucket>[0] = {}) {
  return fakeBitbucket({
    username: NAME,
    user: { name: NAME, slug: 'mallory', displayName: DISPLAY, emailAddress: EMAIL },
    token: { id: 510000000001, name: TOKEN_NAME, permissions: ['REPO_WRITE'], createdDate: Date.now() },
    version: VERSION,
    ...extra,
  });
}

describe('server strings in human output', () => {
  it('login, status, doctor and list show names, token name and version visibly; --json keeps them exact', async () => {
    server.handler = hostile();
    const login = await run(['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain(visible(NAME));
    expect(login.stderr).toContain(visible(DISPLAY));
    expect(login.stderr).toContain(visible(TOKEN_NAME));

    const status = await run(['status']);
    expect(status.exitCode, status.stdout + status.stderr).toBe(0);
    for (const v of [NAME, DISPLAY, EMAIL, TOKEN_NAME, VERSION]) expect(status.stdout).toContain(visible(v));
    const json = JSON.parse((await run(['status', '--json'])).stdout) as {
      accounts: Array<{
        user: { name: string; displayName: string; email: string };
        tokenName: string;
        server: { version: string };
      }>;
    };
    expect(json.accounts[0]).toMatchObject({
      user: { name: NAME, displayName: DISPLAY, email: EMAIL },
      tokenName: TOKEN_NAME,
      server: { version: VERSION },
    });

    const doctor = await run(['doctor', server.url]);
    expect(doctor.stdout).toContain(`answers: Bitbucket ${visible(VERSION)}`);
    const findings = (
      JSON.parse((await run(['doctor', server.url, '--json'])).stdout) as { findings: Array<{ title: string }> }
    ).findings;
    expect(findings.map((f) => f.title)).toContain(`${server.url} answers: Bitbucket ${VERSION}`);

    const list = await run(['list']);
    expect(list.stdout).toContain(visible(NAME));
    const listed = JSON.parse((await run(['list', '--json'])).stdout) as { accounts: Array<{ username: string }> };
    expect(listed.accounts.map((a) => a.username)).toEqual([NAME]);
  });

  it("the server's error messages: status, doctor and login show them visibly; --json keeps them exact", async () => {
    server.handler = hostile({ accept: () => false, errorMessage: REFUSAL });
    const status = await run(['status']);
    expect(status.exitCode).not.toBe(0);
    const json = JSON.parse((await run(['status', '--json'])).stdout) as {
      accounts: Array<{ server: { accepted: boolean; message: string } }>;
    };
    expect(json.accounts[0]?.server.accepted).toBe(false);
    const message = json.accounts[0]!.server.message;
    // the check is meaningful only if the server's words are quoted at all
    expect(message).toContain(REFUSAL);
    expect(status.stdout).toContain(visible(REFUSAL));

    const doctor = await run(['doctor', server.url]);
    expect(doctor.stdout).toContain(visible(REFUSAL));
    const findings = (
      JSON.parse((await run(['doctor', server.url, '--json'])).stdout) as { findings: Array<{ title: string }> }
    ).findings;
    expect(findings.some((f) => f.title.includes(REFUSAL))).toBe(true);

    const login = await run(['login', server.url, '--token-stdin'], `${OTHER}\n`);
    expect(login.exitCode).not.toBe(0);
    expect(login.stderr).toContain(visible(REFUSAL));
  });

  it('a 200,000-character error message is quoted cut, with an ellipsis (login, status, doctor, check)', async () => {
    const fresh = makeSandbox();
    const huge = `Authentication failed: ${'x'.repeat(200_000)}`;
    try {
      const bin = async (args: string[], input = '', cwd?: string) => {
        const r = await runBin(fresh, args, input, cwd ? { cwd } : {});
        outputs.push(r.stdout, r.stderr);
        return r;
      };
      server.handler = fakeBitbucket({ username: 'alice' });
      expect((await bin(['login', server.url, '--token-stdin'], `${TOKEN}\n`)).exitCode).toBe(0);
      expect((await bin(['setup', server.url])).exitCode).toBe(0);
      const repo = path.join(fresh.dir, 'repo');
      await runGit(fresh, ['init', '-q', repo]);
      await runGit(fresh, ['-C', repo, 'remote', 'add', 'origin', `${server.url}/scm/prj/app.git`]);
      server.handler = fakeBitbucket({ username: 'alice', accept: () => false, errorMessage: huge });
      for (const [args, input, cwd] of [
        [['login', server.url, '--token-stdin'], `${OTHER}\n`],
        [['status']],
        [['status', '--json']],
        [['doctor', server.url]],
        [['check'], '', repo],
      ] as Array<[string[], string?, string?]>) {
        const r = await bin(args, input, cwd);
        const all = r.stdout + r.stderr;
        expect(all.length, args.join(' ')).toBeLessThan(8_000);
        expect(all, args.join(' ')).toContain(`Authentication failed: ${'x'.repeat(100)}`);
        expect(all, args.join(' ')).not.toContain('x'.repeat(MAX_MESSAGE));
        expect(all, args.join(' ')).toContain('…');
      }
    } finally {
      fresh.cleanup();
    }
  });

  it('names with escape sequences never reach the terminal, through any command', async () => {
    const fresh = makeSandbox();
    try {
      server.handler = fakeBitbucket({
        username: 'eve',
        user: { displayName: `Eve${ESCAPES}`, emailAddress: `eve${ESCAPES}@example.com` },
        token: { id: 510000000001, name: `t${ESCAPES}`, permissions: ['REPO_WRITE'], createdDate: Date.now() },
        version: `9.4.22${ESCAPES}`,
      });
      for (const [args, input] of [
        [['login', server.url, '--token-stdin'], `${TOKEN}\n`],
        [['status'], ''],
        [['doctor', server.url], ''],
        [['list'], ''],
      ] as Array<[string[], string]>) {
        const r = await runBin(fresh, args, input);
        outputs.push(r.stdout, r.stderr);
        expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(CONTROL);
      }
    } finally {
      fresh.cleanup();
    }
  });
});
