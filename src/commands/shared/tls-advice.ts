/**
 * The next step after a TLS failure, by its kind (src/bitbucket/http-result.ts, tlsKindOf): the
 * CA settings and the CAs in use, the server's administrator for its certificate's dates, the
 * URL's host against the certificate's names, or the client certificate settings.
 */
import type { ApiFailure } from '../../bitbucket/failure.js';
import { tlsKindOf } from '../../bitbucket/http-result.js';
import { systemTrustInUse } from '../../bitbucket/tls-context.js';
import type { ClientCertificate, HttpSettings } from '../../git/config.js';

/** An expired server certificate: only its administrator can help. */
export const RENEW_FIX = "tell the server's administrator: the certificate must be renewed";
/** A server certificate not valid yet: this machine's clock may be wrong. */
export const CLOCK_FIX = "check this machine's date and time, else tell the server's administrator";

/**
 * What to do about a TLS failure with `url` (the server's base URL) under `settings`; undefined
 * for a failure that is not TLS or of no known kind.
 */
export async function tlsFix(
  f: Pick<ApiFailure, 'message' | 'network' | 'networkCode' | 'certNames'>,
  url: string,
  settings: HttpSettings,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const cert = settings.clientCert;
  // a server may close the connection on a client certificate it refuses, without an alert (Node does)
  if (cert && url.startsWith('https:') && f.networkCode === 'ECONNRESET')
    return `the server closed the connection: it may not ${takeFix(cert)}`;
  if (f.network !== 'tls' || !f.networkCode) return undefined;
  switch (tlsKindOf(f.networkCode, cert !== undefined)) {
    case 'untrusted':
      return untrustedFix(url, settings.caFile, env);
    case 'expired':
      return RENEW_FIX;
    case 'not-yet-valid':
      return CLOCK_FIX;
    case 'name':
      return nameFix(url, f.certNames);
    case 'not-tls':
      return `use http:// for this port, or the port where the server speaks https`;
    case 'client-cert-required':
      return cert
        ? `the server does not ${takeFix(cert)}`
        : `the server asks for a client certificate: get yours from your administrator and run: git config --global http.${url}/.sslCert <certificate file> and git config --global http.${url}/.sslKey <key file>`;
    case 'client-cert-refused':
      return `the server does not ${takeFix(cert!)}`;
    default:
      return undefined;
  }
}

/** A certificate for other names than the URL's host. */
export function nameFix(url: string, certNames: string | undefined): string {
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  return `the URL's host ${host} is not among the certificate's names${certNames ? ` (${certNames})` : ''}: use the server's URL with one of them, or ask the server's administrator for a certificate that names ${host}`;
}

/** "take the client certificate …: set …", after "the server does not". */
function takeFix(cert: ClientCertificate): string {
  return `take the client certificate ${cert.certFile} (${cert.certFrom}): set http.sslCert and http.sslKey to the certificate and key issued for this server (ask its administrator)`;
}

/**
 * A CA file (http.sslCAInfo, GIT_SSL_CAINFO) is the only trust git and this helper use; without
 * one, the system bundle, NODE_EXTRA_CA_CERTS (this helper only) and Node's own CAs.
 */
async function untrustedFix(url: string, caFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string> {
  if (caFile) {
    const fromEnv = Boolean(env.GIT_SSL_CAINFO); // it wins over http.sslCAInfo (src/git/config.ts)
    return (
      `the CA file in use, ${caFile} (${fromEnv ? 'GIT_SSL_CAINFO' : 'http.sslCAInfo'}), does not hold the server's CA: ` +
      `add its PEM certificate (from your administrator) to that file, or ` +
      (fromEnv ? 'set GIT_SSL_CAINFO to' : `run: git config --global http.${url}/.sslCAInfo <file> with`) +
      ` a file that holds it; NODE_EXTRA_CA_CERTS is not read while a CA file is set`
    );
  }
  const { bundle, extra } = await systemTrustInUse(env);
  const inUse = [
    bundle ? `the system bundle ${bundle.file}${bundle.fromEnv ? ' from SSL_CERT_FILE' : ''}` : 'no system bundle',
    ...(extra ? [`NODE_EXTRA_CA_CERTS ${extra}`] : []),
  ];
  return (
    `the CAs in use (${inUse.join(', ')}, and Node's own) do not include the server's CA: ` +
    `get its PEM certificate from your administrator and run: git config --global http.${url}/.sslCAInfo <file> ` +
    `(or set GIT_SSL_CAINFO to it); NODE_EXTRA_CA_CERTS reaches this helper only, not git`
  );
}
