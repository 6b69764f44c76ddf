/**
 * doctor's findings from the server: whether it answers as Bitbucket (through git's proxy and CA
 * settings), and for each token stored for it whether the server accepts it and whose it is.
 */
import { classifyToken } from '../bitbucket/classifier.js';
import type { BitbucketClient } from '../bitbucket/client.js';
import { httpSettingsFor, redactUrl } from '../git/config.js';
import { holdsPassword, replacePasswordFix, STORED_PASSWORD } from '../credential/passwords.js';
import { expiryOf, listAccounts, storesFor, type Account } from './shared/accounts.js';
import { bearerFix, bearerReason, gitWithoutBearer } from './shared/bearer.js';
import type { CommandIO } from './shared/io.js';
import { clientFor, parseServer } from './shared/server.js';
import { CONCURRENT_CHECKS, mapBounded, waitingFor } from './shared/progress.js';
import type { Finding } from './doctor-findings.js';
import { clientCertFinding } from './doctor-client-cert.js';
import { tlsFix } from './shared/tls-advice.js';

export async function serverFindings(url: string, io: CommandIO, timeout: number): Promise<Finding[]> {
  const out: Finding[] = [];
  // one time budget for every request of the command (docs/classifier.md, "Time and pages")
  const deadline = Date.now() + timeout * 1000;
  const settings = await httpSettingsFor(`${url}/`, undefined, io.env);
  const net = [
    settings.proxy ? `proxy ${redactUrl(settings.proxy)}` : 'no proxy',
    settings.caFile ? `CA file ${settings.caFile}` : 'system CAs',
    settings.sslVerify ? '' : 'TLS verification OFF',
  ]
    .filter(Boolean)
    .join(', ');
  const client = (await clientFor(url, io, timeout * 1000)).withDeadline(deadline);
  const props = await waitingFor(io, `${url} to answer`, client.applicationProperties());
  const cert = url.startsWith('https:') ? await clientCertFinding(settings.clientCert, io.now()) : undefined;
  if (props.status !== 'ok') {
    out.push({
      id: 'server',
      level: 'error',
      title: `${url} is not reachable as Bitbucket: ${props.message}`,
      detail: net,
      fix:
        (await tlsFix(props, url, settings, io.env)) ??
        'check the URL, proxy (http.proxy) and CA (http.sslCAInfo) settings',
    });
    if (cert) out.push(cert);
    return out;
  }
  out.push({ id: 'server', level: 'ok', title: `${url} answers: Bitbucket ${props.version}`, detail: net });
  if (cert) out.push(cert);
  const { stores } = storesFor(io);
  const host = parseServer(url, { allowHttp: true });
  const accounts = (await listAccounts(stores).catch(() => [])).filter(
    (a) => a.protocol === host.protocol && a.host === host.host,
  );
  if (accounts.length === 0)
    out.push({
      id: 'token',
      level: 'error',
      title: `no token is stored for ${url}`,
      fix: `git credential-bitbucket login ${url}`,
    });
  const oldGit = gitWithoutBearer({ env: io.env });
  const check = (a: Account) => accountFinding(a, { url, io, client, deadline, version: props.version, oldGit });
  // the accounts of the host at once (bounded), in their order in the report
  out.push(
    ...(await waitingFor(
      io,
      `${url} to check ${accounts.length} token${accounts.length === 1 ? '' : 's'}`,
      mapBounded(accounts, CONCURRENT_CHECKS, check),
    )),
  );
  return out;
}

interface AccountCheck {
  url: string;
  io: CommandIO;
  client: BitbucketClient;
  deadline: number;
  version: string;
  oldGit: ReturnType<typeof gitWithoutBearer>;
}

async function accountFinding(a: Account, c: AccountCheck): Promise<Finding> {
  const { url, io } = c;
  const secrets = await a.store.read(a);
  const token = secrets?.password ?? secrets?.credential;
  const who = a.username ?? '(no username)';
  const expires = expiryOf(a);
  if (!token)
    return {
      id: 'token',
      level: 'error',
      title: `${who}: the token is missing from the store`,
      fix: `git credential-bitbucket login ${url}`,
    };
  if (holdsPassword(a, secrets))
    return { id: 'password', level: 'error', title: `${who}: ${STORED_PASSWORD}`, fix: replacePasswordFix(a, url) };
  if (expires !== undefined && expires <= io.now())
    return {
      id: 'token-expired',
      level: 'error',
      title: `${who}: the token expired on ${new Date(expires).toISOString().slice(0, 10)}`,
      fix: `create a new token, then: git credential-bitbucket login ${url}`,
    };
  const own = a.meta?.allowHttp
    ? (await clientFor(url, io, c.deadline - Date.now(), { allowHttp: true })).withDeadline(c.deadline)
    : c.client;
  const r = await classifyToken({
    client: own,
    credential: { scheme: 'bearer', secret: token },
    allowBasic: true,
    server: { version: c.version },
    ...(a.username ? { username: a.username } : {}),
  });
  const unchecked = r.unchecked.length ? { detail: `not checked: ${r.unchecked.join('; ')}` } : {};
  if (r.status !== 'valid')
    return {
      id: 'token',
      level: 'error',
      title: `${who}: ${r.message}`,
      ...unchecked,
      fix: `git credential-bitbucket login ${url}`,
    };
  const kind = { kind: r.kind, decidedBy: r.decidedBy };
  if (r.kind !== 'personal' && !secrets?.password && c.oldGit)
    return {
      id: 'token-bearer',
      level: 'error',
      title: `${who}: ${bearerReason(c.oldGit)}`,
      fix: bearerFix(url),
      ...kind,
    };
  if (r.kind === 'project')
    return {
      id: 'token-kind',
      level: 'warn',
      title: `${who}: a project/repository token${r.user.name ? ` (acts as bot '${r.user.name}')` : ''}`,
      fix: `log in with a personal token: git credential-bitbucket login ${url}`,
      ...kind,
    };
  if (r.kind === 'unknown')
    return {
      id: 'token-kind',
      level: 'warn',
      title: `${who}: the server accepts the token but will not say whose it is (it may be a project/repository token)`,
      fix: `log in with a personal token: git credential-bitbucket login ${url}`,
      ...kind,
    };
  return {
    id: 'token',
    level: 'ok',
    title: `${who}: a personal token the server accepts${a.isDefault ? ' (default)' : ''}`,
    ...unchecked,
    ...kind,
  };
}
