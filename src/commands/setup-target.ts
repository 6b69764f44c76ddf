/**
 * What a `setup` or `unsetup` acts on: the server (named, or the one logged in to; plain http only
 * where get would send a token there), the config file of the chosen scope, and the section of
 * the server as it is spelt there.
 */
import { configFile, getAll, keysWithPrefix, type ConfigTarget } from '../git/credential-config.js';
import { isOurHelper } from '../prepush/remote-config.js';
import { httpAllowedFor, isLoopbackHost } from '../credential/transport.js';
import { ALLOW_HTTP_KEY } from '../settings.js';
import { listAccounts, storesFor } from './shared/accounts.js';
import { CommandError, EXIT } from './shared/errors.js';
import type { CommandIO } from './shared/io.js';
import { parseServer } from './shared/server.js';
import { scopeOf, type SetupOptions } from './setup-options.js';

async function resolveUrl(o: SetupOptions, io: CommandIO): Promise<ReturnType<typeof parseServer>> {
  const accounts = () => listAccounts(storesFor(io).stores);
  let url = o.url;
  if (!url) {
    const bases = [...new Set((await accounts()).map((a) => a.meta?.baseUrl ?? `${a.protocol}://${a.host}`))];
    if (bases.length !== 1)
      throw new CommandError(
        bases.length === 0
          ? 'name the server: setup https://bitbucket.example.com'
          : `several servers are stored (${bases.join(', ')}); name one`,
        EXIT.usage,
      );
    url = bases[0]!;
  }
  const server = parseServer(url, { allowHttp: true });
  // Plain http to another machine: only where a token may go there (get's rule, see transport.ts):
  // allowed by bitbucket.allowHttp, or a token logged in with --allow-http for that server.
  if (
    server.protocol === 'http' &&
    !isLoopbackHost(server.host) &&
    !httpAllowedFor(`${server.baseUrl}/`, io.env) &&
    !(await accounts()).some((a) => a.protocol === 'http' && a.host === server.host && a.meta?.allowHttp === true)
  )
    throw new CommandError(
      `refusing to set up plain http:// to ${server.host}: git would send its token unencrypted; use https://, or log in with 'git credential-bitbucket login ${server.baseUrl} --allow-http' first, or allow it: git config --global ${ALLOW_HTTP_KEY} true`,
      EXIT.usage,
    );
  return server;
}

/** The server, the config file of the chosen scope, and the keys setup owns there. */
export async function target(o: SetupOptions, io: CommandIO) {
  const resolved = await resolveUrl(o, io);
  const t: ConfigTarget = { scope: scopeOf(o), env: io.env, cwd: process.cwd() };
  const file = await configFile(t);
  const server = { ...resolved, baseUrl: await spelling(t, resolved.baseUrl) };
  const section = `credential.${server.baseUrl}`;
  return { server, t, file, section, key: `${section}.helper` };
}

/**
 * Host names are case-insensitive (git's urlmatch lower-cases them): the server's section is
 * spelt with the host in lower case, or as a setup of an earlier version spelt it, so that
 * `setup https://BB.Example.COM` finds the setup of `https://bb.example.com`.
 */
async function spelling(t: ConfigTarget, baseUrl: string): Promise<string> {
  const fold = (u: string) => {
    const p = u.indexOf('/', u.indexOf('://') + 3);
    return p < 0 ? u.toLowerCase() : u.slice(0, p).toLowerCase() + u.slice(p);
  };
  const subsections = new Set(
    (await keysWithPrefix(t, 'credential.'))
      .filter((k) => k.toLowerCase().endsWith('.helper'))
      .map((k) => k.slice('credential.'.length, -'.helper'.length)),
  );
  for (const s of subsections)
    if (fold(s) === fold(baseUrl) && (await getAll(t, `credential.${s}.helper`)).some(isOurHelper)) return s;
  return fold(baseUrl);
}
