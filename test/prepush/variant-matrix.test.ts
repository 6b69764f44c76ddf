/**
 * The variant matrix: every combination of the identity-related emulator switches
 * (docs/bitbucket-server.md section 12) times every kind of token, through every surface that
 * classifies a token: `check --json`, `status --json` and `login` in every cell, and a real
 * `git push` through the installed hook in a selection of the combinations (below). In every cell:
 * - the kind is right or `unknown`, never the other kind;
 * - a working token is never called invalid (nor "could not verify");
 * - a read-only token never passes as writable (the guard blocks its push before the upload);
 * - an unknown kind is reported at the projectToken policy's level: the matrix runs with
 *   `bitbucket.projectToken=block`, so such a push is blocked, as a project token's is;
 * - a dead token (revoked, expired) is never accepted, stored or pushed with.
 *
 * Why the push takes a selection: the hook decides with the same code `check` runs
 * (src/prepush/gather.ts: the server's answers, the classification, the verdict), and `check`
 * meets every combination; what only the push proves is git's side (the credential git sends,
 * the hook git runs, the guard's verdict stopping git before the upload) and the hook process
 * around that code. A push costs git, the helper, the hook's node and git http-backend, more than
 * the other three surfaces together, and was most of this file's time. So the matrix runs in two
 * passes: first `check`, `status` and `login` in every cell, noting the decision `check` reached
 * in each (kind, the docs/classifier.md row, writable, findings, exit code); then a push, with
 * every token kind, in
 * - a pairwise selection (test/helpers/pairwise.ts): every value of any switch meets every value
 *   of any other switch in at least one pushed combination (a test below checks that, pair by
 *   pair), so a fault of the push path that needs two switches, or one switch and a kind, to show
 *   is met; the first combination, the default switches, is among them;
 * - and every combination where `check` reached a decision for a kind that no pushed combination
 *   has yet: so every decision the guard takes in the matrix is also taken by the hook, through
 *   git, at least once (a classification broken in three switches' corner is pushed there).
 *
 * Speed: a few emulators (POOL), each taking switch combinations one after another and serving
 * the six token kinds of a combination at once; so never more than one emulator per combination,
 * and the emulator's own start (bare repositories, git http-backend) is paid POOL times. The
 * repository pushed from is made once (one commit per cell, one `git fast-import`) and copied.
 * The guard's fact cache is off (`bitbucket.cacheTtl=0`): an emulator serves several
 * combinations, and a cached verdict would hide the next combination's answers.
 * The emulator's CAPTCHA threshold is raised: git's own Basic attempts with the dead tokens
 * (one per push) would otherwise lock the user the working personal tokens belong to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  runBin,
  runGit,
  type Sandbox,
} from '../helpers/sandbox.js';
import { gitAtLeast } from '../helpers/git-version.js';
import { allCombinations, missingPairs, pairwiseIndexes, type Axis } from '../helpers/pairwise.js';
import { makeToken, startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { DEFAULT_SWITCHES, type Switches } from '../emulator/types.js';
import { WRITE_PERMISSIONS } from '../../src/bitbucket/model.js';
import { checkRun } from '../../src/commands/check.js';
import { hookInstallRun } from '../../src/commands/hook.js';
import { loginRun } from '../../src/commands/login.js';
import { statusRun } from '../../src/commands/status.js';
import { recordingIO } from './helpers.js';

const USER = 'dev@example.com';
const KINDS = {
  personalWrite: { token: makeToken('320000000001'), kind: 'personal', works: true, writable: true },
  personalRead: { token: makeToken('320000000002'), kind: 'personal', works: true, writable: false },
  project: { token: makeToken('320000000003'), kind: 'project', works: true, writable: true },
  repository: { token: makeToken('320000000004'), kind: 'project', works: true, writable: false },
  revoked: { token: makeToken('320000000005'), kind: 'personal', works: false, writable: false },
  expired: { token: makeToken('320000000006'), kind: 'personal', works: false, writable: false },
} as const;
type KindName = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** Emulators at once (each serving six cells at once). */
const POOL = 2;
/** git sends a helper's Bearer credential from 2.46 on; before, a project token goes in http.extraHeader. */
const HELPER_BEARER = gitAtLeast(2, 46);
/** git 2.54+ runs config-based hooks: the guard is installed the way `setup --hook` does there. */
const CONFIG_HOOK = gitAtLeast(2, 54);

/** The identity-related switches and their values, the default first. */
const AXES: ReadonlyArray<Axis & readonly [keyof Switches, readonly unknown[]]> = [
  ['projectTokenUserHeader', ['present', 'absent']],
  ['projectTokenUsersApi', ['allowed', '401']],
  ['tokenCanReadOwnEntry', [true, false]],
  ['serviceUserLookup', ['404', 'object', '401']],
  ['userHeaderEncoding', ['url', 'raw']],
  ['unknownBearerAsAnonymous', [false, true]],
];
/** Every combination of them. */
const COMBOS = allCombinations(AXES) as Array<Partial<Switches>>;
/** The combinations pushed in whatever `check` decides (indexes into COMBOS): a pairwise selection. */
const PAIRWISE = pairwiseIndexes(COMBOS, AXES);

/** The fixture. One clock reading: the emulator requires expiresAt - createdAt in whole days. */
function fixture(now: number): Fixture {
  const day = 86_400_000;
  return {
    users: [{ name: USER, displayName: 'Dev Example', email: USER, password: 'dev-pw' }],
    projects: [{ key: 'PRJ', name: 'Project' }],
    repos: [{ project: 'PRJ', slug: 'app', seed: true }],
    permissions: [{ user: USER, project: 'PRJ', permission: 'PROJECT_WRITE' }],
    tokens: [
      { owner: { user: USER }, name: 'w', token: KINDS.personalWrite.token, permissions: ['REPO_WRITE'] },
      { owner: { user: USER }, name: 'r', token: KINDS.personalRead.token, permissions: ['REPO_READ'] },
      {
        owner: { project: 'PRJ' },
        name: 'p',
        token: KINDS.project.token,
        permissions: ['PROJECT_WRITE', 'REPO_WRITE'],
      },
      { owner: { project: 'PRJ', repo: 'app' }, name: 'a', token: KINDS.repository.token, permissions: ['REPO_READ'] },
      { owner: { user: USER }, name: 'x', token: KINDS.revoked.token, permissions: ['REPO_WRITE'], revoked: true },
      {
        owner: { user: USER },
        name: 'e',
        token: KINDS.expired.token,
        permissions: ['REPO_WRITE'],
        createdAt: new Date(now - 40 * day).toISOString(),
        expiresAt: new Date(now - 10 * day).toISOString(),
      },
    ],
  };
}

/** Settings every cell runs with (fixed, so that a combination is the only thing that varies). */
const MATRIX_SWITCHES: Partial<Switches> = {
  // the guard, not the server, must stop a read-only push: let the hook run first
  refuseReadOnlyPushAt: 'upload',
  captchaThreshold: 1_000_000,
};

const branch = (combo: number, kind: KindName) => `c${combo}-${kind}`;

/** One token kind on one emulator: a sandbox holding that token, with a copy of the repository. */
interface Seat {
  kind: KindName;
  sb: Sandbox;
  work: string;
  /** The store file as written by `store`: git's `erase` after a dead token's push removes it. */
  storeFile: string;
  storeText: string;
}

interface Slot {
  emu: Emulator;
  seats: Map<KindName, Seat>;
}

let template: Sandbox;
const slots: Slot[] = [];
const outputs: string[] = [];
const cleanups: Sandbox[] = [];

/** The repository every seat pushes from: one root commit per cell, on a branch named after it. */
async function makeTemplate(): Promise<string> {
  template = makeSandbox();
  const work = path.join(template.dir, 'work');
  const init = await runGit(template, ['init', '-q', '-b', 'main', work]);
  expect(init.exitCode, init.stderr).toBe(0);
  const stream: string[] = [];
  for (let c = 0; c < COMBOS.length; c++)
    for (const kind of KIND_NAMES) {
      const msg = `cell ${c} ${kind}\n`;
      stream.push(
        `commit refs/heads/${branch(c, kind)}\ncommitter Dev Example <${USER}> 1700000000 +0000\ndata ${msg.length}\n${msg}\n`,
      );
    }
  const imported = await runGit(template, ['fast-import', '--quiet'], stream.join(''), { cwd: work });
  expect(imported.exitCode, imported.stderr).toBe(0);
  return work;
}

async function seat(emu: Emulator, kind: KindName, templateWork: string): Promise<Seat> {
  const k = KINDS[kind];
  const sb = makeSandbox();
  cleanups.push(sb);
  const git = async (args: string[], cwd = sb.dir) => {
    const r = await runGit(sb, args, '', { cwd });
    expect(r.exitCode, r.stderr).toBe(0);
  };
  const host = new URL(emu.baseUrl).host;
  for (const [key, value] of [
    ['credential.helper', BIN],
    ['bitbucket.identity', 'off'],
    ['bitbucket.projectToken', 'block'],
    ['bitbucket.cacheTtl', '0'],
    // a loaded machine may need more than the default per-request time
    ['bitbucket.timeout', '60000'],
  ])
    await git(['config', '--global', key!, value!]);
  const work = path.join(sb.dir, 'work');
  fs.cpSync(templateWork, work, { recursive: true });
  await git(['remote', 'add', 'origin', `${emu.baseUrl}/scm/prj/app.git`], work);
  // project and repository tokens work only as Bearer (docs/bitbucket-server.md section 2)
  const stored =
    k.kind === 'project'
      ? desc([
          ['capability[]', 'authtype'],
          ['protocol', 'http'],
          ['host', host],
          ['authtype', 'Bearer'],
          ['credential', k.token],
        ])
      : desc({ protocol: 'http', host, username: USER, password: k.token });
  const r = await runBin(sb, ['store'], stored);
  expect(r.exitCode, r.stderr).toBe(0);
  if (k.kind === 'project' && !HELPER_BEARER) {
    // this git cannot send the helper's Bearer credential: the way such a token is used with it
    // (kept out of argv: appended to the repository's config file)
    fs.appendFileSync(
      path.join(work, '.git', 'config'),
      `[http "${emu.baseUrl}/"]\n\textraHeader = Authorization: Bearer ${k.token}\n`,
    );
  }
  // the product's own installation: a config-based hook on 2.54+ (as `setup --hook` does), else the file
  const io = recordingIO(sb.env);
  const program = { node: process.execPath, bin: BIN };
  const installed = await hookInstallRun(
    CONFIG_HOOK ? { global: true, program, cwd: work } : { program, cwd: work },
    io,
  );
  outputs.push(...io.out, ...io.err);
  expect(installed, io.err.join('')).toBe(0);
  const storeFile = path.join(sb.dataDir, 'credentials.json');
  return { kind, sb, work, storeFile, storeText: fs.readFileSync(storeFile, 'utf8') };
}

beforeAll(async () => {
  const now = Date.now();
  const templateWork = await makeTemplate();
  for (let i = 0; i < POOL; i++) {
    const emu = await startEmulator({ data: fixture(now), switches: MATRIX_SWITCHES });
    const slot: Slot = { emu, seats: new Map() };
    slots.push(slot);
    for (const s of await Promise.all(KIND_NAMES.map((kind) => seat(emu, kind, templateWork))))
      slot.seats.set(s.kind, s);
  }
}, 120_000);

afterAll(async () => {
  expectNoSecrets(
    outputs,
    Object.values(KINDS).map((k) => k.token),
  );
  for (const s of slots) await s.emu.stop();
  for (const sb of cleanups) sb.cleanup();
  template?.cleanup();
});

type Say = (surface: string, problem: string) => void;

interface CheckJson {
  server?: { status: string; message?: string; facts?: { kind: string; writable?: boolean; decidedBy?: string } };
  findings: Array<{ check: string; severity: string; title: string }>;
  exitCode: number;
}

/** The decision `check` reached, as text: kind, the docs/classifier.md row, writable, findings, exit code. */
function decisionOf(r: CheckJson): string {
  const srv = r.server;
  const f = srv?.facts;
  const findings = r.findings.map((x) => `${x.check}:${x.severity}`).sort();
  return `${srv?.status} ${f?.kind} ${f?.decidedBy} writable=${f?.writable} [${findings.join(' ')}] exit ${r.exitCode}`;
}

/** Runs `check --json` in the cell; returns the decision it reached (decisionOf). */
async function checkCell(s: Seat, say: Say): Promise<string> {
  const k = KINDS[s.kind];
  const io = recordingIO(s.sb.env);
  await checkRun({ json: true, cwd: s.work }, io);
  outputs.push(...io.out, ...io.err);
  const r = JSON.parse(io.out.join('')) as CheckJson;
  const srv = r.server;
  if (!k.works) {
    if (srv?.status === 'ok') say('check', 'a dead token was accepted');
    return decisionOf(r);
  }
  if (srv?.status !== 'ok' || !srv.facts) {
    say('check', `a working token was called ${srv?.status}: ${srv?.message}`);
    return decisionOf(r);
  }
  const kind = srv.facts.kind;
  if (kind !== k.kind && kind !== 'unknown') say('check', `kind ${kind}, expected ${k.kind}`);
  if (!k.writable && srv.facts.writable === true) say('check', 'a read-only token passed as writable');
  if (kind !== 'personal') {
    if (!r.findings.some((f) => f.check === 'projectToken' && f.severity === 'block'))
      say('check', `kind ${kind} without a projectToken finding at the policy's level (block)`);
    if (r.exitCode !== 1) say('check', `kind ${kind} with projectToken=block: exit ${r.exitCode}, a push would pass`);
  }
  return decisionOf(r);
}

interface StatusJson {
  accounts: Array<{
    kind: string | null;
    permissions: string[] | null;
    server: { status: string; accepted: boolean; message: string | null } | null;
    problems: string[];
    ok: boolean;
  }>;
}

async function statusCell(s: Seat, baseUrl: string, say: Say): Promise<void> {
  const k = KINDS[s.kind];
  const io = recordingIO(s.sb.env);
  const code = await statusRun({ url: baseUrl, json: true, timeout: 60 }, io);
  outputs.push(...io.out, ...io.err);
  const a = (JSON.parse(io.out.join('')) as StatusJson).accounts;
  if (a.length !== 1) return say('status', `${a.length} accounts listed, expected 1`);
  const acc = a[0]!;
  if (!k.works) {
    if (acc.server?.accepted || acc.ok || code === 0) say('status', `a dead token was accepted (${acc.problems})`);
    return;
  }
  if (!acc.server?.accepted)
    return say('status', `a working token was called ${acc.server?.status}: ${acc.server?.message}`);
  if (acc.problems.includes('invalid')) say('status', 'a working token has the problem "invalid"');
  const kind = acc.kind;
  if (kind !== k.kind && kind !== 'unknown') say('status', `kind ${kind}, expected ${k.kind}`);
  if (!k.writable && acc.permissions?.some((p) => WRITE_PERMISSIONS.includes(p)))
    say('status', `a read-only token is shown with ${acc.permissions.join(', ')}`);
  const expected = kind === 'project' ? 'project-token' : kind === 'unknown' ? 'kind-unknown' : undefined;
  if (expected && (!acc.problems.includes(expected) || acc.ok || code === 0))
    say('status', `kind ${kind} not reported as the problem ${expected} (${acc.problems}), exit ${code}`);
  if (kind === 'personal' && (acc.problems.includes('project-token') || acc.problems.includes('kind-unknown')))
    say('status', `a personal token has the problems ${acc.problems}`);
}

const PROJECT_TITLE = 'pushing with a project or repository access token';
const UNKNOWN_TITLE = 'could not tell whether the token is a personal or a project/repository token';

async function pushCell(s: Seat, combo: number, say: Say): Promise<void> {
  const k = KINDS[s.kind];
  // git sends a dead token and the server refuses it before any hook runs, so no identity switch
  // can change that push: it is pushed in the first combination only (CI time)
  if (!k.works && combo > 0) return;
  const r = await runGit(s.sb, ['push', 'origin', branch(combo, s.kind)], '', { cwd: s.work });
  outputs.push(r.stdout, r.stderr);
  const err = r.stderr;
  const landed = r.exitCode === 0;
  if (!k.works) {
    // git asks `erase` for the credential the server refused: put the token back for the next cell
    fs.writeFileSync(s.storeFile, s.storeText);
    if (landed) say('push', 'a dead token pushed');
    return;
  }
  if (/could not verify the token|could not reach/.test(err)) say('push', 'the guard could not verify a working token');
  if (k.kind === 'personal' && err.includes(PROJECT_TITLE)) say('push', 'a personal token was called a project token');
  const kindBlocked = err.includes(`blocked: ${PROJECT_TITLE}`) || err.includes(`blocked: ${UNKNOWN_TITLE}`);
  if (err.includes(UNKNOWN_TITLE) && !kindBlocked) say('push', 'unknown kind not at the projectToken level (block)');
  if (k.kind === 'project' && (!kindBlocked || landed))
    say('push', `a ${s.kind} token was not blocked by bitbucket.projectToken=block: ${err}`);
  if (!k.writable && (landed || !/^ {2}blocked: /m.test(err)))
    say('push', `a read-only token was not blocked by the guard: ${err}`);
  if (k.writable && k.kind === 'personal' && !landed && !kindBlocked)
    say('push', `a personal token with write failed to push: ${err}`);
}

async function loginCell(kind: KindName, baseUrl: string, say: Say): Promise<void> {
  const k = KINDS[kind];
  const sb = makeSandbox();
  try {
    const io = recordingIO(sb.env);
    let code: number;
    let message = '';
    try {
      code = await loginRun(
        {
          url: `${baseUrl}/scm/prj/app.git`,
          token: k.token,
          tokenStdin: false,
          allowProjectToken: false,
          allowHttp: true,
          timeout: 60,
        },
        io,
      );
    } catch (e) {
      code = -1;
      message = (e as Error).message;
    }
    outputs.push(...io.out, ...io.err, message);
    const said = `${io.err.join('')} ${message}`;
    if (!k.works) {
      if (code === 0) say('login', 'a dead token was stored');
    } else if (/rejected|invalid/i.test(message)) {
      say('login', `a working token was refused: ${message}`);
    } else if (k.kind === 'project' && code === 0) {
      say('login', 'a project token was stored without --allow-project-token');
    } else if (k.kind === 'personal' && (code !== 0 || /project or repository/.test(said))) {
      say('login', `a personal token was not stored as personal: ${message}`);
    }
  } finally {
    sb.cleanup();
  }
}

/**
 * The combinations to push in: PAIRWISE, then, greedily, the combination holding the most
 * decisions (a kind's decision, from `decisions[combo][kind]`) no chosen combination holds,
 * until every decision is held. Dead tokens are left out: they are pushed in the first
 * combination only (pushCell).
 */
function pushedCombos(decisions: ReadonlyArray<Map<KindName, string>>): number[] {
  const key = (c: number) =>
    KIND_NAMES.filter((k) => KINDS[k].works).map((k) => `${k}: ${decisions[c]?.get(k) ?? 'not checked'}`);
  const chosen = new Set(PAIRWISE);
  const held = new Set([...chosen].flatMap(key));
  for (;;) {
    let best = -1;
    let gain = 0;
    for (let c = 0; c < COMBOS.length; c++) {
      const g = new Set(key(c).filter((d) => !held.has(d))).size;
      if (g > gain) [best, gain] = [c, g];
    }
    if (best < 0) return [...chosen].sort((a, b) => a - b);
    chosen.add(best);
    for (const d of key(best)) held.add(d);
  }
}

/** Runs `cell` for every kind in each of `combos`, the slots taking combinations one after another. */
async function eachCombo(
  combos: readonly number[],
  cell: (slot: Slot, combo: number, kind: KindName) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    slots.map(async (slot) => {
      for (let i = next++; i < combos.length; i = next++) {
        const c = combos[i]!;
        slot.emu.setSwitches({ ...DEFAULT_SWITCHES, ...MATRIX_SWITCHES, ...COMBOS[c] });
        await Promise.all(KIND_NAMES.map((kind) => cell(slot, c, kind)));
      }
    }),
  );
}

describe('variant matrix', () => {
  it(`the ${PAIRWISE.length} combinations pushed in whatever check decides hold every pair of switch values, the defaults among them`, () => {
    expect(
      missingPairs(
        PAIRWISE.map((c) => COMBOS[c]!),
        AXES,
      ),
    ).toEqual([]);
    expect(PAIRWISE).toContain(0);
    expect(COMBOS[0]).toEqual(Object.fromEntries(AXES.map(([name]) => [name, DEFAULT_SWITCHES[name]])));
  });

  it(`${COMBOS.length} switch combinations × ${KIND_NAMES.length} token kinds × check --json, status --json, login; push through the hook where the decisions differ`, async () => {
    const problems: string[] = [];
    const sayer =
      (c: number, kind: KindName): Say =>
      (surface, p) =>
        void problems.push(`${surface} ${JSON.stringify(COMBOS[c])} ${kind}: ${p}`);
    const decisions = COMBOS.map(() => new Map<KindName, string>());
    await eachCombo(
      COMBOS.map((_, c) => c),
      async (slot, c, kind) => {
        const s = slot.seats.get(kind)!;
        decisions[c]!.set(kind, await checkCell(s, sayer(c, kind)));
        await statusCell(s, slot.emu.baseUrl, sayer(c, kind));
        await loginCell(kind, slot.emu.baseUrl, sayer(c, kind));
      },
    );
    const pushed = pushedCombos(decisions);
    await eachCombo(pushed, (slot, c, kind) => pushCell(slot.seats.get(kind)!, c, sayer(c, kind)));
    expect(problems).toEqual([]);
    // every decision check reached for a working token was also reached through a push
    const held = new Set(pushed.flatMap((c) => [...decisions[c]!].map(([k, d]) => `${k} ${d}`)));
    const unpushed = decisions.flatMap((m) => [...m].filter(([k, d]) => KINDS[k].works && !held.has(`${k} ${d}`)));
    expect(unpushed).toEqual([]);
  }, 1_200_000);
});
