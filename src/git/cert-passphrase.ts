/**
 * The passphrase of a client certificate's key, asked of git's credential helpers (or its prompt)
 * as git asks for it (git's http.c, has_cert_password, when http.sslCertPasswordProtected is
 * set): `git credential fill` with protocol=cert, an empty host and username, and the path of the
 * certificate (http.sslCert); then `approve` when it opened the key, `reject` when it did not,
 * as git does after using it. The passphrase travels on git's pipes only.
 */
import { gitAsync } from './async.js';

/** What git describes the certificate by, one attribute a line (gitcredentials(7)). */
function describeCert(certFile: string): string {
  return `protocol=cert\nhost=\nusername=\npath=${certFile}\n`;
}

/** The passphrase git's helpers or prompt give for `certFile`; undefined when none. */
export async function fillCertPassphrase(certFile: string): Promise<string | undefined> {
  if (/[\n\0]/.test(certFile)) return undefined; // not sayable on the protocol
  const r = await gitAsync(['credential', 'fill'], {}, `${describeCert(certFile)}\n`);
  if (r.status !== 0) return undefined;
  const line = r.stdout.split('\n').find((l) => l.startsWith('password='));
  return line?.slice('password='.length) || undefined;
}

/** Tells git's helpers whether the passphrase opened the key: they keep it, or forget it. */
export async function settleCertPassphrase(certFile: string, passphrase: string, opened: boolean): Promise<void> {
  if (/[\n\0]/.test(passphrase)) return;
  await gitAsync(
    ['credential', opened ? 'approve' : 'reject'],
    {},
    `${describeCert(certFile)}password=${passphrase}\n\n`,
  );
}
