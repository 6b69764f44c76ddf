#!/usr/bin/env node
// The demo: a narrated session with a throwaway HOME and git config (never the user's).
// Today it shows git's credential round trips through the helper; each step is checked and
// the demo exits non-zero when one does not behave as narrated.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'git-credential-bitbucket.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-demo-'));
const env = {
  PATH: `${path.join(dir, 'bin')}${path.delimiter}${process.env.PATH}`,
  HOME: dir,
  XDG_CONFIG_HOME: path.join(dir, 'config'),
  XDG_DATA_HOME: path.join(dir, 'data'),
  GIT_CONFIG_GLOBAL: path.join(dir, 'gitconfig'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_CREDENTIAL_BITBUCKET_STORE: 'file',
};
fs.mkdirSync(path.join(dir, 'bin'));
fs.symlinkSync(BIN, path.join(dir, 'bin', 'git-credential-bitbucket'));
fs.writeFileSync(env.GIT_CONFIG_GLOBAL, '');

const token = `BBDC-demo${Math.random().toString(36).slice(2)}`;
let failed = 0;
const say = (s) => console.log(`\n${s}`);
function git(args, input) {
  const r = spawnSync('git', args, { env, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.replaceAll(token, '<token>'), err: r.stderr.replaceAll(token, '<token>') };
}
function check(ok, what) {
  console.log(`  ${ok ? 'ok' : 'FAILED'}: ${what}`);
  if (!ok) failed++;
}

say(`Throwaway HOME: ${dir}`);
say('1. Configure the helper for one host (host-scoped, other hosts keep their helpers):');
git(['config', '--global', 'credential.https://127.0.0.1:7990.helper', '']);
git(['config', '--global', '--add', 'credential.https://127.0.0.1:7990.helper', 'bitbucket']);
console.log(git(['config', '--global', '--get-regexp', '^credential']).out.replace(/^/gm, '  '));

say('2. git approves a credential (as after a successful push): the helper stores it');
let r = git(['credential', 'approve'], `protocol=https\nhost=127.0.0.1:7990\nusername=alice\npassword=${token}\n\n`);
check(r.code === 0, 'git credential approve');
const file = path.join(dir, 'data', 'git-credential-bitbucket', 'credentials.json');
check(fs.existsSync(file) && (fs.statSync(file).mode & 0o777) === 0o600, `stored in ${file} with mode 0600`);

say('3. git asks for it again (as on the next push): answered with no prompt');
r = git(['credential', 'fill'], 'protocol=https\nhost=127.0.0.1:7990\n\n');
console.log(r.out.replace(/^/gm, '  '));
check(r.code === 0 && r.out.includes('username=alice') && r.out.includes('password=<token>'), 'git credential fill returns the stored token');

say('4. Another host is not answered by this helper');
r = git(['credential', 'fill'], 'protocol=https\nhost=127.0.0.2\n\n');
check(r.code !== 0 && !r.out.includes('<token>'), 'no token for another host (git would prompt)');

say('5. The server rejects the token: git erases it');
r = git(['credential', 'reject'], `protocol=https\nhost=127.0.0.1:7990\nusername=alice\npassword=${token}\n\n`);
r = git(['credential', 'fill'], 'protocol=https\nhost=127.0.0.1:7990\n\n');
check(r.code !== 0, 'the token is gone');

fs.rmSync(dir, { recursive: true, force: true });
say(failed ? `${failed} step(s) did not behave as narrated.` : 'Every step behaved as narrated.');
process.exit(failed ? 1 : 0);
