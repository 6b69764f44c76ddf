// GIT_CREDENTIAL_BITBUCKET_TRACE (src/trace.ts): off by default and then free; on stderr or in
// a file; each decision of get/store/erase and of the guard; never a secret.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hideInTrace, initTrace, trace, tracing } from '../src/trace.js';
import { makeToken } from './emulator/index.js';
import {
  BIN,
  describe as desc,
  expectNoSecrets,
  makeSandbox,
  runBin,
  runGit,
  type Sandbox,
} from './helpers/sandbox.js';

// token-shaped: the guard sends only tokens to the server, never an account password
const TOKEN = makeToken('520000000001');
let sb: Sandbox | undefined;
afterEach(() => {
  sb?.cleanup();
  sb = undefined;
  initTrace({});
});

describe('the trace module', () => {
  it('does nothing, and builds no message, when the variable is unset, empty or false', () => {
    for (const value of [undefined, '', '0', 'false', 'relative/file']) {
      expect(initTrace(value === undefined ? {} : { GIT_CREDENTIAL_BITBUCKET_TRACE: value }), String(value)).toBe(
        false,
      );
      expect(tracing()).toBe(false);
      trace('x', () => {
        throw new Error('built a message while off');
      });
    }
  });

  it('appends to an absolute file path (0600), hiding registered secrets and escaping control characters', () => {
    sb = makeSandbox();
    const file = path.join(sb.dir, 'trace.log');
    expect(initTrace({ GIT_CREDENTIAL_BITBUCKET_TRACE: file })).toBe(true);
    hideInTrace(TOKEN, undefined, 'abc');
    trace('get', () => `token ${TOKEN} then \x1b[2J and abc`);
    trace('get', () => 'second');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toMatch(/^git-credential-bitbucket\[\d+\] \+\d+ms get: token <hidden> then \\x1b\[2J and abc$/);
    expect(lines[1]).toMatch(/ get: second$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('tracing the helper and the guard', () => {
  it('get/store/erase say which store, which entry and why, on stderr, and never the token', async () => {
    sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_TRACE: '1' });
    const cred = { protocol: 'https', host: '127.0.0.1:7990', username: 'alice' };
    const store = await runBin(sb, ['store'], desc({ ...cred, password: TOKEN }));
    expect(store.exitCode, store.stderr).toBe(0);
    expect(store.stderr).toMatch(/store: request https:\/\/alice@127\.0\.0\.1:7990\/, with password/);
    expect(store.stderr).toMatch(/store: backend file from environment: writing to the file store/);
    expect(store.stderr).toMatch(/store: stored \(file store\)/);
    const again = await runBin(sb, ['store'], desc({ ...cred, password: TOKEN }));
    expect(again.stderr).toMatch(/store: unchanged/);
    const get = await runBin(sb, ['get'], desc({ protocol: 'https', host: '127.0.0.1:7990' }));
    expect(get.stdout).toContain(`password=${TOKEN}`);
    expect(get.stderr).toMatch(
      /get: matching entries: 0 in the keyring store, 1 in the file store; candidates in order: https:\/\/alice@/,
    );
    expect(get.stderr).toMatch(/get: https:\/\/alice@127\.0\.0\.1:7990\/ \(file store\) answers/);
    expect(get.stderr).toMatch(/get: answered: username, password/);
    const erase = await runBin(sb, ['erase'], desc({ ...cred, password: TOKEN }));
    expect(erase.stderr).toMatch(/erase: https:\/\/alice@127\.0\.0\.1:7990\/ \(file store\): erasing/);
    expectNoSecrets([store.stderr, again.stderr, get.stderr, erase.stderr, store.stdout], [TOKEN]);
  });

  it('the guard: policy, credential, cache, requests and verdict; never the token', async () => {
    sb = makeSandbox();
    const work = path.join(sb.dir, 'work');
    await runGit(sb, ['init', '-q', '-b', 'main', work]);
    await runGit(
      sb,
      ['-c', 'user.email=u@example.com', '-c', 'user.name=U', 'commit', '-q', '--allow-empty', '-m', 'x'],
      '',
      {
        cwd: work,
      },
    );
    await runGit(sb, ['config', 'bitbucket.timeout', '500'], '', { cwd: work });
    for (const check of ['identity', 'tagger', 'author'])
      await runGit(sb, ['config', `bitbucket.${check}`, 'off'], '', { cwd: work });
    await runGit(sb, ['config', 'credential.helper', BIN], '', { cwd: work });
    const host = '127.0.0.1:9'; // discard port: nothing answers
    expect(
      (await runBin(sb, ['store'], desc({ protocol: 'http', host, username: 'u', password: TOKEN }))).exitCode,
    ).toBe(0);
    const head = (await runGit(sb, ['rev-parse', 'HEAD'], '', { cwd: work })).stdout.trim();
    const r = await runBin(
      sb,
      ['hook', 'pre-push', 'origin', `http://${host}/scm/prj/app.git`],
      `refs/heads/main ${head} refs/heads/main ${'0'.repeat(40)}\n`,
      { cwd: work, env: { ...sb.env, GIT_CREDENTIAL_BITBUCKET_TRACE: '1' } },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/guard: pre-push origin http:\/\/127\.0\.0\.1:9\/scm\/prj\/app\.git/);
    expect(r.stderr).toMatch(
      /guard: origin http:\/\/127\.0\.0\.1:9: policy projectToken=warn identity=off .* timeout=500ms/,
    );
    expect(r.stderr).toMatch(/guard: credential from credential store, (bearer|basic)/);
    expect(r.stderr).toMatch(/guard: server facts: not cached, asking/);
    expect(r.stderr).toMatch(/http: GET http:\/\/127\.0\.0\.1:9\/rest\/\S+: (unreachable|timeout|reset)/);
    expect(r.stderr).toMatch(/guard: identity checks off/);
    expect(r.stderr).toMatch(/guard: verdict: unreachable: warn; exit 0/);
    expectNoSecrets([r.stderr, r.stdout], [TOKEN]);
  });
});
