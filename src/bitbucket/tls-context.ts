/**
 * The TLS context of src/bitbucket/http.ts: the CAs to trust and the client certificate, as git
 * would use them. One context per process for each set of settings: building one parses every
 * trusted CA (about 300 with the system bundle, far longer than a request to a near server), so
 * the guard's concurrent requests and a command's successive ones share it.
 */
import { createPrivateKey } from 'node:crypto';
import tls from 'node:tls';
import { access, constants, readFile } from 'node:fs/promises';
import type { ClientCertificate, HttpSettings } from '../git/config.js';
import { ENV } from '../settings.js';
import { fillCertPassphrase, settleCertPassphrase } from '../git/cert-passphrase.js';

/** A context to pass as `secureContext`, or why none could be built (one line). */
export type ContextResult = { context: tls.SecureContext } | { error: string };

const contexts = new Map<string, Promise<ContextResult>>();

/** The context for these settings, built at the first request that needs it. */
export function secureContextFor(settings: HttpSettings): Promise<ContextResult> {
  const trust = settings.sslVerify ? (settings.caFile ?? systemTrustFiles()) : null;
  const key = JSON.stringify([trust, settings.clientCert ?? null]);
  let built = contexts.get(key);
  if (!built) {
    built = build(settings);
    contexts.set(key, built);
    // a file that could not be read may be there at the next request
    void built.then((r) => 'error' in r && contexts.delete(key));
  }
  return built;
}

async function build(settings: HttpSettings): Promise<ContextResult> {
  const options: tls.SecureContextOptions = {};
  if (settings.sslVerify && settings.caFile) {
    try {
      options.ca = [await readFile(settings.caFile)];
    } catch (e) {
      return { error: `cannot read CA file ${settings.caFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  } else if (settings.sslVerify) {
    const ca = await systemTrust();
    if (ca) options.ca = ca;
  }
  if (settings.clientCert) {
    const pair = await clientPair(settings.clientCert);
    if ('error' in pair) return pair;
    Object.assign(options, pair);
  }
  try {
    return { context: tls.createSecureContext(options) };
  } catch (e) {
    const c = settings.clientCert;
    // only the certificate and key can make this fail: Node skips CA entries it cannot read
    return {
      error: c
        ? `cannot use the client certificate ${c.certFile} (${c.certFrom}) with the key ${c.keyFile}: ${reasonOf(e as Error)}`
        : `cannot set up TLS: ${reasonOf(e as Error)}`,
    };
  }
}

async function clientPair(
  c: ClientCertificate,
): Promise<{ cert: Buffer; key: Buffer; passphrase?: string } | { error: string }> {
  if (c.unsupported) return { error: c.unsupported };
  const read = async (file: string, what: string, from: string) =>
    readFile(file).catch((e: NodeJS.ErrnoException) => ({
      error: `cannot read the client ${what} ${file} (${from}) (${e.code ?? 'error'})`,
    }));
  const cert = await read(c.certFile, 'certificate', c.certFrom);
  if ('error' in cert) return cert;
  const key = c.keyFile === c.certFile ? cert : await read(c.keyFile, 'key', c.keyFrom);
  if ('error' in key) return key;
  if (!/-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: *4, *ENCRYPTED/m.test(key.toString('latin1')))
    return { cert, key };
  const locked = `the client key ${c.keyFile} is protected by a passphrase (${c.keyFrom})`;
  // git asks for it only with http.sslCertPasswordProtected (src/git/cert-passphrase.ts)
  if (!c.passwordProtected)
    return {
      error: `${locked}; set http.sslCertPasswordProtected to true to have git's credential helpers or prompt give it`,
    };
  const passphrase = await fillCertPassphrase(c.certFile);
  if (passphrase === undefined)
    return { error: `${locked}, and git gave none for ${c.certFile} (git credential fill, protocol=cert)` };
  let opened = true;
  try {
    createPrivateKey({ key, format: 'pem', passphrase });
  } catch {
    opened = false;
  }
  await settleCertPassphrase(c.certFile, passphrase, opened);
  if (!opened)
    return {
      error: `the client key ${c.keyFile} does not open with the passphrase git's credential helpers gave for ${c.certFile} (${c.keyFrom}); it was rejected to them`,
    };
  return { cert, key, passphrase };
}

/** OpenSSL's reason ("key values mismatch") out of its long error text. */
function reasonOf(e: Error & { reason?: string }): string {
  const reason = e.reason ?? /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:\n]+)/.exec(e.message)?.[1] ?? e.message;
  return reason.split('\n')[0]!.trim();
}

/**
 * Without http.sslCAInfo, git (through curl and OpenSSL) trusts the system's CA bundle, which is
 * where a company's internal CA usually lives; Node trusts only its own bundled list. So, like
 * git, also trust the system bundle when there is one (Node's list stays in), and the file of
 * NODE_EXTRA_CA_CERTS (which our sh fronts, the helper line's and the hook's, hand on as
 * ENV.extraCaCerts: Node then need not read it at every start), which Node would add itself were
 * no `ca` given. Undefined: Node's defaults only.
 */
async function systemTrust(): Promise<Array<string | Buffer> | undefined> {
  const files = systemTrustFiles();
  const extra = files.extra ? await readFile(files.extra).catch(() => undefined) : undefined; // Node too only warns
  let bundle: Buffer | undefined;
  for (const file of files.bundles) {
    bundle = await readFile(file).catch(() => undefined); // not on this system: try the next place
    if (bundle) break;
  }
  return bundle || extra
    ? [...tls.rootCertificates, ...(bundle ? [bundle] : []), ...(extra ? [extra] : [])]
    : undefined;
}

/**
 * Where the system trust is read from (also the cache key: the environment may name other files).
 * `env`: another environment than this process's, for a report.
 */
function systemTrustFiles(env: NodeJS.ProcessEnv = process.env): { bundles: string[]; extra?: string } {
  const extra = env[ENV.extraCaCerts.name] || env.NODE_EXTRA_CA_CERTS;
  const bundles = [
    env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
    '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
    '/etc/ssl/ca-bundle.pem', // openSUSE
    '/etc/ssl/cert.pem', // macOS, BSDs
  ].filter((f): f is string => Boolean(f));
  return extra ? { bundles, extra } : { bundles };
}

/**
 * The CAs trusted without a CA file, for a report: the system bundle read (the first of
 * systemTrustFiles' places that can be read; `fromEnv` when SSL_CERT_FILE named it), and the file
 * of NODE_EXTRA_CA_CERTS; Node's own list is always trusted too.
 */
export async function systemTrustInUse(
  env: NodeJS.ProcessEnv,
): Promise<{ bundle?: { file: string; fromEnv: boolean }; extra?: string }> {
  const files = systemTrustFiles(env);
  const readable = (file: string) =>
    access(file, constants.R_OK).then(
      () => true,
      () => false,
    );
  let bundle: { file: string; fromEnv: boolean } | undefined;
  for (const file of files.bundles) {
    if (!(await readable(file))) continue;
    bundle = { file, fromEnv: file === env.SSL_CERT_FILE };
    break;
  }
  return { ...(bundle ? { bundle } : {}), ...(files.extra ? { extra: files.extra } : {}) };
}
