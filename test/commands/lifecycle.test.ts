/**
 * The token lifecycle end to end, through the built binary and real git against the emulator:
 * login --create, rotate, logout --revoke, the guided web-UI path, the maximum-tokens path, a
 * wrong password, and renewal notices in `get`. The account password is scanned for in every
 * output, every file of the sandbox, and the argv of every git the program starts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa, execaSync } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stateDir } from '../../src/settings.js';
import { bearerStatus, useEmulatorSandbox } from '../helpers/fixture.js';
import { DECLINE_SETUP, runOnPty, type PtyStep } from '../helpers/pty.js';
import { BIN, expectNoSecrets } from '../helpers/sandbox.js';

const PASSWORD = 'alice-password';
const REAL_GIT = execaSync('sh', ['-c', 'command -v git']).stdout.trim();

const f = useEmulatorSandbox({ context: '/bb', secrets: [PASSWORD] });
beforeEach(() => {
  // every git our program starts goes through this shim, which records its argv
  const shim = path.join(f.sb.dir, 'shim');
  fs.mkdirSync(shim);
  fs.writeFileSync(
    path.join(shim, 'git'),
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${path.join(f.sb.dir, 'git-argv.log')}'\nexec '${REAL_GIT}' "$@"\n`,
    { mode: 0o755 },
  );
  f.sb.env.PATH = `${shim}:${f.sb.env.PATH ?? ''}`;
  f.emu.setFaults([]);
  f.emu.setSwitches({
    basicAuthDisabled: false,
    loginOptions: 'form',
    tokenMaxExpiryDays: 0,
    maxTokensPerOwner: 100,
    captchaThreshold: 5,
  });
  f.emu.clearCaptcha('alice');
  f.emu.clearLog();
});
afterEach(() => {
  // the password is in no file: store, settings, notices, git config, argv log
  expectNoSecrets(filesUnder(f.sb.dir), [PASSWORD]);
});

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(fs.readFileSync(p, 'latin1'));
  }
  return out;
}

function bin(args: string[], input = '') {
  expect(args.join(' ')).not.toContain(PASSWORD);
  return f.bin(args, input);
}
const pty = (args: string[], steps: PtyStep[]) => f.pty(args, args[0] === 'login' ? [...steps, DECLINE_SETUP] : steps);
const createLogin = (...extra: string[]) =>
  bin(['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin', ...extra], `${PASSWORD}\n`);
const stored = () =>
  (
    JSON.parse(fs.readFileSync(path.join(f.sb.dataDir, 'credentials.json'), 'utf8')) as {
      entries: Array<{ username?: string; secrets: { password?: string }; meta?: { tokenId?: string } }>;
    }
  ).entries;
const storedToken = () => stored()[0]?.secrets.password ?? '';
const failedBasic = () => f.emu.log().filter((l) => l.auth === 'basic' && l.status === 401).length;
const repo = () => `${f.emu.baseUrl}/scm/prj/app.git`;

const restStatus = (token: string) => bearerStatus(f.emu.baseUrl, token);

/** Clones PRJ/app with the helper configured, commits, and pushes: the stored token must work. */
async function pushWithStoredToken(): Promise<{ exitCode: number; stderr: string }> {
  await f.git(['config', '--global', 'credential.helper', BIN]);
  const work = path.join(f.sb.dir, `work-${Date.now()}`);
  const clone = await f.git(['clone', '-q', repo(), work]);
  expect(clone.exitCode, clone.stderr).toBe(0);
  const id = ['-c', 'user.email=alice@example.com', '-c', 'user.name=Alice'];
  await f.git([...id, 'commit', '-q', '--allow-empty', '-m', 'x'], { cwd: work });
  return f.git(['push', '-q', 'origin', 'HEAD:main'], { cwd: work });
}

describe('login --create', () => {
  it('creates a least-privilege 90-day token named for this machine, stores it, and git pushes with it', async () => {
    const r = await createLogin();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Created token "git-credential-bitbucket on .+" \(id \d{12}, created/);
    expect(r.stderr).toContain('[PROJECT_READ, REPO_WRITE]');
    expect(r.stderr).toMatch(/expiry: \d{4}-\d\d-\d\d \((89|90) days left\)/);
    expect(stored()).toHaveLength(1);
    expect(storedToken()).toMatch(/^BBDC-/);
    const push = await pushWithStoredToken();
    expect(push.exitCode, push.stderr).toBe(0);
    expect(fs.readFileSync(path.join(f.sb.dir, 'git-argv.log'), 'utf8')).not.toContain(PASSWORD);
  });

  it('creating again says that the token stored before still works on the server', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const first = stored()[0]?.meta?.tokenId ?? '';
    const r = await createLogin();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`The token stored before, ".+" \\(id ${first}\\), still works on the server .* \\(rotate replaces`),
    );
    expect(stored()).toHaveLength(1);
  });

  it('a wrong password costs exactly one failed Basic attempt, is not retried, and creates nothing', async () => {
    const before = f.emu.log().length;
    const r = await bin(['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin'], 'wrong-pw\n');
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/refused the username or password \(one failed attempt; not retried/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('wrong-pw');
    expect(failedBasic()).toBe(1);
    expect(
      f.emu
        .log()
        .slice(before)
        .filter((l) => l.auth === 'basic'),
    ).toHaveLength(1);
    expect(fs.existsSync(path.join(f.sb.dataDir, 'credentials.json')) ? stored() : []).toEqual([]);
  });

  it('refuses bad permissions before sending anything', async () => {
    const r = await createLogin('--permissions', 'PROJECT_WRITE,REPO_READ');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--permissions: REPO_READ is below PROJECT_WRITE/);
    expect(f.emu.log()).toEqual([]);
  });

  it("lowers the expiry to the server's enforced maximum", async () => {
    f.emu.setSwitches({ tokenMaxExpiryDays: 30 });
    const r = await createLogin();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain('at most 30 days');
    expect(r.stderr).toMatch(/\((29|30) days left\)/);
    const explicit = await createLogin('--expiry-days', '60');
    expect(explicit.exitCode).toBe(1);
    expect(explicit.stderr).toMatch(/refused to create the token: .*30 days/);
  });

  it('asks for the password on a terminal without echoing it, and offers the known username', async () => {
    const r = await pty(
      ['login', `http://alice@${new URL(f.emu.baseUrl).host}/bb`, '--create'],
      [
        { wait: 'Username [alice]', send: '\r' },
        { wait: 'input is hidden', send: `${PASSWORD}\r` },
      ],
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toContain('Logged in to');
    expect(stored()).toHaveLength(1);
  });
});

describe('the maximum number of tokens', () => {
  const fill = async () => {
    const count = (
      (await (
        await fetch(`${f.emu.baseUrl}/rest/access-tokens/1.0/users/alice?limit=1000`, {
          headers: { Authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` },
        })
      ).json()) as { size: number }
    ).size;
    f.emu.setSwitches({ maxTokensPerOwner: count });
    f.emu.clearLog();
  };

  it('without a terminal: lists the tokens and says which to revoke', async () => {
    await fill();
    const r = await createLogin();
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('already has the maximum number of tokens');
    expect(r.stderr).toMatch(/1\. ".+" \(id \d{12}, created \d{4}-\d\d-\d\d, last used (never|\d{4}-\d\d-\d\d)\)/);
    expect(r.stderr).toMatch(
      /revoke one at .*\/plugins\/servlet\/access-tokens\/users\/alice\/manage \(the least recently used is/,
    );
    expect(failedBasic()).toBe(0);
  });

  it('on a terminal: revokes the one picked, then creates the token', async () => {
    await fill();
    const r = await pty(
      ['login', f.emu.baseUrl, '--create', '--username', 'alice'],
      [
        { wait: 'input is hidden', send: `${PASSWORD}\r` },
        { wait: 'Revoke which one', send: '1\r' },
      ],
    );
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/Revoked ".+" \(id \d{12}/);
    expect(r.output).toContain('Logged in to');
  });
});

describe('where a password cannot be used', () => {
  it('SSO only: says so before asking for a password, guides to the token page, reads the pasted token', async () => {
    f.emu.setSwitches({ loginOptions: 'idp' });
    const pasted = f.emu.addToken({
      owner: { user: 'alice' },
      name: 'made in the UI',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
    });
    const r = await pty(
      ['login', f.emu.baseUrl, '--create', '--username', 'alice'],
      [{ wait: 'Paste the new token', send: `${pasted.token}\r` }],
    );
    f.outputs.push(r.output.replace(pasted.token, ''));
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/identity provider \(SSO\), so there is no account password to send\./);
    expect(r.output).not.toContain('Password for');
    expect(r.output).toContain(`${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`);
    expect(r.output).toContain('permissions: Project read (PROJECT_READ), Repository write (REPO_WRITE)');
    expect(r.output).toContain('expiry: 90 days');
    expect(storedToken()).toBe(pasted.token);
    expect(f.emu.log().filter((l) => l.auth === 'basic')).toEqual([]);
  });

  it('Basic disabled (403): one line, then the guided path; without a terminal, the command for scripts', async () => {
    f.emu.setSwitches({ basicAuthDisabled: true });
    const r = await createLogin();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('does not accept passwords on its REST API (Basic is disabled: 403).');
    expect(r.stderr).toContain('Create the token in the web UI instead:');
    expect(r.stderr).toContain(`login ${f.emu.baseUrl} --token-stdin`);
  });

  it('CAPTCHA lock: says so and guides to the web UI instead of trying again', async () => {
    f.emu.setSwitches({ captchaThreshold: 0 });
    const r = await createLogin();
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('has locked alice behind a CAPTCHA');
    expect(r.stderr).toContain('Create the token in the web UI instead:');
    expect(f.emu.log().filter((l) => l.auth === 'basic')).toHaveLength(1);
  });

  it('rotate under SSO: the new token is pasted, stored, and the old one named for revocation', async () => {
    const first = await createLogin();
    expect(first.exitCode, first.stderr).toBe(0);
    const oldId = stored()[0]?.meta?.tokenId;
    f.emu.setSwitches({ loginOptions: 'idp' });
    const pasted = f.emu.addToken({
      owner: { user: 'alice' },
      name: 'pasted',
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
    });
    const r = await pty(['rotate', f.emu.baseUrl], [{ wait: 'Paste the new token', send: `${pasted.token}\r` }]);
    f.outputs.push(r.output.replace(pasted.token, ''));
    expect(r.exitCode, r.output).toBe(0);
    expect(storedToken()).toBe(pasted.token);
    expect(r.output).toMatch(new RegExp(`Now revoke the old token "git-credential-bitbucket on .+" \\(id ${oldId}`));
  });
});

describe('rotate', () => {
  it('replaces the stored token, revokes the old one (401), and the new one pushes', async () => {
    expect((await createLogin('--expiry-days', '20')).exitCode).toBe(0);
    const old = storedToken();
    const r = await bin(['rotate', repo(), '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/✓ Revoked the old token "git-credential-bitbucket on .+" \(id \d{12}, created/);
    expect(r.stderr).toMatch(/\((19|20) days left\)/); // the old one's expiry length
    const now = storedToken();
    expect(now).not.toBe(old);
    expect(stored()).toHaveLength(1);
    expect(await restStatus(old)).toBe(401);
    expect(await restStatus(now)).toBe(200);
    expect((await pushWithStoredToken()).exitCode).toBe(0);
    expect(failedBasic()).toBe(0);
  });

  it('when revoking the old token fails: the new one stays stored, the old one is named exactly', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const old = storedToken();
    const oldId = stored()[0]?.meta?.tokenId ?? '';
    f.emu.setFaults([{ kind: 'status', status: 500, method: 'DELETE', path: 'access-tokens' }]);
    const r = await bin(['rotate', f.emu.baseUrl, '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('The new token is stored, but the old token could not be revoked');
    expect(r.stderr).toMatch(
      new RegExp(
        `revoke "git-credential-bitbucket on .+" \\(id ${oldId}, created \\d{4}-\\d\\d-\\d\\d, last used .+\\) at ${f.emu.baseUrl}/plugins/servlet/access-tokens/users/alice/manage`,
      ),
    );
    expect(storedToken()).not.toBe(old);
    expect(await restStatus(storedToken())).toBe(200);
    expect(await restStatus(old)).toBe(200);
  });

  it('a wrong password: one failed attempt, nothing created, the old token kept', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const old = storedToken();
    f.emu.clearLog();
    const r = await bin(['rotate', f.emu.baseUrl, '--password-stdin'], 'nope\n');
    expect(r.exitCode).toBe(4);
    expect(failedBasic()).toBe(1);
    expect(f.emu.log().filter((l) => l.method === 'PUT')).toEqual([]);
    expect(storedToken()).toBe(old);
  });
});

describe('logout', () => {
  it('--revoke deletes the token on the server, then here', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const token = storedToken();
    const r = await bin(['logout', f.emu.baseUrl, '--revoke', '--password-stdin'], `${PASSWORD}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Revoked "git-credential-bitbucket on .+" \(id \d{12}\)/);
    expect(stored()).toEqual([]);
    expect(await restStatus(token)).toBe(401);
  });

  it('--revoke with a wrong password keeps the token stored', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const r = await bin(['logout', f.emu.baseUrl, '--revoke', '--password-stdin'], 'nope\n');
    expect(r.exitCode).toBe(4);
    expect(stored()).toHaveLength(1);
  });

  it('without --revoke says the token still works on the server and where to revoke it', async () => {
    expect((await createLogin()).exitCode).toBe(0);
    const token = storedToken();
    const r = await bin(['logout', f.emu.baseUrl]);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(
      /still works on the server .* revoke "git-credential-bitbucket on .+" \(id \d{12}\) at .*\/access-tokens\/users\/alice\/manage/,
    );
    expect(await restStatus(token)).toBe(200);
  });
});

/** The system git, and git 2.55 where it is built (../shared/tools/build-git.sh). */
const GITS = [REAL_GIT, '/root/.cache/git-builds/2.55.0/bin/git'].filter((g) => fs.existsSync(g));

describe.each(GITS)('renewal notices (%s)', (gitBin) => {
  const soon = async (days: number) => {
    const t = f.emu.addToken({
      owner: { user: 'alice' },
      name: `soon-${days}`,
      permissions: ['PROJECT_READ', 'REPO_WRITE'],
      expiresAt: new Date(Date.now() + days * 86_400_000 + 3_600_000).toISOString(),
    });
    const r = await bin(['login', f.emu.baseUrl, '--token-stdin'], `${t.token}\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    await f.git(['config', '--global', 'credential.helper', BIN]);
  };
  const interactive = () => {
    const env = { ...f.sb.env };
    delete env.GIT_TERMINAL_PROMPT;
    return env;
  };
  const lsRemote = (env: NodeJS.ProcessEnv) => runOnPty({ ...f.sb, env }, ['ls-remote', repo()], [], [gitBin]);
  const NOTICE =
    /the token for alice on .* expires on \d{4}-\d\d-\d\d \(in 3 days\); renew it with: git credential-bitbucket rotate /;

  it('appear on a terminal once a day, never without one or with GIT_TERMINAL_PROMPT=0', async () => {
    await soon(3);
    const quiet = await lsRemote(f.sb.env); // GIT_TERMINAL_PROMPT=0
    expect(quiet.exitCode, quiet.output).toBe(0);
    expect(quiet.output).not.toMatch(NOTICE);
    const piped = await execa(gitBin, ['ls-remote', repo()], { env: interactive(), extendEnv: false, reject: false });
    expect(piped.exitCode).toBe(0);
    expect(piped.stderr).not.toMatch(NOTICE);

    const first = await lsRemote(interactive());
    expect(first.exitCode, first.output).toBe(0);
    expect(first.output).toMatch(NOTICE);
    expect(first.output.match(/expires on/g)).toHaveLength(1);
    const second = await lsRemote(interactive());
    expect(second.output).not.toMatch(NOTICE);

    // the next day: the state file says the last look was yesterday
    const file = path.join(stateDir(f.sb.env), 'notices.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.keys(state).map((k) => [k, yesterday]))));
    expect((await lsRemote(interactive())).output).toMatch(NOTICE);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
  });

  it('follow bitbucket.expiryDays for the URL; status shows the same and --json carries daysLeft', async () => {
    await soon(3);
    await f.git(['config', '--global', `bitbucket.${f.emu.baseUrl}/.expiryDays`, '2']);
    expect((await lsRemote(interactive())).output).not.toMatch(NOTICE);
    const status = await bin(['status', f.emu.baseUrl]);
    expect(status.stdout).not.toContain('expires soon');
    const json = JSON.parse((await bin(['status', f.emu.baseUrl, '--json'])).stdout) as {
      accounts: Array<{ daysLeft: number; problems: string[] }>;
    };
    expect(json.accounts[0]).toMatchObject({ daysLeft: 3, problems: [] });
    await f.git(['config', '--global', '--unset', `bitbucket.${f.emu.baseUrl}/.expiryDays`]);
    const warned = await bin(['status', f.emu.baseUrl]);
    expect(warned.stdout).toContain(
      `the token expires soon: renew it with: git credential-bitbucket rotate ${f.emu.baseUrl}`,
    );
  });
});
