/**
 * One classifier, one answer (docs/classifier.md): for the same token, `login`, `status --json`,
 * `check --json` and `doctor --json` (the built program, against the emulator) report the same
 * kind, whatever the kind: personal, project, repository, and a token the server names no user
 * for and whose entry it hides (unknown).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator, type Fixture } from '../emulator/index.js';
import { DEFAULT_SWITCHES, type Switches } from '../emulator/types.js';
import { expectNoSecrets, makeSandbox, ROOT, runBin, runGit, type Sandbox } from '../helpers/sandbox.js';

const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/emulator/fixtures/demo.json'), 'utf8')) as Fixture;
const token = (name: string) => fixture.tokens!.find((t) => t.name === name)!.token!;
const outputs: string[] = [];

const CASES: Array<{ name: string; token: string; kind: string; switches?: Partial<Switches> }> = [
  { name: 'personal token', token: token('alice-write'), kind: 'personal' },
  { name: 'project token', token: token('prj-ci'), kind: 'project' },
  { name: 'repository token', token: token('app-read'), kind: 'project' },
  {
    name: 'repository token the server names no user for',
    token: token('app-read'),
    kind: 'project',
    switches: { projectTokenUserHeader: 'absent' },
  },
  {
    name: 'project token the server names no user for, entry hidden',
    token: token('prj-ci'),
    kind: 'unknown',
    switches: { projectTokenUserHeader: 'absent', tokenCanReadOwnEntry: false },
  },
  {
    name: 'personal token, server without X-AUSERNAME for bots and users API closed to them',
    token: token('alice-write'),
    kind: 'personal',
    switches: { projectTokenUserHeader: 'absent', projectTokenUsersApi: '401', serviceUserLookup: '401' },
  },
];

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ data: fixture, context: '/bitbucket' });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(
    outputs,
    CASES.map((c) => c.token),
  );
});

async function run(sb: Sandbox, args: string[], input = '', cwd?: string) {
  const r = await runBin(sb, args, input, cwd ? { cwd } : {});
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** The kind each surface reports for the token. */
async function kinds(sb: Sandbox, t: string): Promise<Record<string, string | undefined>> {
  const url = `${emu.baseUrl}/scm/prj/app.git`;
  const login = await run(sb, ['login', url, '--token-stdin', '--allow-project-token'], `${t}\n`);
  expect(login.exitCode, login.stderr).toBe(0);
  const described = /token: \S+ (personal token|project\/repository token|token \(kind unknown\))/.exec(
    login.stderr,
  )?.[1];
  const fromLogin =
    described === 'personal token' ? 'personal' : described === 'project/repository token' ? 'project' : 'unknown';
  await run(sb, ['setup', emu.baseUrl]);
  const status = JSON.parse((await run(sb, ['status', '--json'])).stdout) as { accounts: Array<{ kind: string }> };
  const work = path.join(sb.dir, 'work');
  await runGit(sb, ['init', '-q', '-b', 'main', work]);
  await runGit(sb, ['-C', work, 'remote', 'add', 'origin', url]);
  await runGit(sb, [
    '-C',
    work,
    '-c',
    'user.email=a@example.com',
    '-c',
    'user.name=A',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'x',
  ]);
  const check = JSON.parse((await run(sb, ['check', '--json'], '', work)).stdout) as {
    server?: { facts?: { kind: string } };
  };
  const doctor = JSON.parse((await run(sb, ['doctor', emu.baseUrl, '--json'])).stdout) as {
    findings: Array<{ id: string; kind?: string }>;
  };
  return {
    login: fromLogin,
    'status --json': status.accounts[0]?.kind,
    'check --json': check.server?.facts?.kind,
    'doctor --json': doctor.findings.find((f) => f.kind !== undefined)?.kind,
  };
}

describe('the same token gets the same kind from every command', () => {
  for (const c of CASES) {
    it(
      c.name,
      async () => {
        emu.setSwitches({ ...DEFAULT_SWITCHES, ...c.switches });
        const sb = makeSandbox();
        try {
          const got = await kinds(sb, c.token);
          expect(got).toEqual({
            login: c.kind,
            'status --json': c.kind,
            'check --json': c.kind,
            'doctor --json': c.kind,
          });
        } finally {
          sb.cleanup();
          emu.setSwitches(DEFAULT_SWITCHES);
        }
      },
      60_000,
    );
  }
});
