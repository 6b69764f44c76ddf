/**
 * The helper line `setup` writes (bin/git-credential-bitbucket.sh in front of Node, read into
 * git's sh; the line of earlier versions ran it with another sh) and the hook
 * script, through real git (2.39 and 2.55) against the emulator, with a `node` wrapper that logs
 * each start of ours:
 * - a fetch with a stored token starts Node once (get), a warm push twice (get, hook): git's
 *   store of the credential just given out ends in the front;
 * - a token typed at a prompt (new, or the same one again after an erase) and any other change
 *   still reach Node and the store;
 * - no Node of ours starts with NODE_EXTRA_CA_CERTS; it is handed on, and a private CA given only
 *   that way still works for login and for the guard's server check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BIN,
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  parsePairs,
  runBin,
  runGit,
  type Sandbox,
} from '../helpers/sandbox.js';
import { makeToken, startEmulator, type Emulator } from '../emulator/index.js';
import { pushFixture } from '../helpers/fixture.js';
import { hookInstallRun } from '../../src/commands/hook.js';
import { setupRun } from '../../src/commands/setup.js';
import { recordingIO } from '../prepush/helpers.js';
import { gitAtLeast } from '../helpers/git-version.js';

const T = { one: makeToken('410000000001'), two: makeToken('410000000002'), read: makeToken('410000000003') };
const fixture = pushFixture([
  { owner: { user: 'alice' }, name: 'one', token: T.one, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
  { owner: { user: 'alice' }, name: 'two', token: T.two, permissions: ['PROJECT_READ', 'REPO_WRITE'] },
  { owner: { user: 'alice' }, name: 'read', token: T.read, permissions: ['REPO_READ'] },
]);
const GIT_2_55 = process.env.GIT_2_55 ?? '/root/.cache/git-builds/2.55.0/bin/git';
const lanes: Array<[string, string | undefined]> = [
  ['system git', undefined],
  ['git 2.55', fs.existsSync(GIT_2_55) ? path.dirname(GIT_2_55) : undefined],
];
const outputs: string[] = [];
const sandboxes: Sandbox[] = [];
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ data: fixture });
});

afterAll(async () => {
  expectNoSecrets(outputs, Object.values(T));
  await emu?.stop();
  for (const sb of sandboxes) sb.cleanup();
});

interface World {
  sb: Sandbox;
  work: string;
  /** The starts of our Node since the last call: `op[ sub] extra=… handed=…`. */
  starts(): string[];
  git(args: string[], cwd?: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** A sandbox whose git runs `gitDir`'s git, with setup and the hook done through a logging `node` wrapper. */
async function world(
  e: Emulator,
  gitDir: string | undefined,
  extraEnv: NodeJS.ProcessEnv = {},
  cache?: number,
): Promise<World> {
  const sb = makeSandbox(extraEnv);
  sandboxes.push(sb);
  const wrapDir = path.join(sb.dir, 'wrap');
  fs.mkdirSync(wrapDir);
  const log = path.join(sb.dir, 'node-starts');
  const wrapper = path.join(wrapDir, 'node');
  fs.writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      // the operation: the words after Node's options (such as --preserve-symlinks-main) and the launcher
      'op() { while case $1 in -*) true ;; *) false ;; esac; do shift; done; printf \'%s\' "$2${3:+ $3}"; }',
      `{ op "$@"; printf ' extra=%s handed=%s\\n' "$NODE_EXTRA_CA_CERTS" "$GIT_CREDENTIAL_BITBUCKET_EXTRA_CA_CERTS"; } >>'${log}'`,
      `printf '%s\\n' "$*" >>'${log}.argv'`,
      `env >>'${log}.env'`,
      `exec '${process.execPath}' "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  sb.env.PATH = [wrapDir, ...(gitDir ? [gitDir] : []), sb.env.PATH].join(path.delimiter);
  const program = { node: wrapper, bin: BIN };
  const io = recordingIO(sb.env);
  expect(await setupRun({ url: e.baseUrl, program, cache }, io)).toBe(0);
  const run = async (args: string[], at = sb.dir) => {
    const r = await runGit(sb, ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com', ...args], '', {
      cwd: at,
    });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const starts = () => {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    fs.rmSync(log, { force: true });
    return text.split('\n').filter(Boolean);
  };
  return { sb, work: path.join(sb.dir, 'work'), starts, git: run };
}

async function store(w: World, e: Emulator, token: string, expiry?: number) {
  const host = new URL(e.baseUrl).host;
  const protocol = new URL(e.baseUrl).protocol.slice(0, -1);
  const r = await runBin(
    w.sb,
    ['store'],
    desc({ protocol, host, username: 'alice', password: token, password_expiry_utc: expiry }),
  );
  expect(r.exitCode, r.stderr).toBe(0);
}

async function storedToken(w: World, e: Emulator): Promise<string | undefined> {
  const r = await runBin(w.sb, ['get'], desc({ protocol: 'http', host: new URL(e.baseUrl).host }));
  return parsePairs(r.stdout).find(([k]) => k === 'password')?.[1];
}

async function cloneWithHook(w: World, e: Emulator) {
  const clone = await w.git(['clone', '-q', `${e.baseUrl}/scm/prj/app.git`, 'work']);
  expect(clone.exitCode, clone.stderr).toBe(0);
  const io = recordingIO(w.sb.env);
  const program = { node: path.join(w.sb.dir, 'wrap', 'node'), bin: BIN };
  expect(await hookInstallRun({ program, cwd: w.work }, io)).toBe(0);
}

async function commitAndPush(w: World, message: string, email = 'alice@example.com') {
  fs.appendFileSync(path.join(w.work, 'file.txt'), `${message}\n`);
  expect((await w.git(['add', 'file.txt'], w.work)).exitCode).toBe(0);
  expect((await w.git(['-c', `user.email=${email}`, 'commit', '-q', '-m', message], w.work)).exitCode).toBe(0);
  return w.git(['push', '-q', 'origin', 'HEAD:main'], w.work);
}

const ops = (starts: string[]) => starts.map((s) => s.split(' extra=')[0]);

describe.each(lanes)('one Node start per git operation (%s)', (_name, gitDir) => {
  const itLane = gitDir === undefined && _name !== 'system git' ? it.skip : it;
  let w: World;
  let caFile: string;

  beforeAll(async () => {
    w = await world(emu, gitDir);
    caFile = path.join(w.sb.dir, 'extra-ca.pem');
    fs.writeFileSync(caFile, '');
    w.sb.env.NODE_EXTRA_CA_CERTS = caFile;
    const version = await execa('git', ['--version'], { env: w.sb.env, extendEnv: false });
    expect(version.stdout).toMatch(gitDir ? /2\.55/ : /git version/);
    await store(w, emu, T.one);
  });

  itLane('a fetch starts Node once, a push twice; none of them reads NODE_EXTRA_CA_CERTS', async () => {
    await cloneWithHook(w, emu);
    expect(ops(w.starts())).toEqual(['get']);
    expect((await w.git(['fetch', '-q', 'origin'], w.work)).exitCode).toBe(0);
    expect(ops(w.starts())).toEqual(['get']);
    for (const n of [1, 2]) {
      const push = await commitAndPush(w, `change ${n}`);
      expect(push.exitCode, push.stderr).toBe(0);
      const starts = w.starts();
      expect(ops(starts)).toEqual(['get', 'hook pre-push']);
      for (const s of starts) expect(s).toMatch(new RegExp(` extra= handed=${caFile}$`));
    }
    expect(await storedToken(w, emu)).toBe(T.one);
    // the token went through pipes only: never into an argument or the environment of a Node start
    expectNoSecrets([fs.readFileSync(path.join(w.sb.dir, 'node-starts.argv'), 'utf8')], [T.one]);
    expectNoSecrets([fs.readFileSync(path.join(w.sb.dir, 'node-starts.env'), 'utf8')], [T.one]);
  });

  itLane('a token typed at the prompt reaches the store, also the same one again after an erase', async () => {
    const askpass = path.join(w.sb.dir, 'askpass');
    fs.writeFileSync(askpass, `#!/bin/sh\ncase $1 in Username*) echo alice ;; *) cat '${askpass}.token' ;; esac\n`, {
      mode: 0o755,
    });
    w.sb.env.GIT_ASKPASS = askpass;
    delete w.sb.env.GIT_TERMINAL_PROMPT;
    for (const typed of [T.two, T.two, T.one]) {
      const erase = await runBin(w.sb, ['erase'], desc({ protocol: 'http', host: new URL(emu.baseUrl).host }));
      expect(erase.exitCode, erase.stderr).toBe(0);
      w.starts();
      fs.writeFileSync(`${askpass}.token`, `${typed}\n`);
      const fetch = await w.git(['fetch', '-q', 'origin'], w.work);
      expect(fetch.exitCode, fetch.stderr).toBe(0);
      expect(ops(w.starts())).toEqual(['get', 'store']);
      expect(await storedToken(w, emu)).toBe(typed);
    }
    delete w.sb.env.GIT_ASKPASS;
  });

  itLane('a store of anything but what get gave out reaches Node', async () => {
    const host = new URL(emu.baseUrl).host;
    expect((await w.git(['fetch', '-q', 'origin'], w.work)).exitCode).toBe(0);
    expect(ops(w.starts())).toEqual(['get']);
    const other = desc({ protocol: 'http', host, username: 'alice', password: T.two });
    const approve = await runGit(w.sb, ['credential', 'approve'], other, { cwd: w.work });
    expect(approve.exitCode, approve.stderr).toBe(0);
    expect(ops(w.starts())).toEqual(['store']);
    expect(await storedToken(w, emu)).toBe(T.two);
    // the same credential for another path or with an extra attribute is not "what get gave out"
    const withPath = desc({ protocol: 'http', host, path: 'scm/prj/app.git', username: 'alice', password: T.two });
    expect((await runGit(w.sb, ['credential', 'approve'], withPath, { cwd: w.work })).exitCode).toBe(0);
    expect(ops(w.starts())).toEqual(['store']);
  });

  itLane('the line an earlier version wrote (`!sh <front> …`) works the same: a fetch starts Node once', async () => {
    const key = `credential.${emu.baseUrl}.helper`;
    const current = (await runGit(w.sb, ['config', '--global', '--get-all', key])).stdout.trim().split('\n');
    const line = current[current.length - 1]!;
    expect(line).toMatch(/^!f\(\) \{ \. "\$1"; \}; f '/);
    const older = line.replace(/^!f\(\) \{ \. "\$1"; \}; f /, '!sh ');
    expect((await runGit(w.sb, ['config', '--global', '--replace-all', key, older, '^!f'])).exitCode).toBe(0);
    try {
      w.starts();
      for (let i = 0; i < 2; i++) {
        const fetch = await w.git(['fetch', '-q', 'origin'], w.work);
        expect(fetch.exitCode, fetch.stderr).toBe(0);
        expect(ops(w.starts())).toEqual(['get']);
      }
    } finally {
      await runGit(w.sb, ['config', '--global', '--replace-all', key, line, '^!sh ']);
    }
  });

  itLane(
    'Node starts the launcher by the name it has, or by its real name when it or its directory is a link',
    async () => {
      const key = `credential.${emu.baseUrl}.helper`;
      const current = (await runGit(w.sb, ['config', '--global', '--get-all', key])).stdout.trim().split('\n');
      const line = current[current.length - 1]!;
      const front = path.join(path.dirname(BIN), 'git-credential-bitbucket.sh');
      expect(line).toContain(`'${front}'`);
      const argv = path.join(w.sb.dir, 'node-starts.argv');
      const lastStart = () => fs.readFileSync(argv, 'utf8').trim().split('\n').pop();
      w.starts();
      expect((await w.git(['fetch', '-q', 'origin'], w.work)).exitCode).toBe(0);
      expect(lastStart()).toBe(`--preserve-symlinks-main ${BIN} get`);
      // a directory of links to the front and the launcher (as some package managers install), and
      // a link to the bin directory: kept as they are, the launcher's name would not lead Node to dist/
      const links = path.join(w.sb.dir, 'links');
      fs.mkdirSync(links);
      fs.symlinkSync(front, path.join(links, 'git-credential-bitbucket.sh'));
      fs.symlinkSync(BIN, path.join(links, 'git-credential-bitbucket.cjs'));
      const linked = line.replace(`'${front}'`, `'${path.join(links, 'git-credential-bitbucket.sh')}'`);
      expect((await runGit(w.sb, ['config', '--global', '--replace-all', key, linked, '^!f'])).exitCode).toBe(0);
      try {
        w.starts();
        const fetch = await w.git(['fetch', '-q', 'origin'], w.work);
        expect(fetch.exitCode, fetch.stderr).toBe(0);
        expect(ops(w.starts())).toEqual(['get']);
        expect(lastStart()).toBe(`-- ${path.join(links, 'git-credential-bitbucket.cjs')} get`);
        // a link to the whole bin directory: the files are not links, their directory is
        const binLink = path.join(w.sb.dir, 'bin-link');
        fs.symlinkSync(path.dirname(BIN), binLink);
        const viaDir = line.replace(`'${front}'`, `'${path.join(binLink, 'git-credential-bitbucket.sh')}'`);
        expect((await runGit(w.sb, ['config', '--global', '--replace-all', key, viaDir, '^!f'])).exitCode).toBe(0);
        w.starts();
        const again = await w.git(['fetch', '-q', 'origin'], w.work);
        expect(again.exitCode, again.stderr).toBe(0);
        expect(ops(w.starts())).toEqual(['get']);
        expect(lastStart()).toBe(`-- ${path.join(binLink, 'git-credential-bitbucket.cjs')} get`);
      } finally {
        await runGit(w.sb, ['config', '--global', '--replace-all', key, line, '^!f']);
      }
    },
  );
});

describe('a private CA given only through NODE_EXTRA_CA_CERTS', () => {
  let tlsEmu: Emulator;
  beforeAll(async () => {
    tlsEmu = await startEmulator({ data: fixture, https: true });
  });
  afterAll(async () => {
    await tlsEmu?.stop();
  });

  it('works for login and for the guard, whose Node starts without it', async () => {
    const caFile = tlsEmu.caFile!;
    const w = await world(tlsEmu, undefined, { NODE_EXTRA_CA_CERTS: caFile });
    // git trusts the CA through a CA directory, which the program does not read: only
    // NODE_EXTRA_CA_CERTS tells it about this CA
    const caDir = path.join(w.sb.dir, 'ca-dir');
    fs.mkdirSync(caDir);
    const hash = (await execa('openssl', ['x509', '-hash', '-noout', '-in', caFile])).stdout.trim();
    fs.copyFileSync(caFile, path.join(caDir, `${hash}.0`));
    await w.git(['config', '--global', 'http.sslCAPath', caDir]);

    const login = await runBin(w.sb, ['login', tlsEmu.baseUrl, '--token-stdin'], `${T.one}\n`);
    outputs.push(login.stdout, login.stderr);
    expect(login.exitCode, login.stderr).toBe(0);
    expect(login.stderr).toContain('alice');

    await cloneWithHook(w, tlsEmu);
    w.starts();
    // the guard asks the server who the token's user is (a cache miss), and so knows the address
    const push = await commitAndPush(w, 'guarded', 'someone@example.net');
    expect(push.exitCode, push.stderr).toBe(0);
    expect(push.stderr).toContain('git config user.email alice@example.com');
    const starts = w.starts();
    expect(ops(starts)).toEqual(['get', 'hook pre-push']);
    for (const s of starts) expect(s).toMatch(new RegExp(` extra= handed=${caFile}$`));
  });
});

describe.each(lanes)('setup --cache: git credential-cache in front (%s)', (name, gitDir) => {
  const itLane = gitDir === undefined && name !== 'system git' ? it.skip : it;
  const worlds: World[] = [];
  afterAll(async () => {
    for (const w of worlds) await runGit(w.sb, ['credential-cache', 'exit']);
  });

  itLane('a fetch within the cache time starts no Node at all', async () => {
    const w = await world(emu, gitDir, {}, 300);
    worlds.push(w);
    await store(w, emu, T.one);
    const clone = await w.git(['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, 'work']);
    expect(clone.exitCode, clone.stderr).toBe(0);
    expect(ops(w.starts())).toEqual(['get']);
    expect((await w.git(['fetch', '-q', 'origin'], w.work)).exitCode).toBe(0);
    expect(ops(w.starts())).toEqual([]);
  });

  // the lane's git: 2.55, or the one first in PATH (test/run-git-lane.sh runs this file per git)
  const expiryAware = gitDir !== undefined || gitAtLeast(2, 41);
  itLane(
    expiryAware
      ? 'an expired token leaves the cache at its password_expiry_utc (git 2.41+)'
      : 'git before 2.41 keeps serving a cached token past its expiry until the cache time ends',
    async () => {
      const w = await world(emu, gitDir, {}, 300);
      worlds.push(w);
      const expiry = Math.ceil(Date.now() / 1000) + 6;
      await store(w, emu, T.two, expiry);
      const clone = await w.git(['clone', '-q', `${emu.baseUrl}/scm/prj/app.git`, 'work']);
      expect(clone.exitCode, clone.stderr).toBe(0);
      expect(ops(w.starts())).toEqual(['get']);
      while (Date.now() / 1000 <= expiry + 1) await new Promise((r) => setTimeout(r, 500));
      const fetch = await w.git(['fetch', '-q', 'origin'], w.work);
      if (expiryAware) {
        // the cache's answer is dropped, this helper has only an expired token: git must ask
        expect(fetch.exitCode).not.toBe(0);
        expect(ops(w.starts())).toEqual(['get']);
      } else {
        expect(fetch.exitCode, fetch.stderr).toBe(0);
        expect(ops(w.starts())).toEqual([]);
      }
    },
    30_000,
  );
});
