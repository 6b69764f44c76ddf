// Issue 14 item 7: NO_PROXY the way git (libcurl) reads it, compared side by side with the real
// git's choices. A recording proxy shows where git went; our proxyFor() must choose the same.
// The attack: with `127.0.0.0/8` in NO_PROXY git goes direct but the tool sent token-bearing
// requests to the proxy; with `.0.0.1` it was the reverse.
import fs from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyFor } from '../../src/bitbucket/proxy.js';
import { closedPort, startProxy, type TestProxy } from '../bitbucket/helpers.js';
import { bounded } from '../hardening/util.js';
import { makeSandbox } from '../helpers/sandbox.js';

const GIT_2_55 = process.env.GIT_2_55 ?? '/root/.cache/git-builds/2.55.0/bin/git';
const GITS = [['system git', 'git'] as const, ...(fs.existsSync(GIT_2_55) ? [['git 2.55', GIT_2_55] as const] : [])];
const HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
// IPv6 CIDR entries are left out: libcurl 7.88 ignores them for bracketed hosts, later ones do not.
const ENTRIES = [
  '127.0.0.0/8',
  '127.0.0.0/24',
  '127.0.0.1',
  '127.0.0.2',
  '.0.0.1',
  '0.0.1',
  '10.0.0.0/8',
  '127.0.0.0/0',
  '127.0.0.1/33',
  '*',
  ' *',
  '*,example.invalid',
  'localhost',
  '.localhost',
  'localhost.',
  'LOCALHOST',
  'host',
  '127.0.0.1:PORT',
  'localhost:PORT',
  '::1',
  '[::1]',
  'example.invalid, 127.0.0.1',
  'example.invalid 127.0.0.1',
];

let proxy: TestProxy;
let port: number;
const sb = makeSandbox();

beforeAll(async () => {
  proxy = await startProxy();
  port = await closedPort();
});
afterAll(async () => {
  await proxy.close();
  sb.cleanup();
});

describe.each(GITS)('NO_PROXY side by side with %s', (_name, git) => {
  it('goes through the proxy exactly when git does', async () => {
    const cases = ENTRIES.flatMap((entry) =>
      HOSTS.map((host) => ({ entry: entry.replace('PORT', String(port)), host })),
    );
    const gitChoices = await bounded(
      4,
      cases.map(({ entry, host }) => async () => {
        const url = `http://${host}:${port}/${encodeURIComponent(entry)}/x.git`;
        await execa(git, ['ls-remote', url], {
          env: { ...sb.env, http_proxy: proxy.url, NO_PROXY: entry },
          extendEnv: false,
          reject: false,
          timeout: 20_000,
        });
        return proxy.log.some((l) => l.target.startsWith(`http://${host}:${port}/${encodeURIComponent(entry)}/`));
      }),
    );
    const differences = cases
      .map(({ entry, host }, i) => {
        const ours = proxyFor(new URL(`http://${host}:${port}/x.git`), {
          sslVerify: true,
          proxy: proxy.url,
          noProxy: entry,
        });
        return { entry, host, git: gitChoices[i] ? 'proxy' : 'direct', ours: ours === null ? 'direct' : 'proxy' };
      })
      .filter((c) => c.git !== c.ours);
    expect(differences).toEqual([]);
    // the cases of the report
    expect(
      proxyFor(new URL('http://127.0.0.1:7990/'), { sslVerify: true, proxy: proxy.url, noProxy: '127.0.0.0/8' }),
    ).toBeNull();
    expect(
      proxyFor(new URL('http://127.0.0.1:7990/'), { sslVerify: true, proxy: proxy.url, noProxy: '.0.0.1' }),
    ).not.toBeNull();
  });
});
