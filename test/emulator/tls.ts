// A throwaway certificate authority and a leaf certificate for 127.0.0.1/localhost, made with
// the openssl CLI for HTTPS mode.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Paths and PEM contents of the generated CA and server certificate. */
export interface TlsMaterial {
  caFile: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _out, stderr) => {
      if (err) reject(new Error(`openssl ${args[0] ?? ''} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** Generates `ca.pem` and a leaf certificate signed by it into `dir`. */
export async function makeTls(dir: string): Promise<TlsMaterial> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '7',
      '-subj',
      '/CN=Bitbucket Emulator Test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  await writeFile(
    join(dir, 'server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      serial,
      '-days',
      '7',
      '-out',
      'server.pem',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  return {
    caFile: join(dir, 'ca.pem'),
    cert: await readFile(join(dir, 'server.pem'), 'utf8'),
    key: await readFile(join(dir, 'server.key'), 'utf8'),
  };
}
