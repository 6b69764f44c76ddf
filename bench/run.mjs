#!/usr/bin/env node
// Benchmarks, one run on one machine, reported as ratios so that machines compare:
//   get (file backend) and get (OS keyring) against a bare `node -e ''` start and against
//   `git credential-store get`.
// Everything runs in a throwaway HOME with an isolated git config; the keyring phase runs on
// a private D-Bus session with its own GNOME keyring (skipped when those are not installed).
// Usage: npm run bench [-- --runs N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(root, 'bin', 'git-credential-bitbucket.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 40;
const keyringPhase = process.argv.includes('--keyring-phase');

const REQUEST = 'protocol=https\nhost=bench.invalid\n\n';
const STORE = 'protocol=https\nhost=bench.invalid\nusername=bench\npassword=bench-not-a-token\n\n';

function sandbox() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-bench-'));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config'),
    GIT_CONFIG_GLOBAL: path.join(dir, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1', GIT_CREDENTIAL_BITBUCKET_DIR: path.join(dir, 'store') };
  fs.writeFileSync(env.GIT_CONFIG_GLOBAL, '');
  return { dir, env };
}

function timeOnce(cmd, args, input, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { input, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, stdout: String(r.stdout) };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Times each named command RUNS times, interleaved so that drift hits them alike. */
function measure(cases) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const c of Object.values(cases)) timeOnce(...c); // warm-up
  for (let i = 0; i < RUNS; i++) for (const [k, c] of Object.entries(cases)) samples[k].push(timeOnce(...c).ms);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

function prepare(env, backend) {
  env.GIT_CREDENTIAL_BITBUCKET_STORE = backend;
  timeOnce(process.execPath, [BIN, 'store'], STORE, env);
  const got = timeOnce(process.execPath, [BIN, 'get'], REQUEST, env).stdout;
  if (!got.includes('password=')) throw new Error(`the ${backend} store did not answer`);
}

if (keyringPhase) {
  const { env } = sandbox();
  prepare(env, 'keyring');
  const m = measure({ keyring: [process.execPath, [BIN, 'get'], REQUEST, env], bare: [process.execPath, ['-e', ''], '', env] });
  process.stdout.write(JSON.stringify(m));
  process.exit(0);
}

const { dir, env } = sandbox();
prepare(env, 'file');
const credFile = path.join(dir, 'git-credentials');
timeOnce('git', ['credential-store', '--file', credFile, 'store'], STORE, env);
const results = measure({
  bare: [process.execPath, ['-e', ''], '', env],
  file: [process.execPath, [BIN, 'get'], REQUEST, env],
  gitStore: ['git', ['credential-store', '--file', credFile, 'get'], REQUEST, env],
});

let keyring;
const haveKeyring = spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { stdio: 'ignore' }).status === 0;
if (haveKeyring) {
  const kdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-bench-kr-'));
  fs.mkdirSync(path.join(kdir, 'run'), { mode: 0o700 });
  const kenv = { ...process.env, HOME: kdir, XDG_DATA_HOME: path.join(kdir, 'data'), XDG_RUNTIME_DIR: path.join(kdir, 'run') };
  const script = `printf 'bench' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "${process.execPath}" "${fileURLToPath(import.meta.url)}" --keyring-phase --runs ${RUNS}`;
  const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { env: kenv, encoding: 'utf8' });
  if (r.status === 0) keyring = JSON.parse(r.stdout);
  else console.error(`keyring phase failed: ${r.stderr.trim().split('\n').pop()}`);
  fs.rmSync(kdir, { recursive: true, force: true });
}
fs.rmSync(dir, { recursive: true, force: true });

const fmt = (ms) => `${ms.toFixed(1)} ms`;
const rows = [
  ['bare node -e \'\'', fmt(results.bare), '1.00x', '', ''],
  ['git credential-store get', fmt(results.gitStore), `${(results.gitStore / results.bare).toFixed(2)}x`, '', ''],
  ['get, file backend', fmt(results.file), `${(results.file / results.bare).toFixed(2)}x`, `${(results.file / results.gitStore).toFixed(1)}x`, '<= 1.10x'],
];
if (keyring) rows.push(['get, OS keyring', fmt(keyring.keyring), `${(keyring.keyring / keyring.bare).toFixed(2)}x`, `${(keyring.keyring / results.gitStore).toFixed(1)}x`, '<= 1.25x']);
console.log(`Median of ${RUNS} runs each, node ${process.version}, ${os.cpus().length} CPUs`);
console.log(['what', 'median', 'vs node start', 'vs credential-store', 'target'].join(' | '));
for (const r of rows) console.log(r.join(' | '));
