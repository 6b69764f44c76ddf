// Shared helpers for bench/run.mjs: throwaway HOMEs, timing, statistics, the emulator.
// Nothing here touches the user's HOME, git config or keyring, and nothing prints a token.
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(root, 'bin', 'git-credential-bitbucket.cjs');
export const FIXTURE = path.join(root, 'test', 'emulator', 'fixtures', 'demo.json');
const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
/** Every secret in the fixture: printed text goes through `redact` first. */
const SECRETS = [...fixture.tokens.map((t) => t.token), ...fixture.users.map((u) => u.password)].filter(Boolean);
export const token = (name) => fixture.tokens.find((t) => t.name === name).token;
export const redact = (s) => SECRETS.reduce((t, secret) => t.replaceAll(secret, '<redacted>'), String(s));

const cleanups = [];
/** Runs every registered cleanup once (emulators first, then temp dirs), even on failure. */
export function cleanupAll() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {
      // best effort
    }
  }
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    cleanupAll();
    process.exit(130);
  });

/** A temp directory removed at the end of the bench. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.unshift(() => fs.rmSync(dir, { recursive: true, force: true })); // dirs go last
  return dir;
}

let cleanEnv = true;
let extraEnv = {};
/**
 * By default children get PATH and nothing else from the caller (see README: node start);
 * `--caller-env` keeps the caller's environment (minus what `baseEnv` drops).
 */
export function useCleanEnv(on) {
  cleanEnv = on;
}
/** Variables every child gets on top (the second table: NODE_EXTRA_CA_CERTS). */
export function useExtraEnv(vars) {
  extraEnv = vars;
}

/**
 * PATH alone (the default), or with --caller-env the caller's environment minus everything that
 * could point a child at the user's own git config, repositories, stores, keyring or caches (git,
 * XDG, D-Bus, our own variables); plus the extra variables of the current table. What is kept
 * (e.g. NODE_EXTRA_CA_CERTS) reaches bare node and our tool alike, as it would when git runs them.
 */
export function baseEnv() {
  if (cleanEnv) return { PATH: process.env.PATH, ...extraEnv };
  const drop =
    /^(GIT_|XDG_|DBUS_|GNOME_KEYRING|SSH_AUTH_SOCK$|HOME$|NODE_OPTIONS$|NODE_DEBUG$|NODE_V8_COVERAGE$|http_proxy$|https_proxy$|HTTP_PROXY$|HTTPS_PROXY$|ALL_PROXY$|all_proxy$)/;
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.test(k))), ...extraEnv };
}

/**
 * A throwaway HOME with its own git config (GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM=1), data,
 * config and cache directories: neither the user's git config nor their stores are ever read.
 */
export function makeHome(prefix = 'gcb-bench-', extra = {}) {
  const dir = tempDir(prefix);
  const env = {
    ...baseEnv(),
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    XDG_CACHE_HOME: path.join(dir, 'cache'),
    GIT_CONFIG_GLOBAL: path.join(dir, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'false',
    GIT_CREDENTIAL_BITBUCKET_STORE: 'file',
    LANG: 'C',
    NO_COLOR: '1',
    ...extra,
  };
  fs.writeFileSync(
    env.GIT_CONFIG_GLOBAL,
    '[init]\n\tdefaultBranch = main\n[user]\n\tname = Alice Example\n\temail = alice@example.com\n[advice]\n\tdetachedHead = false\n',
  );
  return { dir, env };
}

/** Runs a command to completion; throws (with redacted output) unless it exits 0. */
export function run(cmd, args, { env, cwd, input, timeout = 120_000 } = {}) {
  const r = spawnSync(cmd, args, {
    env,
    cwd,
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(
      `${path.basename(cmd)} ${args.map((a) => redact(a)).join(' ')} failed: ${why}\n${redact(`${r.stdout}${r.stderr}`).trim().split('\n').slice(-6).join('\n')}`,
    );
  }
  return r;
}

export const git = (args, opts) => run('git', args, opts).stdout.trim();
export const tool = (args, opts) => run(process.execPath, [BIN, ...args], opts);

/**
 * CPU time (user + system, ms) of this process's waited-for children so far, from
 * /proc/self/stat (Linux; clock ticks of 10 ms); undefined elsewhere. The difference around
 * one run is that run's CPU time, whole processes included (sh, git, Node and its threads):
 * unlike wall time it hardly grows when other work competes for the CPU.
 */
export function childCpuMs() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[13]) + Number(f[14])) * 10; // cutime, cstime (fields 16 and 17)
  } catch {
    return undefined;
  }
}

/** Wall time of one run of a command, in ms; throws unless it exits 0. */
export function timeOnce({ cmd, args, env, cwd, input = '', check }) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    env,
    cwd,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0)
    throw new Error(
      `${path.basename(cmd)} ${args.map((a) => redact(a)).join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${redact(`${r.stdout}${r.stderr}`).trim()}`,
    );
  check?.(String(r.stdout), String(r.stderr));
  return ms;
}

/**
 * Times each case `runs` times, interleaved (a, b, c, a, b, c, …) so that drift and noise hit
 * them alike, after one untimed warm-up each. A case is a command (see timeOnce) or
 * `{ fn }`, an async function returning its own wall time in ms; `prep(i)` runs untimed before.
 */
export async function interleave(cases, runs, { warmup = 1 } = {}) {
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));
  const once = async (c, i) => {
    if (c.prep) await c.prep(i);
    return c.fn ? c.fn(i) : timeOnce(c);
  };
  for (let w = 0; w < warmup; w++) for (const c of Object.values(cases)) await once(c, -1 - w);
  for (let i = 0; i < runs; i++)
    for (const [k, c] of Object.entries(cases)) {
      if (c.prep) await c.prep(i); // its git commands are not the case's CPU time
      const before = childCpuMs();
      samples[k].push(await once({ ...c, prep: undefined }, i));
      const after = childCpuMs();
      // an in-process case ({ fn }) would count only the processes it starts: no figure
      const known = !c.fn && before !== undefined && after !== undefined && cpu[k] !== undefined;
      cpu[k] = known ? cpu[k] + after - before : undefined;
    }
  return Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [
      k,
      { ...stats(v), cpu: cpu[k] === undefined ? undefined : cpu[k] / runs },
    ]),
  );
}

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    min: s[0],
    max: s[s.length - 1],
    samples: xs,
  };
}

/**
 * The ratio of case `a` to its baseline `b`, timed in one interleave: the median of the
 * per-round ratios a_i / b_i. Each pair ran back to back, so the machine's speed of the moment
 * (another process, a slow spell of the virtual machine) cancels out of each ratio; on a shared
 * 2-core box that is a steadier figure than the ratio of the two medians, which pairs runs from
 * different moments.
 */
export function pairedRatio(a, b) {
  if (a.samples.length !== b.samples.length) throw new Error('pairedRatio: the cases were not timed together');
  return quantile(
    a.samples.map((x, i) => x / b.samples[i]).sort((p, q) => p - q),
    0.5,
  );
}

export const ms = (x) => `${x.toFixed(1)} ms`;
/** `median ms (IQR p25–p75, n)`: the spread shown next to every figure. */
export const spread = (st) =>
  `${ms(st.median)}  (IQR ${st.p25.toFixed(1)}–${st.p75.toFixed(1)}, min ${st.min.toFixed(1)}, n=${st.n}${st.cpu !== undefined ? `; CPU ${st.cpu.toFixed(1)} ms/run` : ''})`;
/** `, CPU 1.23x`: the same ratio in CPU time (mean per run), when it was measured. */
export const cpuRatio = (st, base) =>
  st.cpu !== undefined && base.cpu ? `; CPU ${(st.cpu / base.cpu).toFixed(2)}x` : '';

/** The machine's load while the bench ran: the 1-minute load average and the CPU count. */
export const machineLoad = () => `load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`;

/**
 * Starts the Bitbucket emulator CLI (dist/emulator.mjs) on 127.0.0.1 with the demo fixture;
 * stopped (SIGTERM) by cleanupAll, whatever happens.
 */
export async function startEmulator({ latency } = {}) {
  const args = [path.join(root, 'dist', 'emulator.mjs'), '--data', FIXTURE, '--port', '0', '--context', '/bitbucket'];
  if (latency) args.push('--latency', String(latency));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    if (stderr.length < 4000) stderr += d;
  });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  cleanups.push(stop);
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start within 20 s')), 20_000);
    readline.createInterface({ input: child.stdout }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code}): ${redact(stderr).trim()}`));
    });
  });
  const { baseUrl } = JSON.parse(line);
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(baseUrl)) throw new Error(`unexpected emulator address ${baseUrl}`);
  // Stop it once all the child's work is done, however the bench ends.
  child.unref();
  child.stdout.unref?.();
  child.stderr.unref?.();
  return {
    baseUrl,
    stop,
    /** The request log (no secrets in it), then cleared. */
    async takeLog() {
      const entries = JSON.parse(await admin('GET', `${baseUrl}/__emulator/log`));
      await admin('DELETE', `${baseUrl}/__emulator/log`);
      return entries;
    },
  };
}

/**
 * A throwaway HOME wired to `baseUrl` the way a user would do it: `setup` (our helper for this
 * server), `login` (alice's write token from stdin, file backend), a clone of PRJ/app with
 * the pre-push guard installed (`hook install`). Returns the home and the clone.
 */
export function userWithGuard(baseUrl, prefix) {
  const home = makeHome(prefix);
  const opts = { env: home.env, cwd: home.dir };
  tool(['setup', baseUrl], opts);
  tool(['login', baseUrl, '--token-stdin'], { ...opts, input: `${token('alice-write')}\n` });
  const url = `${baseUrl}/scm/prj/app.git`;
  const work = path.join(home.dir, 'work');
  git(['clone', '-q', url, work], opts);
  tool(['hook', 'install'], { env: home.env, cwd: work });
  return { ...home, url, work };
}

/** One new commit in `work` (a one-line change), returning its oid. */
export function commit(work, env, n) {
  fs.appendFileSync(path.join(work, 'bench.txt'), `change ${n}\n`);
  git(['add', 'bench.txt'], { env, cwd: work });
  git(['commit', '-q', '-m', `Bench change ${n}`], { env, cwd: work });
  return git(['rev-parse', 'HEAD'], { env, cwd: work });
}

/** One request to the emulator's admin API on a fresh connection (no keep-alive to go stale between phases). */
function admin(method, url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        res.statusCode < 300 ? resolve(body) : reject(new Error(`${method} ${url}: HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer`)));
    req.on('error', reject);
    req.end();
  });
}
