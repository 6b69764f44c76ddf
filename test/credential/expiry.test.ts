/**
 * `get` tells git when a token expires (`password_expiry_utc`), from the expiry login learnt,
 * so that git 2.40+ and helpers after ours (credential-cache) drop it then. Runs on the git
 * first in PATH; git before 2.40 ignores the attribute.
 */
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
import { GIT_VERSION, gitAtLeast } from '../helpers/git-version.js';
import { openStores } from '../../src/store/select.js';

const TOKEN = 'BBDC-ZXhwaXJ5LXRlc3QtdG9rZW4tb25seS1mb3ItdGhpcy10ZXN0';
const EXPIRES = Date.UTC(2099, 0, 2, 3, 4, 5);
let sb: Sandbox;
const outputs: string[] = [];

beforeAll(async () => {
  sb = makeSandbox({ GIT_CREDENTIAL_BITBUCKET_ALLOW_HTTP: '1' });
  const stored = await runBin(
    sb,
    ['store'],
    desc({ protocol: 'https', host: '127.0.0.1:7990', username: 'alice', password: TOKEN }),
  );
  expect(stored.exitCode, stored.stderr).toBe(0);
  // what login records after asking the server about the token
  await openStores(sb.dataDir).file.updateEntries((es) =>
    es.map((e) => ({ ...e, meta: { kind: 'personal', expiresAt: EXPIRES } })),
  );
});

afterAll(() => {
  expectNoSecrets(outputs, [TOKEN]);
  sb.cleanup();
});

async function fill() {
  const r = await runGit(
    sb,
    ['-c', `credential.helper=${BIN}`, 'credential', 'fill'],
    'url=https://127.0.0.1:7990/scm/prj/app.git\n\n',
  );
  expect(r.exitCode, r.stderr).toBe(0);
  outputs.push(r.stderr);
  return r;
}

describe(`password_expiry_utc (git ${GIT_VERSION.join('.')})`, () => {
  it("get answers the token's own expiry in Unix seconds", async () => {
    const r = await runBin(sb, ['get'], desc({ protocol: 'https', host: '127.0.0.1:7990' }));
    expect(r.exitCode, r.stderr).toBe(0);
    outputs.push(r.stderr);
    expect(parsePairs(r.stdout)).toContainEqual(['password_expiry_utc', String(EXPIRES / 1000)]);
  });

  it.runIf(gitAtLeast(2, 40))('git credential fill passes it on (git 2.40+)', async () => {
    const r = await fill();
    expect(parsePairs(r.stdout)).toEqual(
      expect.arrayContaining([
        ['username', 'alice'],
        ['password_expiry_utc', String(EXPIRES / 1000)],
      ]),
    );
  });

  it.runIf(!gitAtLeast(2, 40))('git before 2.40 ignores it and still gets the token', async () => {
    const r = await fill();
    expect(parsePairs(r.stdout)).toContainEqual(['username', 'alice']);
    expect(r.stdout).not.toContain('password_expiry_utc');
  });
});

describe('store after get', () => {
  it('git echoing the answered expiry back on store keeps what login learnt about the token', async () => {
    const r = await runBin(
      sb,
      ['store'],
      desc({
        protocol: 'https',
        host: '127.0.0.1:7990',
        username: 'alice',
        password: TOKEN,
        password_expiry_utc: String(EXPIRES / 1000),
      }),
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const [entry] = await openStores(sb.dataDir).file.list();
    expect(entry?.meta).toMatchObject({ kind: 'personal', expiresAt: EXPIRES });
  });
});
