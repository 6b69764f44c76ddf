/**
 * The variant matrix, check surface: every combination of the identity-related emulator switches
 * (docs/bitbucket-server.md section 12) times every kind of token, through `check --json`. In
 * every cell the kind is right or `unknown` (never the other kind), a working token is never
 * called invalid, a read-only token never passes as writable, an unknown kind is reported at the
 * projectToken policy's level, and a dead token is never accepted. One emulator for the whole
 * matrix; switches change between combinations, each token kind has its own clone.
 */
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
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { DEFAULT_SWITCHES, type Switches } from '../emulator/types.js';
import { checkRun } from '../../src/commands/check.js';
import { loginRun } from '../../src/commands/login.js';
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

/** Every combination of the identity-related switches. */
function combinations(): Array<Partial<Switches>> {
  let out: Array<Partial<Switches>> = [{}];
  const axes: Array<[keyof Switches, readonly unknown[]]> = [
    ['projectTokenUserHeader', ['present', 'absent']],
    ['projectTokenUsersApi', ['allowed', '401']],
    ['tokenCanReadOwnEntry', [true, false]],
    ['serviceUserLookup', ['404', 'object', '401']],
    ['userHeaderEncoding', ['url', 'raw']],
    ['unknownBearerAsAnonymous', [false, true]],
  ];
  for (const [name, values] of axes) out = out.flatMap((c) => values.map((v) => ({ ...c, [name]: v })));
  return out;
}

let emu: Emulator;
const clones = new Map<KindName, { sb: Sandbox; work: string }>();
const outputs: string[] = [];

beforeAll(async () => {
  const day = 86_400_000;
  const created = Date.now() - 40 * day;
  emu = await startEmulator({
    data: {
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
        {
          owner: { project: 'PRJ', repo: 'app' },
          name: 'a',
          token: KINDS.repository.token,
          permissions: ['REPO_READ'],
        },
        { owner: { user: USER }, name: 'x', token: KINDS.revoked.token, permissions: ['REPO_WRITE'], revoked: true },
        {
          owner: { user: USER },
          name: 'e',
          token: KINDS.expired.token,
          permissions: ['REPO_WRITE'],
          createdAt: new Date(created).toISOString(),
          expiresAt: new Date(created + 30 * day).toISOString(),
        },
      ],
    },
  });
  const host = new URL(emu.baseUrl).host;
  for (const [name, k] of Object.entries(KINDS) as Array<[KindName, (typeof KINDS)[KindName]]>) {
    const sb = makeSandbox();
    const git = (args: string[], cwd = sb.dir) => runGit(sb, args, '', { cwd });
    await git(['config', '--global', 'credential.helper', BIN]);
    await git(['init', '-q', '-b', 'main', 'work']);
    const work = path.join(sb.dir, 'work');
    await git(['remote', 'add', 'origin', `${emu.baseUrl}/scm/prj/app.git`], work);
    await git(['config', 'bitbucket.identity', 'off'], work);
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
    clones.set(name, { sb, work });
  }
}, 60_000);

afterAll(async () => {
  expectNoSecrets(
    outputs,
    Object.values(KINDS).map((k) => k.token),
  );
  await emu?.stop();
  for (const { sb } of clones.values()) sb.cleanup();
});

interface CheckJson {
  server?: { status: string; message?: string; facts?: { kind: string; writable?: boolean } };
  findings: Array<{ check: string; severity: string; title: string }>;
}

async function check(name: KindName): Promise<CheckJson> {
  const { sb, work } = clones.get(name)!;
  const io = recordingIO(sb.env);
  await checkRun({ json: true, cwd: work }, io);
  outputs.push(...io.out, ...io.err);
  return JSON.parse(io.out.join('')) as CheckJson;
}

describe('variant matrix: check --json', () => {
  it('every switch combination, every token kind', async () => {
    const problems: string[] = [];
    for (const combo of combinations()) {
      emu.setSwitches({ ...DEFAULT_SWITCHES, ...combo });
      for (const name of Object.keys(KINDS) as KindName[]) {
        const k = KINDS[name];
        const r = await check(name);
        const cell = `${JSON.stringify(combo)} ${name}`;
        const s = r.server;
        if (!k.works) {
          if (s?.status === 'ok') problems.push(`${cell}: a dead token was accepted`);
          continue;
        }
        if (s?.status !== 'ok' || !s.facts) {
          problems.push(`${cell}: a working token was called ${s?.status}: ${s?.message}`);
          continue;
        }
        const kind = s.facts.kind;
        if (kind !== k.kind && kind !== 'unknown') problems.push(`${cell}: kind ${kind}, expected ${k.kind}`);
        if (!k.writable && s.facts.writable === true) problems.push(`${cell}: a read-only token passed as writable`);
        if (kind !== 'personal' && !r.findings.some((f) => f.check === 'projectToken' && f.severity === 'warn'))
          problems.push(`${cell}: kind ${kind} without a projectToken finding at the policy's level (warn)`);
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);

  it('login: a working token is never refused as invalid, a project token never stored as personal, a dead one never stored', async () => {
    const sb = makeSandbox();
    const problems: string[] = [];
    try {
      for (const combo of combinations().filter((c) => c.userHeaderEncoding === 'url')) {
        emu.setSwitches({ ...DEFAULT_SWITCHES, ...combo });
        for (const name of Object.keys(KINDS) as KindName[]) {
          const k = KINDS[name];
          const io = recordingIO(sb.env);
          let code: number;
          let message = '';
          try {
            code = await loginRun(
              {
                url: `${emu.baseUrl}/scm/prj/app.git`,
                token: k.token,
                tokenStdin: false,
                allowProjectToken: false,
                allowHttp: true,
                timeout: 10,
              },
              io,
            );
          } catch (e) {
            code = -1;
            message = (e as Error).message;
          }
          outputs.push(...io.out, ...io.err, message);
          const cell = `${JSON.stringify(combo)} ${name}`;
          const said = `${io.err.join('')} ${message}`;
          if (!k.works) {
            if (code === 0) problems.push(`${cell}: a dead token was stored`);
          } else if (/rejected|invalid/i.test(message)) {
            problems.push(`${cell}: a working token was refused: ${message}`);
          } else if (k.kind === 'project' && code === 0) {
            problems.push(`${cell}: a project token was stored without --allow-project-token`);
          } else if (k.kind === 'personal' && (code !== 0 || /project or repository/.test(said))) {
            problems.push(`${cell}: a personal token was not stored as personal: ${message}`);
          }
        }
      }
    } finally {
      sb.cleanup();
    }
    expect(problems).toEqual([]);
  }, 600_000);
});
