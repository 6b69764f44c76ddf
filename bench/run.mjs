#!/usr/bin/env node
// Benchmarks, one run on one machine, reported as ratios so that machines compare (see
// bench/README.md for what each figure means and how to read it):
//   1. `get` (file backend, OS keyring) against a bare `node -e ''` start and `git credential-store get`
//   2. the pre-push hook on a warm cache against a bare node start
//   3. the hook on a cold cache against the emulator with 50 ms added latency: round trips
//   4. the identity scan of a 100,000-commit push range against `git rev-list` over that range
//   5. a whole `git push` of one commit over HTTP: helper + guard against `git credential-store`
// Everything runs in throwaway HOMEs with an isolated git config, against the Bitbucket
// emulator on 127.0.0.1 (stopped at the end, even on failure). No token is ever printed.
// Usage: npm run bench [-- --runs N] [--only get,hook,cold,scan,push] [--caller-env]
// The figures run in a clean environment (PATH only); a second table repeats get, the warm
// hook and the whole push with NODE_EXTRA_CA_CERTS set, as on many corporate machines.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  BIN,
  baseEnv,
  cleanupAll,
  commit,
  cpuRatio,
  git,
  interleave,
  machineLoad,
  makeHome,
  ms,
  pairedRatio,
  redact,
  root,
  run,
  spread,
  startEmulator,
  tempDir,
  timeOnce,
  token,
  tool,
  useCleanEnv,
  useExtraEnv,
  userWithGuard,
} from './lib.mjs';

const argValue = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(argValue('--runs') ?? 50);
const ONLY = new Set((argValue('--only') ?? 'get,hook,cold,scan,push').split(','));
const CALLER = process.argv.includes('--caller-env');
useCleanEnv(!CALLER);
const LATENCY = 50;
const SCAN_COMMITS = 100_000;
const started = Date.now();
const NODE = process.execPath;
const BARE = { cmd: NODE, args: ['-e', ''] };

const REQUEST = 'protocol=https\nhost=bench.invalid\n\n';
const STORE = 'protocol=https\nhost=bench.invalid\nusername=bench\npassword=bench-not-a-token\n\n';

/** Phase 1 in a child: a private D-Bus session with its own unlocked GNOME keyring. */
if (process.argv.includes('--keyring-phase')) {
  const { env } = makeHome('gcb-bench-kr-home-', {
    DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS,
    XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR,
    GIT_CREDENTIAL_BITBUCKET_STORE: 'keyring',
  });
  prepareGet(env);
  const m = await interleave(
    { keyring: { cmd: NODE, args: [BIN, 'get'], input: REQUEST, env }, bare: { ...BARE, env } },
    RUNS,
  );
  process.stdout.write(JSON.stringify(m));
  process.exit(0);
}

function prepareGet(env) {
  tool(['store'], { env, input: STORE });
  if (!tool(['get'], { env, input: REQUEST }).stdout.includes('password='))
    throw new Error(`the ${env.GIT_CREDENTIAL_BITBUCKET_STORE} store did not answer`);
}

let table = []; // [what, median, ratio, target, met?, git credential-store]
/** The helper line `setup` writes (without its `!`), read back from a throwaway git config. */
const HELPER_LINE = (() => {
  const { env } = makeHome('gcb-bench-line-');
  tool(['setup', 'https://bench.invalid'], { env });
  const values = run('git', ['config', '--global', '--get-all', 'credential.https://bench.invalid.helper'], { env });
  return values.stdout.trim().split('\n').pop().replace(/^!/, '');
})();
/** The helper line as git runs a `!` helper: `sh -c '<line> "$@"' '<line>' <op>` (run-command.c). */
const helperLine = (op) => ({ cmd: 'sh', args: ['-c', `${HELPER_LINE} "$@"`, HELPER_LINE, op] });
const ACCOUNTS = 10_000;

/**
 * A store file of `n` accounts on 100 hosts, the one `REQUEST` asks for among them: `n - 1` written
 * here, the last stored through the program, so that the file is in the layout its writer makes.
 */
function writeAccounts(env, n) {
  const dir = env.GIT_CREDENTIAL_BITBUCKET_DIR ?? path.join(env.XDG_DATA_HOME, 'git-credential-bitbucket');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const entries = Array.from({ length: n - 1 }, (_, i) => ({
    protocol: 'https',
    host: `h${i % 100}.invalid`,
    username: `user${i}`,
    hasPassword: true,
    hasCredential: false,
    storedAt: 1_700_000_000_000 + i,
    meta: { baseUrl: `https://h${i % 100}.invalid`, userSlug: `user${i}`, kind: 'personal', authScheme: 'basic' },
    secrets: { password: `bench-not-a-token-${i}` },
  }));
  const file = path.join(dir, 'credentials.json');
  fs.writeFileSync(file, JSON.stringify({ version: 1, entries }), { mode: 0o600 });
  tool(['store'], { env, input: STORE });
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')).entries.length;
  if (stored !== n) throw new Error(`the store holds ${stored} accounts, not ${n}`);
}
const say = (s = '') => console.log(s);
const yes = (ok) => (ok ? 'yes' : 'NO');

async function benchGet({ keyring = true } = {}) {
  say('1. git credential get (stdin: protocol=https host=…), interleaved:');
  const { dir, env } = makeHome();
  prepareGet(env);
  const credFile = path.join(dir, 'git-credentials');
  run('git', ['credential-store', '--file', credFile, 'store'], { env, input: STORE });
  const m = await interleave(
    {
      bare: { ...BARE, env },
      file: { ...helperLine('get'), input: REQUEST, env },
      gitStore: { cmd: 'git', args: ['credential-store', '--file', credFile, 'get'], input: REQUEST, env },
    },
    RUNS,
  );
  say(`   bare node -e ''            ${spread(m.bare)}`);
  say(`   git credential-store get   ${spread(m.gitStore)}`);
  say(`   get, file backend          ${spread(m.file)}  (the helper line as git runs it: sh reading the front, Node)`);
  const rFile = pairedRatio(m.file, m.bare);
  table.push(["bare node -e ''", ms(m.bare.median), '1.00x', '', '', '']);
  table.push([
    'get, file backend',
    ms(m.file.median),
    `${rFile.toFixed(2)}x node start (+${(m.file.median - m.bare.median).toFixed(1)} ms)${cpuRatio(m.file, m.bare)}`,
    '<= 1.15x',
    yes(rFile <= 1.15),
    `${ms(m.gitStore.median)} = ${(m.gitStore.median / m.bare.median).toFixed(2)}x`,
  ]);

  const many = makeHome('gcb-bench-many-');
  writeAccounts(many.env, ACCOUNTS);
  if (!run('sh', helperLine('get').args, { env: many.env, input: REQUEST }).stdout.includes('password='))
    throw new Error(`the store of ${ACCOUNTS} accounts did not answer`);
  const manyCred = path.join(many.dir, 'git-credentials');
  const lines = Array.from({ length: ACCOUNTS }, (_, i) => `https://user${i}:x${i}@h${i % 100}.invalid\n`);
  lines[ACCOUNTS - 1] = 'https://bench:bench-not-a-token@bench.invalid\n'; // as writeAccounts
  fs.writeFileSync(manyCred, lines.join(''), { mode: 0o600 });
  const n = await interleave(
    {
      bare: { ...BARE, env: many.env },
      many: { ...helperLine('get'), input: REQUEST, env: many.env },
      gitStore: { cmd: 'git', args: ['credential-store', '--file', manyCred, 'get'], input: REQUEST, env: many.env },
    },
    RUNS,
  );
  say(`   get, ${ACCOUNTS.toLocaleString('en')} accounts        ${spread(n.many)}`);
  say(`   credential-store, same     ${spread(n.gitStore)}`);
  const rMany = pairedRatio(n.many, n.bare);
  table.push([
    `get, ${ACCOUNTS.toLocaleString('en')} stored accounts`,
    ms(n.many.median),
    `${rMany.toFixed(2)}x node start${cpuRatio(n.many, n.bare)}`,
    '<= 2x',
    yes(rMany <= 2),
    `${ms(n.gitStore.median)} = ${(n.gitStore.median / n.bare.median).toFixed(2)}x`,
  ]);

  if (!keyring) return;
  const haveKeyring =
    spawnSync('sh', ['-c', 'command -v dbus-run-session && command -v gnome-keyring-daemon'], { stdio: 'ignore' })
      .status === 0;
  if (!haveKeyring) {
    say('   get, OS keyring            skipped: dbus-run-session or gnome-keyring-daemon not installed');
    table.push(['get, OS keyring', 'skipped', '', '<= 1.25x', 'n/a', '']);
    return;
  }
  const kdir = tempDir('gcb-bench-kr-');
  fs.mkdirSync(path.join(kdir, 'run'), { mode: 0o700 });
  const kenv = {
    ...baseEnv(),
    HOME: kdir,
    XDG_DATA_HOME: path.join(kdir, 'data'),
    XDG_RUNTIME_DIR: path.join(kdir, 'run'),
    LANG: 'C',
  };
  const script = `printf 'bench' | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "${NODE}" "${fileURLToPath(import.meta.url)}" --keyring-phase --runs ${RUNS}${CALLER ? ' --caller-env' : ''}`;
  const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], {
    env: kenv,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    say(`   get, OS keyring            failed: ${redact(r.stderr).trim().split('\n').pop()}`);
    table.push(['get, OS keyring', 'failed', '', '<= 1.25x', 'n/a', '']);
    return;
  }
  const k = JSON.parse(r.stdout);
  say(`   bare node (keyring session) ${spread(k.bare)}`);
  say(`   get, OS keyring            ${spread(k.keyring)}`);
  const rKey = pairedRatio(k.keyring, k.bare);
  table.push([
    'get, OS keyring',
    ms(k.keyring.median),
    `${rKey.toFixed(2)}x node start (+${(k.keyring.median - k.bare.median).toFixed(1)} ms)${cpuRatio(k.keyring, k.bare)}`,
    '<= 1.25x',
    yes(rKey <= 1.25),
    '',
  ]);
}

/** git's pre-push stdin for one branch update. */
const pushLine = (localOid, remoteRef, remoteOid) => `refs/heads/main ${localOid} ${remoteRef} ${remoteOid}\n`;
const ZERO = '0'.repeat(40);
// The hook as git runs it: the installed script (which starts the git queries and Node at once).
const hookCase = (u, input, check) => ({
  cmd: path.join(u.work, '.git', 'hooks', 'pre-push'),
  args: ['origin', u.url],
  input,
  env: u.env,
  cwd: u.work,
  check,
});
const silent = (_out, err) => {
  if (err.trim()) throw new Error(`the hook printed: ${redact(err).trim()}`);
};
const cacheDir = (u) => path.join(u.env.XDG_CACHE_HOME, 'git-credential-bitbucket', 'prepush');

async function benchWarmHook(emu, u) {
  say('2. pre-push hook, warm cache (one branch update, 1 new commit, remote = emulator):');
  const oid = commit(u.work, u.env, 'warm');
  const input = pushLine(oid, 'refs/heads/main', git(['rev-parse', 'origin/main'], { env: u.env, cwd: u.work }));
  await emu.takeLog();
  timeOnce(hookCase(u, input, silent)); // the cold run that fills the cache
  const cold = (await emu.takeLog()).filter((e) => e.path.includes('/rest/')).length;
  if (!fs.readdirSync(cacheDir(u)).some((f) => f.endsWith('.json')))
    throw new Error('the cold hook run left no cache entry');
  const m = await interleave({ bare: { ...BARE, env: u.env }, hook: hookCase(u, input, silent) }, RUNS);
  const warmRequests = (await emu.takeLog()).length;
  say(`   bare node -e ''            ${spread(m.bare)}`);
  say(`   hook pre-push (warm)       ${spread(m.hook)}`);
  say(`   hook - bare node           ${ms(m.hook.median - m.bare.median)}`);
  say(`   requests to the server: cold run ${cold}, all ${RUNS + 1} warm runs ${warmRequests}`);
  if (warmRequests !== 0) throw new Error('the warm hook runs asked the server: the cache was not used');
  const r = pairedRatio(m.hook, m.bare);
  table.push([
    'hook pre-push, warm cache',
    ms(m.hook.median),
    `${r.toFixed(2)}x node start (+${(m.hook.median - m.bare.median).toFixed(1)} ms)${cpuRatio(m.hook, m.bare)}`,
    '<= 1.30x',
    yes(r <= 1.3),
    '(no hook)',
  ]);
  return m.bare;
}

/** Requests that arrive within `gap` ms of the previous one belong to the same wave (round trip). */
function waves(entries, gap = LATENCY / 2) {
  const times = entries.map((e) => e.time).sort((a, b) => a - b);
  let n = 0;
  for (let i = 0; i < times.length; i++) if (i === 0 || times[i] - times[i - 1] > gap) n++;
  return n;
}

async function benchColdHook() {
  say(`3. pre-push hook, cold cache, emulator with ${LATENCY} ms added to every request:`);
  const emu = await startEmulator({ latency: LATENCY });
  const u = userWithGuard(emu.baseUrl, 'gcb-bench-cold-');
  const oid = commit(u.work, u.env, 'cold');
  const input = pushLine(oid, 'refs/heads/main', git(['rev-parse', 'origin/main'], { env: u.env, cwd: u.work }));
  await emu.takeLog();
  const perRun = [];
  const runs = Math.max(5, Math.round(RUNS / 2));
  const m = await interleave(
    {
      cold: { ...hookCase(u, input, silent), prep: () => fs.rmSync(cacheDir(u), { recursive: true, force: true }) },
      warm: {
        ...hookCase(u, input, silent),
        prep: async () => {
          perRun.push(await emu.takeLog());
        },
      },
    },
    runs,
  );
  emu.stop();
  const rest = perRun.map((l) => l.filter((e) => e.path.includes('/rest/')));
  const requests = Math.max(...rest.map((l) => l.length));
  const wavesMax = Math.max(...rest.map((l) => waves(l)));
  const diff = m.cold.median - m.warm.median;
  say(`   hook pre-push (warm)       ${spread(m.warm)}`);
  say(`   hook pre-push (cold)       ${spread(m.cold)}`);
  say(`   cold - warm                ${ms(diff)} = ${(diff / LATENCY).toFixed(2)} round trips of ${LATENCY} ms`);
  say(
    `   requests per cold run: ${requests}, issued in ${wavesMax} wave(s) (requests less than ${LATENCY / 2} ms apart share a round trip)`,
  );
  const rt = diff / LATENCY;
  table.push([
    `hook, cold cache (+${LATENCY} ms/request): cold - warm`,
    ms(diff),
    `${rt.toFixed(2)} round trips, ${wavesMax} wave(s)`,
    '1 round trip',
    yes(wavesMax <= 1 && rt < 2),
    '',
  ]);
}

/** A git fast-import stream of `n` linear commits by a few authors (empty trees: rev-list never reads them). */
function fastImportStream(n) {
  const emails = ['alice@example.com', 'alice@personal.example', 'bob@example.com', 'ci@build.example'];
  const out = [];
  for (let i = 1; i <= n; i++) {
    const a = emails[i % 4];
    const c = emails[(i >> 3) % 4];
    const msg = `Change number ${i}\n`;
    out.push(
      `commit refs/heads/main\nmark :${i}\nauthor Dev ${i % 4} <${a}> ${1_700_000_000 + i} +0000\ncommitter Dev ${(i >> 3) % 4} <${c}> ${1_700_000_000 + i} +0000\ndata ${msg.length}\n${msg}${i > 1 ? `from :${i - 1}\n` : ''}\n`,
    );
  }
  return out.join('');
}

/** Wall time of a git command whose stdout is drained by this process (as the hook drains rev-list), GIT_FLUSH=0. */
function timeGitStream(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    // GIT_FLUSH=0 as the scan uses: the baseline gets git's fastest output path too.
    const child = spawn('git', args, { cwd, env: { ...env, GIT_FLUSH: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', () => {});
    child.stderr.on('data', () => {});
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e6)
        : reject(new Error(`git ${args[0]} exit ${code}`)),
    );
  });
}

async function benchScan(u) {
  say(`4. identity scan of a ${SCAN_COMMITS.toLocaleString('en')}-commit push range:`);
  const t0 = Date.now();
  const big = path.join(u.dir, 'big');
  git(['init', '-q', big], { env: u.env });
  run('git', ['fast-import', '--quiet'], { env: u.env, cwd: big, input: fastImportStream(SCAN_COMMITS) });
  git(['remote', 'add', 'origin', u.url], { env: u.env, cwd: big });
  tool(['hook', 'install'], { env: u.env, cwd: big });
  const tip = git(['rev-parse', 'refs/heads/main'], { env: u.env, cwd: big });
  say(
    `   repository built with git fast-import in ${((Date.now() - t0) / 1000).toFixed(1)} s (4 author/committer addresses, no commit-graph)`,
  );

  // The scan the hook runs, from src/prepush/identity.ts bundled on its own (same code as in dist/hook.cjs).
  const { build } = await import('esbuild');
  const out = path.join(tempDir('gcb-bench-scan-'), 'identity.cjs');
  await build({
    entryPoints: [path.join(root, 'src/prepush/identity.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.19',
    outfile: out,
    logLevel: 'warning',
  });
  const { scanPushedCommits } = createRequire(import.meta.url)(out);
  const updates = [{ localRef: 'refs/heads/main', localOid: tip, remoteRef: 'refs/heads/big', isDelete: false }];
  const opts = { cwd: big, env: u.env };
  const probe = await scanPushedCommits(updates, 'origin', u.url, opts);
  if (probe?.total !== SCAN_COMMITS)
    throw new Error(`the scan counted ${probe?.total ?? JSON.stringify(probe)} commits, not ${SCAN_COMMITS}`);
  const range = ['--ignore-missing', tip, '--not', '--remotes=origin'];
  const runs = Math.max(5, Math.round(RUNS / 4));
  const m = await interleave(
    {
      scan: {
        fn: async () => {
          const t = process.hrtime.bigint();
          await scanPushedCommits(updates, 'origin', u.url, opts);
          return Number(process.hrtime.bigint() - t) / 1e6;
        },
      },
      revList: { fn: () => timeGitStream(['rev-list', ...range], big, u.env) },
      count: { fn: () => timeGitStream(['rev-list', '--count', ...range], big, u.env) },
    },
    runs,
  );
  // And the whole hook on that push as git runs it (the installed script: its rev-list feeds the
  // same collector through a pipe; node start, config, store, cache, verdict), for scale.
  const input = pushLine(tip, 'refs/heads/big', ZERO);
  const hook = await interleave(
    {
      hook: {
        ...hookCase({ ...u, work: big }, input, (_o, err) => {
          if (!/\d+ commits to push/.test(err)) throw new Error(`unexpected hook output: ${redact(err)}`);
        }),
      },
    },
    Math.max(3, Math.round(RUNS / 10)),
    { warmup: 0 },
  );
  say(`   git rev-list --count       ${spread(m.count)}`);
  say(`   git rev-list               ${spread(m.revList)}`);
  say(`   identity scan (in-process) ${spread(m.scan)}`);
  say(`   whole hook on this push    ${spread(hook.hook)}`);
  const r = m.scan.median / m.revList.median;
  table.push([
    `identity scan, ${SCAN_COMMITS / 1000}k commits`,
    ms(m.scan.median),
    `${r.toFixed(2)}x git rev-list`,
    '<= 1.5x',
    yes(r <= 1.5),
  ]);
  table.push([
    '  (git rev-list --count, same range)',
    ms(m.count.median),
    `${(m.count.median / m.revList.median).toFixed(2)}x git rev-list`,
    '',
    '',
  ]);
  table.push([
    '  (whole hook, same push)',
    ms(hook.hook.median),
    `${(hook.hook.median / m.revList.median).toFixed(2)}x git rev-list`,
    '',
    '',
  ]);
}

async function benchPush(emu, u) {
  say('5. whole git push of one new commit over HTTP to the emulator:');
  // The other user: git credential-store with the same token, no hook.
  const s = makeHome('gcb-bench-store-');
  const credFile = path.join(s.dir, 'git-credentials');
  git(['config', '--global', 'credential.helper', `store --file=${credFile}`], { env: s.env });
  const host = new URL(emu.baseUrl).host;
  run('git', ['credential-store', '--file', credFile, 'store'], {
    env: s.env,
    input: `protocol=http\nhost=${host}\nusername=alice\npassword=${token('alice-write')}\n\n`,
  });
  s.work = path.join(s.dir, 'work');
  git(['clone', '-q', u.url, s.work], { env: s.env, cwd: s.dir });
  if (fs.existsSync(path.join(s.work, '.git', 'hooks', 'pre-push')))
    throw new Error('the credential-store clone has a pre-push hook');
  if (!fs.existsSync(path.join(u.work, '.git', 'hooks', 'pre-push')))
    throw new Error('the guarded clone has no pre-push hook');
  const quiet = (_o, err) => {
    if (/git-credential-bitbucket|blocked/.test(err)) throw new Error(`the push printed: ${redact(err).trim()}`);
  };
  const pushCase = (who, branch, n) => ({
    cmd: 'git',
    args: ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`],
    env: who.env,
    cwd: who.work,
    check: quiet,
    prep: (i) => commit(who.work, who.env, `${branch} ${n}${i}`),
  });
  await emu.takeLog();
  const runs = Math.max(5, Math.round(RUNS / 2));
  const m = await interleave(
    {
      bare: { ...BARE, env: u.env },
      ours: pushCase(u, 'bench-guarded', 'a'),
      store: pushCase(s, 'bench-store', 'b'),
    },
    runs,
  );
  const log = await emu.takeLog();
  const rest = log.filter((e) => e.path.includes('/rest/')).length;
  const unauthorized = log.filter((e) => e.status === 401).length;
  say(`   bare node -e ''            ${spread(m.bare)}`);
  say(`   push, credential-store     ${spread(m.store)}`);
  say(`   push, helper + guard       ${spread(m.ours)}`);
  say(
    `   REST requests during the ${2 * (runs + 1)} pushes: ${rest} (the guard answered from its cache); 401 challenges: ${unauthorized} (one per push, both kinds)`,
  );
  const diff = m.ours.median - m.store.median;
  const r = diff / m.bare.median;
  say(
    `   overhead                   ${ms(diff)} = ${r.toFixed(2)} node starts (Node starts twice: get and the hook; git's store of the same token ends in the helper line's sh front)`,
  );
  table.push([
    'whole push: helper + guard - credential-store',
    ms(diff),
    `${r.toFixed(2)}x node start${m.ours.cpu !== undefined && m.store.cpu !== undefined && m.bare.cpu ? `; CPU ${((m.ours.cpu - m.store.cpu) / m.bare.cpu).toFixed(2)}x` : ''}`,
    '<= 2.5x',
    yes(r <= 2.5),
    `push ${ms(m.store.median)}`,
  ]);
}

/** Runs the phases in `ONLY` with the current environment; the rows go to `table`. */
async function phases({ scan = true, cold = true, keyring = true } = {}) {
  if (ONLY.has('get')) {
    await benchGet({ keyring });
    say();
  }
  if (ONLY.has('hook') || (scan && ONLY.has('scan')) || ONLY.has('push')) {
    const emu = await startEmulator();
    const u = userWithGuard(emu.baseUrl, 'gcb-bench-user-');
    await benchWarmHook(emu, u);
    say();
    if (cold && ONLY.has('cold')) {
      await benchColdHook();
      say();
    }
    if (scan && ONLY.has('scan')) {
      await benchScan(u);
      say();
    }
    if (ONLY.has('push')) {
      await benchPush(emu, u);
      say();
    }
    emu.stop();
  } else if (cold && ONLY.has('cold')) {
    await benchColdHook();
    say();
  }
}

const HEAD = ['what', 'median', 'ratio', 'target', 'met?', 'git credential-store'];
function printTable(title, rows) {
  const widths = HEAD.map((_, i) => Math.max(...[HEAD, ...rows].map((r) => String(r[i] ?? '').length)));
  const line = (r) =>
    HEAD.map((_, i) => String(r[i] ?? '').padEnd(widths[i]))
      .join(' | ')
      .trimEnd();
  say(title);
  say(line(HEAD));
  say(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of rows) say(line(r));
  say();
}

/** The CA file of the second table: the caller's NODE_EXTRA_CA_CERTS, else the system bundle. */
function caBundle() {
  const candidates = [
    process.env.NODE_EXTRA_CA_CERTS,
    '/etc/ssl/certs/ca-certificates.crt',
    '/etc/pki/tls/certs/ca-bundle.crt',
  ];
  return candidates.find((f) => f && fs.existsSync(f));
}

let failed = false;
const tables = [];
try {
  say(
    `Benchmarks: node ${process.version}, ${spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${os.cpus().length} CPUs, ${RUNS} runs per figure unless noted; medians, interleaved runs. At the start: ${machineLoad()}.`,
  );
  const startUp = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'OPENSSL_CONF'].filter(
    (k) => baseEnv()[k] !== undefined,
  );
  say(
    !CALLER
      ? 'Environment: clean, children get PATH only (plus the throwaway HOME).'
      : `Environment: --caller-env, the caller's, minus git/XDG/D-Bus/proxy variables${startUp.length ? `; kept, and slowing every node start alike: ${startUp.join(', ')}` : ''}.`,
  );
  say();
  await phases();
  tables.push([CALLER ? "Caller's environment" : 'Clean environment (PATH only)', table]);
  const ca = caBundle();
  if (ca && !CALLER) {
    table = [];
    useExtraEnv({ NODE_EXTRA_CA_CERTS: ca });
    say(`Again with NODE_EXTRA_CA_CERTS=${ca} (bare node pays it; our helper line and hook hand it on):`);
    say();
    await phases({ scan: false, cold: false, keyring: false });
    tables.push([`With NODE_EXTRA_CA_CERTS=${ca} (a CA bundle, as on many corporate machines)`, table]);
  }
} catch (err) {
  failed = true;
  console.error(`bench failed: ${redact(err instanceof Error ? err.message : String(err))}`);
} finally {
  cleanupAll();
}

for (const [title, rows] of tables) printTable(title, rows);
say(
  `The get and warm-hook ratios are medians of per-round wall-time ratios (each run over the bare start next to it), the other figures come from wall-time medians (the targets are on wall time); "CPU" is the same ratio in CPU time per run (user + system of every process a run starts), which other work on the machine hardly changes. At the end: ${machineLoad()}.`,
);
say(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(failed ? 1 : 0);
