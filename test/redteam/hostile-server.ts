/**
 * The red-team harness, server side: handlers that behave as an attacker's or a broken server
 * would (redirects, slow or endless answers, huge bodies, echoes of the request, hostile headers,
 * a Bitbucket look-alike with hostile values) and a certificate authority that issues
 * certificates for any name. They plug into `startServer` (any loopback address, IPv6 too) and
 * the recording CONNECT / forward proxy `startProxy` of test/bitbucket/helpers.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Handler } from '../bitbucket/helpers.js';

/** A throwaway CA whose `issue` signs server certificates for the given subjectAltName. */
export interface HostileCa {
  dir: string;
  caFile: string;
  issue(subjectAltName: string): { key: Buffer; cert: Buffer };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

export function makeCa(): HostileCa {
  const dir = mkdtempSync(join(tmpdir(), 'gcb-redteam-ca-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=gcb red-team CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  let n = 0;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    issue(san) {
      const name = `s${n++}`;
      openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=gcb red-team'], dir);
      writeFileSync(join(dir, `${name}.cnf`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${name}.csr`,
          '-CA',
          'ca.pem',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          '-out',
          `${name}.pem`,
          '-days',
          '2',
          '-extfile',
          `${name}.cnf`,
        ],
        dir,
      );
      return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Ready-made hostile behaviours. */
export const behave = {
  /** A redirect, to wherever the attacker likes. */
  redirect:
    (location: string, status = 302): Handler =>
    (_req, res) =>
      res.writeHead(status, { Location: location }).end(),
  /** Waits `ms` before handing over to `next`. */
  slow:
    (ms: number, next: Handler): Handler =>
    (req, res) => {
      const t = setTimeout(() => next(req, res), ms);
      res.on('close', () => clearTimeout(t));
    },
  /** Headers, then a body that never ends. */
  endless: (): Handler => (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const tick = setInterval(() => res.write('[' + ' '.repeat(1024)), 5);
    res.on('close', () => clearInterval(tick));
  },
  /** A complete body of `bytes` bytes. */
  huge:
    (bytes: number): Handler =>
    (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(bytes) });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let left = bytes;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    },
  /**
   * Echoes the request's Authorization header back in an error message, in the forms a server or
   * gateway may use: as sent, URL-encoded (`+` for spaces) and percent-encoded.
   */
  echo:
    (status = 500): Handler =>
    (req, res) => {
      const auth = req.headers.authorization ?? '';
      const secret = auth.replace(/^\S+\s+/, '');
      const every = (t: string) => [...Buffer.from(t)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
      const forms = [
        auth,
        new URLSearchParams({ a: auth }).toString().slice(2),
        encodeURIComponent(secret),
        encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
        every(secret),
        every(secret).toUpperCase(),
      ];
      const message = `request rejected: ${forms.join(' | ')} (url ${req.url ?? ''})`;
      res
        .writeHead(status, { 'Content-Type': 'application/json', 'X-AREQUESTID': 'echo' })
        .end(JSON.stringify({ errors: [{ message }] }));
    },
  /** Adds hostile response headers, then hands over to `next`. */
  headers:
    (h: Record<string, string>, next: Handler): Handler =>
    (req, res) => {
      for (const [k, v] of Object.entries(h)) res.setHeader(k, v);
      next(req, res);
    },
};

/**
 * A minimal Bitbucket look-alike: application properties anonymously, `X-AUSERNAME` for any
 * credentials `accept` lets through, 401 otherwise. Enough for `login`, `status`, `check`.
 */
export function fakeBitbucket(opts: {
  username?: string;
  accept?: (authorization: string | undefined) => boolean;
  /** Extra fields / overrides of the user record. */
  user?: Record<string, unknown>;
  /** The token entry under /rest/access-tokens; absent = 404. */
  token?: Record<string, unknown>;
  version?: string;
  /** The message of the 401 answer to a refused credential. */
  errorMessage?: string;
}): Handler {
  const username = opts.username ?? 'alice';
  const accept = opts.accept ?? ((a) => a !== undefined);
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const json = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'X-AREQUESTID': 'r1', ...extra });
      res.end(JSON.stringify(body));
    };
    if (path.endsWith('/rest/api/1.0/application-properties'))
      return json(200, { version: opts.version ?? '9.4.22', buildNumber: '9004022', displayName: 'Bitbucket' });
    if (!accept(req.headers.authorization))
      return json(401, {
        errors: [
          {
            message: opts.errorMessage ?? 'Authentication failed. Please check your credentials and try again.',
            exceptionName: 'com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException',
          },
        ],
      });
    const who = { 'X-AUSERNAME': encodeURIComponent(username), 'X-AUSERID': '1' };
    const user = {
      name: username,
      slug: username.toLowerCase(),
      id: 1,
      type: 'NORMAL',
      active: true,
      displayName: 'Alice',
      emailAddress: 'alice@example.com',
      links: { self: [{ href: `http://x/users/${username}` }] },
      ...opts.user,
    };
    if (/\/rest\/api\/1\.0\/users$/.test(path)) return json(200, page([user]), who);
    if (/\/rest\/api\/1\.0\/users\/[^/]+$/.test(path)) return json(200, user, who);
    if (/\/rest\/api\/1\.0\/repos$/.test(path)) return json(200, page([]), who);
    if (/\/rest\/access-tokens\/1\.0\//.test(path) && opts.token) return json(200, opts.token, who);
    return json(404, { errors: [{ message: 'not found' }] }, who);
  };
}

function page(values: unknown[]) {
  return { size: values.length, limit: 25, start: 0, isLastPage: true, values };
}
