#!/usr/bin/env node
// The demo: a narrated session against the bundled Bitbucket Server emulator on 127.0.0.1, in a
// throwaway HOME with its own git config (never yours). Each step is checked; the demo exits
// non-zero when one does not behave as narrated.
//
//   npm run demo
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'git-credential-bitbucket.cjs');
const fixture = JSON.parse(fs.readFileSync(path.join(root, 'test/emulator/fixtures/demo.json'), 'utf8'));
const token = (name) => fixture.tokens.find((t) => t.name === name).token;
const TOKENS = fixture.tokens.map((t) => t.token);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-demo-'));
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  XDG_CONFIG_HOME: path.join(dir, 'config'),
  XDG_DATA_HOME: path.join(dir, 'data'),
  XDG_CACHE_HOME: path.join(dir, 'cache'),
  GIT_CONFIG_GLOBAL: path.join(dir, 'gitconfig'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0', // a prompt would mean the helper failed: make it an error instead
  GIT_CREDENTIAL_BITBUCKET_STORE: 'file',
  NO_COLOR: '1',
  LANG: 'C',
};
fs.writeFileSync(env.GIT_CONFIG_GLOBAL, '[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');

let failed = 0;
const say = (s) => console.log(`\n${s}`);
const redact = (s) => TOKENS.reduce((t, tok) => t.replaceAll(tok, '<token>'), s);
const indent = (s) => redact(s).trimEnd().replace(/^/gm, '    ');
function check(ok, what) {
  console.log(`  ${ok ? 'ok' : 'FAILED'}: ${what}`);
  if (!ok) failed++;
}
function run(cmd, args, { input, cwd = dir, extraEnv = {}, show = true } = {}) {
  const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, input, cwd, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (show && out.trim()) console.log(indent(out));
  return { code: r.status, out: redact(out), raw: out };
}
const tool = (args, opts) => run(process.execPath, [BIN, ...args], opts);
const git = (args, opts) => run('git', args, opts);

async function startEmulator() {
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'dist/emulator.mjs'),
      '--data',
      path.join(root, 'test/emulator/fixtures/demo.json'),
      '--port',
      '0',
      '--context',
      '/bitbucket',
      '--switch',
      'refuseReadOnlyPushAt=upload',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
  });
  return { child, baseUrl: JSON.parse(line).baseUrl };
}

const { child, baseUrl } = await startEmulator();
const stop = () => child.kill('SIGTERM');
process.on('exit', stop);
const cloneUrl = `${baseUrl}/scm/prj/app.git`;

try {
  say(`A Bitbucket Server emulator runs at ${baseUrl}; HOME is ${dir}.`);

  say('1. Wire git to the helper for this server only (other hosts keep their helpers):');
  check(tool(['setup', baseUrl]).code === 0, 'git credential-bitbucket setup');

  say("2. Log in with Alice's personal access token (read from stdin here; a terminal gets a hidden prompt):");
  check(
    tool(['login', baseUrl, '--token-stdin'], { input: `${token('alice-write')}\n` }).code === 0,
    'the server accepts the token; it is stored',
  );

  say('3. Clone over smart HTTP: git asks the helper, nobody is prompted');
  const work = path.join(dir, 'app');
  check(git(['clone', '-q', cloneUrl, work]).code === 0, 'git clone with no prompt');
  git(['config', 'user.name', 'Alice Example'], { cwd: work });
  git(['config', 'user.email', 'alice@example.com'], { cwd: work });

  say('4. Install the pre-push identity guard in the clone');
  check(tool(['hook', 'install'], { cwd: work }).code === 0, 'git credential-bitbucket hook install');

  say('5. Commit and push with the personal token: authenticated by the helper, checked by the guard');
  fs.writeFileSync(path.join(work, 'hello.txt'), 'hello from the demo\n');
  git(['add', '.'], { cwd: work });
  git(['commit', '-qm', 'Say hello'], { cwd: work });
  let r = git(['push', 'origin', 'main'], { cwd: work });
  check(r.code === 0, 'git push succeeds without a prompt');
  check(!/warning|blocked/i.test(r.out), 'the guard has nothing to say');

  say('6. A commit authored with another e-mail address: the guard flags it');
  git(['config', 'user.email', 'alice@personal.example'], { cwd: work });
  fs.appendFileSync(path.join(work, 'hello.txt'), 'from my other address\n');
  git(['commit', '-qam', 'Commit with a personal address'], { cwd: work });
  r = git(['push', 'origin', 'main'], { cwd: work });
  check(
    r.code === 0 && /alice@personal\.example/.test(r.out),
    'the push goes through, with the commit and the fix listed',
  );
  git(['config', 'user.email', 'alice@example.com'], { cwd: work });

  say(
    '7. The same push with a project access token (sent by git as an extra header): the guard warns about the bot identity',
  );
  fs.appendFileSync(path.join(work, 'hello.txt'), 'pushed with a project token\n');
  git(['commit', '-qam', 'Push with a project token'], { cwd: work });
  // The token travels in the environment (GIT_CONFIG_*), never in a command line.
  const bearer = {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${baseUrl}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token('prj-ci')}`,
  };
  r = git(['-c', 'bitbucket.projectToken=block', 'push', 'origin', 'main'], {
    cwd: work,
    extraEnv: bearer,
    show: false,
  });
  check(r.code !== 0 && /blocked/i.test(r.out), 'with bitbucket.projectToken=block the guard stops the push');
  r = git(['push', 'origin', 'main'], { cwd: work, extraEnv: bearer });
  check(
    r.code === 0 && /project or repository/i.test(r.out) && /bot identity/i.test(r.out),
    'by default: pushed, with a warning that Bitbucket records it under a generated bot user',
  );

  say("8. Switch to Alice's read-only token: the guard blocks the push before anything is uploaded");
  tool(['logout', baseUrl, '--username', 'alice']);
  tool(['login', baseUrl, '--token-stdin'], { input: `${token('alice-read')}\n` });
  fs.appendFileSync(path.join(work, 'hello.txt'), 'with a read-only token\n');
  git(['commit', '-qam', 'Try with a read-only token'], { cwd: work });
  r = git(['push', 'origin', 'main'], { cwd: work });
  check(r.code !== 0 && /REPO_WRITE/.test(r.out), 'blocked, naming the permission the token lacks');

  say('9. doctor explains the whole setup in one screen');
  tool(['logout', baseUrl, '--username', 'alice']);
  tool(['login', baseUrl, '--token-stdin'], { input: `${token('alice-write')}\n`, show: false });
  check(tool(['doctor', baseUrl], { cwd: work }).code === 0, 'doctor finds nothing broken');
} finally {
  stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

say(failed ? `${failed} step(s) did not behave as narrated.` : 'Every step behaved as narrated.');
console.log(`
To use it with your own server:
  ./install.sh
  git credential-bitbucket setup https://bitbucket.example.com --hook
  git credential-bitbucket login https://bitbucket.example.com
  git credential-bitbucket doctor`);
process.exit(failed ? 1 : 0);
