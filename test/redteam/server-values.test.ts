// Issue 14 item 4 (the boundary half): values a hostile server sends are checked where they
// enter. The attacks: `X-AUSERNAME: mallory%0Ax` was stored and made the whole store "corrupt";
// an expiry of 1e300 crashed login/status/list ("Invalid time value"); -1e300 passed as a date.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../bitbucket/helpers.js';
import { makeToken } from '../emulator/index.js';
import { describe as desc, expectNoSecrets, makeSandbox, ROOT, runBin, type Sandbox } from '../helpers/sandbox.js';
import { fakeBitbucket } from './hostile-server.js';

const TOKEN = makeToken('500000000001');
const OTHER = makeToken('500000000002');
let server: TestServer;
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
  for (const sb of sandboxes) sb.cleanup();
  expectNoSecrets(outputs, [TOKEN, OTHER]);
});

async function bin(sb: Sandbox, args: string[], input = '') {
  const r = await runBin(sb, args, input);
  outputs.push(args[0] === 'get' ? '' : r.stdout, r.stderr);
  return r;
}
function sandbox(): Sandbox {
  const sb = makeSandbox();
  sandboxes.push(sb);
  return sb;
}
const STACK = /\n\s+at |RangeError|Invalid time value/;

describe('hostile server values', () => {
  it('a user name with a line break is refused; the store stays usable for every host', async () => {
    const sb = sandbox();
    const other = desc({ protocol: 'https', host: '127.0.0.9', username: 'bob', password: OTHER });
    expect((await bin(sb, ['store'], other)).exitCode).toBe(0);
    server.handler = fakeBitbucket({ username: 'mallory\nx' });
    const r = await bin(sb, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/control characters/);
    expect(r.stderr).not.toMatch(STACK);
    const get = await runBin(sb, ['get'], desc({ protocol: 'https', host: '127.0.0.9' }));
    expect(get.stdout).toContain(`password=${OTHER}`);
    expect((await bin(sb, ['list'])).exitCode).toBe(0);
  });

  it.each([1e300, -1e300, Number.MAX_VALUE])('an expiry of %s neither crashes nor counts', async (value) => {
    const sb = sandbox();
    server.handler = fakeBitbucket({
      token: {
        id: 500000000001,
        name: 'x',
        permissions: ['REPO_WRITE'],
        createdDate: value,
        expiryDays: value,
        expiryDate: value,
      },
    });
    const login = await bin(sb, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    // ignored with a note, not silently: one line naming each dropped value
    const shown = String(value);
    const noted = (stderr: string, what: string) => {
      const notes = stderr.split('\n').filter((l) => l.startsWith('note: ignored what the server sent'));
      expect(notes, `${what}: ${stderr}`).toHaveLength(1);
      expect(notes[0]).toContain(`token expiryDate ${shown} (not a time in range)`);
      expect(notes[0]).toContain(`token expiryDays ${shown} (not a whole number of days from 0 to 100000)`);
    };
    noted(login.stderr, 'login');
    for (const args of [['status'], ['status', '--json'], ['list']]) {
      const r = await bin(sb, args);
      expect(r.stderr + r.stdout, args.join(' ')).not.toMatch(STACK);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      if (args[0] === 'status') noted(r.stderr, args.join(' '));
    }
    const json = JSON.parse((await bin(sb, ['status', '--json'])).stdout) as {
      accounts: Array<{ expiresAt: unknown }>;
    };
    expect(json.accounts[0]?.expiresAt).toBeNull();
  });

  it('a token name with control characters is ignored with a note; status --json has tokenName null', async () => {
    const sb = sandbox();
    server.handler = fakeBitbucket({
      token: { id: 500000000001, name: 'laptop\u001b]0;pwned\u0007', permissions: ['REPO_WRITE'] },
    });
    const login = await bin(sb, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain('token name "laptop\\x1b]0;pwned\\x07" (control characters)');
    const status = await bin(sb, ['status', '--json']);
    const json = JSON.parse(status.stdout) as { accounts: Array<{ tokenName: unknown }> };
    expect(json.accounts[0]?.tokenName).toBeNull();
    // the shape the README documents, key for key
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /### `status --json`[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const documented = JSON.parse(block) as { accounts: Array<Record<string, unknown>> };
    expect(Object.keys(json)).toEqual(Object.keys(documented));
    expect(Object.keys(json.accounts[0]!)).toEqual(Object.keys(documented.accounts[0]!));
  });

  it('a display name and an e-mail with control characters are ignored with a note', async () => {
    const sb = sandbox();
    server.handler = fakeBitbucket({
      user: { displayName: 'Alice\u001b]0;pwned\u0007', emailAddress: 'a@example.com\nX-Evil: 1' },
      token: { id: 500000000001, name: 'x', permissions: ['REPO_WRITE'] },
    });
    const login = await bin(sb, ['login', server.url, '--token-stdin'], `${TOKEN}\n`);
    expect(login.exitCode, login.stderr).toBe(0);
    const notes = login.stderr.split('\n').filter((l) => l.startsWith('note: ignored'));
    expect(notes, login.stderr).toHaveLength(1);
    expect(notes[0]).toContain('display name "Alice\\x1b]0;pwned\\x07" (control characters)');
    expect(notes[0]).toContain('e-mail address "a@example.com\\x0aX-Evil: 1" (control characters)');
    expect(login.stderr + login.stdout).not.toContain('\u001b');
  });
});
