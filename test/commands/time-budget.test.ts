/**
 * Whole-command time budget and the page cap (docs/classifier.md, "Time and pages"): against the
 * emulator with a latency fault and a project of many repositories named like the one pushed to,
 * `login --timeout 1` ends within a bound relative to its timeout (test/helpers/bounds.ts), says
 * exactly what it left unchecked, and stores nothing wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { expectNoSecrets, makeSandbox, runBin, type Sandbox } from '../helpers/sandbox.js';
import { bound } from '../helpers/bounds.js';

const TOKEN = makeToken('410000000001');
const MANY = 650;
const outputs: string[] = [];

let emu: Emulator;
let sb: Sandbox;
beforeAll(async () => {
  emu = await startEmulator({
    data: {
      users: [{ name: 'alice', displayName: 'Alice', email: 'alice@example.com', password: 'alice-pw' }],
      projects: [{ key: 'PRJ', name: 'Project' }],
      // every repository's name contains "app": the write look-up pages through all of them
      repos: [
        ...Array.from({ length: MANY }, (_, i) => ({ project: 'PRJ', slug: `app-${i}`, name: `app-${i}` })),
        { project: 'PRJ', slug: 'app', name: 'app' },
      ],
      permissions: [{ user: 'alice', project: 'PRJ', permission: 'PROJECT_WRITE' }],
      tokens: [{ owner: { user: 'alice' }, name: 'w', token: TOKEN, permissions: ['PROJECT_READ', 'REPO_WRITE'] }],
    },
  });
});
afterAll(async () => {
  await emu.stop();
  expectNoSecrets(outputs, [TOKEN]);
});
beforeEach(() => {
  sb = makeSandbox();
  emu.setFaults([]);
  emu.clearLog();
});
afterEach(() => sb.cleanup());

async function login(args: string[]) {
  const started = Date.now();
  const r = await runBin(sb, ['login', `${emu.baseUrl}/scm/prj/app.git`, '--token-stdin', ...args], `${TOKEN}\n`);
  outputs.push(r.stdout, r.stderr);
  return { ...r, ms: Date.now() - started };
}
const stored = (): Array<{ username: string; meta?: { kind?: string } }> => {
  const file = path.join(sb.dataDir, 'credentials.json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { entries: [] }).entries : [];
};
const repoPages = () => emu.log().filter((e) => e.path.endsWith('/rest/api/1.0/repos')).length;

describe('login: the whole command within --timeout, paging capped', () => {
  it('the page cap: stops after 5 pages, says so, and stores the personal token without a write verdict', async () => {
    const r = await login([]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      "! Not checked: write permission on PRJ/app (stopped after 5 pages of 100 repositories named like 'app' (the page cap))",
    );
    expect(r.stderr).not.toContain('cannot push');
    expect(repoPages()).toBe(5);
    expect(stored()).toMatchObject([{ username: 'alice', meta: { kind: 'personal' } }]);
  });

  it('--timeout 1 with slow repository pages: ends within the bound, names what it left unchecked', async () => {
    emu.setFaults([{ kind: 'latency', ms: 700, path: '/rest/api/1\\.0/repos' }]);
    const r = await login(['--timeout', '1']);
    expect(r.ms).toBeLessThan(bound(1000));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /! Not checked: write permission on PRJ\/app \(the time budget \(--timeout\) ran out after [01] pages? of repositories named like 'app'\)/,
    );
    expect(r.stderr).not.toContain('cannot push');
    expect(repoPages()).toBeLessThanOrEqual(2);
    expect(stored()).toMatchObject([{ username: 'alice', meta: { kind: 'personal' } }]);
  });

  it('--timeout 1 with every request slow: ends within the bound, stores nothing, says what was not checked', async () => {
    emu.setFaults([{ kind: 'latency', ms: 800 }]);
    const r = await login(['--timeout', '1']);
    expect(r.ms).toBeLessThan(bound(1000));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('not checked: whose token it is, its kind, permissions and expiry');
    expect(r.stderr).toContain('nothing was stored');
    expect(stored()).toEqual([]);
  });
});
