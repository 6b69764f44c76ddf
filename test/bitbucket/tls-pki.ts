// Certificates for the TLS edge tests, made with the openssl CLI (`openssl ca`, which sets any
// validity dates): a CA, server certificates for 127.0.0.1 that are valid, expired or not valid
// yet, one for another name only, a client certificate (mTLS) with its key in clear and under a passphrase, and a TLS front
// that hands each connection on to a plain http server (the emulator) once the handshake is done.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

export interface EdgePki {
  dir: string;
  /** The CA that signs everything below. */
  caFile: string;
  /** Server certificates for IP:127.0.0.1 (PEM file paths); the key is `serverKey`. */
  valid: string;
  expired: string;
  notYetValid: string;
  /** Valid, but for the name MISNAMED_FOR only (not 127.0.0.1). */
  misnamed: string;
  serverKey: string;
  /** A client certificate for mTLS, its key, both in one file, and the key under a passphrase. */
  clientCert: string;
  clientKey: string;
  clientCombined: string;
  clientKeyEncrypted: string;
  remove(): void;
}

/** When the expired certificate's validity ended, and when the future one's begins. */
export const EXPIRED_ON = '2020-02-01 00:00 UTC';
export const VALID_FROM = '2099-12-01 00:00 UTC';
/** The only name of the `misnamed` certificate. */
export const MISNAMED_FOR = 'bitbucket.example.com';

export function makeEdgePki(): EdgePki {
  const dir = mkdtempSync(join(tmpdir(), 'gcb-tls-edges-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=gcb tls-edges CA']);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = d',
      '[d]',
      'database = index.txt',
      'new_certs_dir = .',
      'serial = serial',
      'default_md = sha256',
      'policy = p',
      'unique_subject = no',
      '[p]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  writeFileSync(join(dir, 'misnamed.ext'), `subjectAltName=DNS:${MISNAMED_FOR}\nbasicConstraints=CA:FALSE\n`);
  writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  run(['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=alice']);
  const sign = (csr: string, out: string, ext: string, dates: string[]) =>
    run(
      ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', csr, '-out', out].concat([
        '-extfile',
        ext,
        '-notext',
        ...dates,
      ]),
    );
  sign('server.csr', 'valid.pem', 'server.ext', ['-days', '2']);
  sign('server.csr', 'expired.pem', 'server.ext', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  sign('server.csr', 'future.pem', 'server.ext', ['-startdate', '20991201000000Z', '-enddate', '21000101000000Z']);
  sign('server.csr', 'misnamed.pem', 'misnamed.ext', ['-days', '2']);
  sign('client.csr', 'client.pem', 'client.ext', ['-days', '2']);
  writeFileSync(
    join(dir, 'client-combined.pem'),
    readFileSync(join(dir, 'client.pem'), 'utf8') + readFileSync(join(dir, 'client.key'), 'utf8'),
  );
  run(['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret-pass', '-out', 'client-enc.key']);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caFile: p('ca.pem'),
    valid: p('valid.pem'),
    expired: p('expired.pem'),
    notYetValid: p('future.pem'),
    misnamed: p('misnamed.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    clientCombined: p('client-combined.pem'),
    clientKeyEncrypted: p('client-enc.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsFront {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A TLS server on 127.0.0.1 with the certificate `cert` (a file of `pki`) that pipes each
 * connection to `upstreamPort` (plain http) after the handshake; with `clientCa`, it asks for a
 * client certificate signed by that CA and refuses connections without one.
 */
export async function startTlsFront(
  pki: EdgePki,
  cert: string,
  upstreamPort: number,
  opts: { clientCa?: string } = {},
): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = tls.createServer(
    {
      key: readFileSync(pki.serverKey),
      cert: readFileSync(cert),
      ...(opts.clientCa ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(opts.clientCa) } : {}),
    },
    (client) => {
      track(client);
      const up = net.connect(upstreamPort, '127.0.0.1');
      track(up);
      client.pipe(up).pipe(client);
    },
  );
  server.on('connection', track);
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
