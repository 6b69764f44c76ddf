/** Ctrl-C at either prompt exits 130 with the terminal restored; the keyring fall-back notice is one line, once; status with nothing stored fails; a host name typed with capitals. */
import { describe, expect, it } from 'vitest';
import { BIN, runBin, runGit } from '../helpers/sandbox.js';
import { fixtureToken, useEmulatorSandbox } from '../helpers/fixture.js';
import { runOnPty } from '../helpers/pty.js';
import { parseServer } from '../../src/commands/shared/server.js';

// login recognises the server before the token prompt: that prompt needs one that answers
const f = useEmulatorSandbox();

describe('Ctrl-C', () => {
  it.each([
    ['the server URL prompt', (): string[] => ['login'], 'Bitbucket Server URL'],
    ['the hidden token prompt', (): string[] => ['login', f.emu.baseUrl], 'input is hidden'],
  ])('at %s exits 130, says cancelled, and leaves echo on', async (_name, args, prompt) => {
    const r = await runOnPty(f.sb, args(), [{ wait: prompt, send: '\x03' }]);
    expect(r.exitCode, r.output).toBe(130);
    expect(r.output).toMatch(/git-credential-bitbucket: cancelled/);
    expect(r.sttyAfter).toMatch(/(^|\s)echo(\s|$)/);
    expect(r.sttyAfter).toMatch(/(^|\s)icanon(\s|$)/);
  });
});

describe('the keyring fall-back notice', () => {
  it('is one line, once, in status and doctor', async () => {
    const env = { ...f.sb.env };
    delete env.GIT_CREDENTIAL_BITBUCKET_STORE;
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const box = { ...f.sb, env };
    const store = await runBin(box, ['store'], 'protocol=https\nhost=127.0.0.9\nusername=u\npassword=p\n\n');
    expect(store.exitCode, store.stderr).toBe(0);
    const status = await runBin(box, ['status']);
    const notice = (status.stdout + status.stderr).split('\n').filter((l) => /keyring/i.test(l));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatch(/OS keyring not usable \(.*\): tokens are in .*credentials\.json \(mode 0600\)/);
    const doctor = await runBin(box, ['doctor', 'https://127.0.0.9']);
    expect((doctor.stdout + doctor.stderr).split('\n').filter((l) => /keyring.*not usable/i.test(l))).toHaveLength(1);
  });
});

describe('status with nothing stored', () => {
  // `status URL` in a script means "is there a working token for this server": none is a no
  it('for a URL, or at all: says so in one line, exits 1, and --json says ok: false', async () => {
    for (const args of [['status', f.emu.baseUrl], ['status']]) {
      const human = await runBin(f.sb, args);
      expect(human.exitCode, human.stderr).toBe(1);
      expect(human.stdout.trim().split('\n')).toHaveLength(1);
      expect(human.stdout).toMatch(/^No tokens stored/);
      expect(human.stderr).not.toMatch(/\n.*\n|at .*\.js/);
      const json = await runBin(f.sb, [...args, '--json']);
      expect(json.exitCode, json.stderr).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, accounts: [] });
    }
  });
});

describe('a server URL typed with capitals', () => {
  // DNS names are case-insensitive; git asks about the host as the remote URL spells it
  it('login stores the token for the lower-case host, and git fetches with it', async () => {
    const upper = f.emu.baseUrl.replace('127.0.0.1', 'LocalHost');
    const lower = f.emu.baseUrl.replace('127.0.0.1', 'localhost');
    await runGit(f.sb, ['config', '--global', 'credential.helper', BIN]);
    const login = await runBin(f.sb, ['login', upper, '--token-stdin'], `${fixtureToken('alice-write')}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stdout + login.stderr).not.toContain('LocalHost');
    const listed = await runBin(f.sb, ['list', '--json']);
    expect(listed.stdout).toContain(`"host": "${new URL(lower).host}"`);
    const r = await runGit(f.sb, ['ls-remote', `${lower}/scm/prj/app.git`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('refs/heads/main');
    // a remote URL with capitals: git asks about "LocalHost:<port>", the same host
    const u = await runGit(f.sb, ['ls-remote', `${upper}/scm/prj/app.git`]);
    expect(u.exitCode, u.stderr).toBe(0);
    expect(u.stdout).toContain('refs/heads/main');
  });

  it("login with the scheme's default port written out stores the host without it", () => {
    expect(parseServer('http://127.0.0.1:80/bitbucket').host).toBe('127.0.0.1');
    expect(parseServer('https://BB.Example.com:443').baseUrl).toBe('https://bb.example.com');
    expect(parseServer('https://bb.example.com:8443').host).toBe('bb.example.com:8443');
  });
});
