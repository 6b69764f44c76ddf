/**
 * Load: 20 concurrent real `git push` runs through the helper and the guard against the
 * emulator, while other processes store and erase credentials in the same store. Every push
 * succeeds, the store ends consistent, nothing is lost, and no token shows up in any process's
 * command line (sampled with `ps` during the pushes), output, or cache file.
 */
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { pushFixture } from '../helpers/fixture.js';
import {
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  parsePairs,
  runBin,
  runGit,
  type Sandbox,
} from '../helpers/sandbox.js';

const TOKEN = 'BBDC-MTAwMDAwMDAwMDExOmxvYWQtdGVzdC10b2tlbi1ieXRlcw==';
const PUSHES = 20;
const OTHERS = 30;

let emu: Emulator;
let sb: Sandbox;

beforeAll(async () => {
  emu = await startEmulator({
    data: pushFixture([{ owner: { user: 'alice' }, name: 'load', token: TOKEN, permissions: ['REPO_WRITE'] }]),
  });
  sb = makeSandbox();
  // Under load the guard's requests may take longer than the default 3 s bound, which would turn
  // into "could not reach" warnings: this test is about correctness, so the bound is generous.
  await runGit(sb, ['config', '--global', 'bitbucket.timeout', '60000']);
  await runBin(sb, ['setup', emu.baseUrl]);
  const login = await runBin(sb, ['login', emu.baseUrl, '--token-stdin'], `${TOKEN}\n`);
  expect(login.exitCode, login.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await emu?.stop();
  sb?.cleanup();
});

/** Samples every process's command line until stopped. */
function sampleArgv(): { stop(): Promise<string[]> } {
  const seen: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await execa('ps', ['-eo', 'args'], { reject: false });
      seen.push(String(r.stdout));
      await new Promise((res) => setTimeout(res, 40));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

describe('load', () => {
  it(`${PUSHES} concurrent pushes with concurrent store/erase: all succeed, nothing lost, nothing leaked`, async () => {
    const seed = path.join(sb.dir, 'seed');
    const clone = await runGit(sb, ['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, seed]);
    expect(clone.exitCode, clone.stderr).toBe(0);
    const works: string[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const work = path.join(sb.dir, `work${i}`);
      fs.cpSync(seed, work, { recursive: true });
      await runGit(sb, ['config', 'user.email', 'alice@example.com'], '', { cwd: work });
      await runGit(sb, ['config', 'user.name', 'Alice Example'], '', { cwd: work });
      fs.writeFileSync(path.join(work, `file${i}.txt`), `change ${i}\n`);
      await runGit(sb, ['add', '.'], '', { cwd: work });
      await runGit(sb, ['commit', '-qm', `change ${i}`], '', { cwd: work });
      const hook = await runBin(sb, ['hook', 'install'], '', { cwd: work });
      expect(hook.exitCode, hook.stderr).toBe(0);
      works.push(work);
    }

    const ps = sampleArgv();
    const pushes = works.map((work, i) =>
      runGit(sb, ['push', 'origin', `HEAD:refs/heads/load-${i}`], '', { cwd: work }),
    );
    // meanwhile, other git processes store and erase credentials for other hosts
    const churn = Array.from({ length: OTHERS }, async (_, i) => {
      const host = `other${i}.invalid`;
      const s = await runBin(
        sb,
        ['store'],
        desc({ protocol: 'https', host, username: 'u', password: `other-secret-${i}` }),
      );
      expect(s.exitCode, s.stderr).toBe(0);
      if (i % 2 === 0) {
        const e = await runBin(sb, ['erase'], desc({ protocol: 'https', host, username: 'u' }));
        expect(e.exitCode, e.stderr).toBe(0);
      }
    });
    const results = await Promise.all(pushes);
    await Promise.all(churn);
    const argv = await ps.stop();

    for (const [i, r] of results.entries()) {
      expect(r.exitCode, `push ${i}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/warning|blocked/i);
    }
    const branches = (
      await runGit(sb, [
        '--git-dir',
        emu.bareRepoPath('PRJ', 'app'),
        'for-each-ref',
        '--format=%(refname:short)',
        'refs/heads/',
      ])
    ).stdout.split('\n');
    for (let i = 0; i < PUSHES; i++) expect(branches).toContain(`load-${i}`);

    // the store is consistent: Alice's token and exactly the odd other hosts
    const data = JSON.parse(fs.readFileSync(path.join(sb.dataDir, 'credentials.json'), 'utf8')) as {
      entries: Array<{ host: string }>;
    };
    const hosts = data.entries.map((e) => e.host).sort();
    const expected = [
      new URL(emu.baseUrl).host,
      ...Array.from({ length: OTHERS }, (_, i) => i)
        .filter((i) => i % 2 === 1)
        .map((i) => `other${i}.invalid`),
    ].sort();
    expect(hosts).toEqual(expected);
    const get = await runBin(sb, ['get'], desc({ protocol: 'http', host: new URL(emu.baseUrl).host }));
    expect(parsePairs(get.stdout)).toContainEqual(['password', TOKEN]);
    expect(fs.readdirSync(sb.dataDir).filter((f) => f.includes('.lock'))).toEqual([]);

    // nothing leaked: command lines, push output, cache files
    expect(argv.length).toBeGreaterThan(3);
    expectNoSecrets(argv, [TOKEN, 'other-secret-']);
    expectNoSecrets(
      results.flatMap((r) => [r.stdout, r.stderr]),
      [TOKEN],
    );
    const cacheRoot = path.join(sb.env.XDG_CACHE_HOME!, 'git-credential-bitbucket');
    const cacheFiles = fs.existsSync(cacheRoot) ? fs.readdirSync(cacheRoot, { recursive: true }).map(String) : [];
    expect(cacheFiles.length).toBeGreaterThan(0);
    for (const f of cacheFiles) {
      const full = path.join(cacheRoot, f);
      if (fs.statSync(full).isFile()) expectNoSecrets([fs.readFileSync(full, 'utf8')], [TOKEN]);
    }
  }, 180_000);
});
