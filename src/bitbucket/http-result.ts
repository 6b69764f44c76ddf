/** Pure pieces of the HTTP client: building results and classifying transport errors. */
import type http from 'node:http';
import type { PeerCertificate } from 'node:tls';
import type { HttpSettings } from '../git/config.js';
import type { HttpErrorKind, HttpResult } from './http.js';

type Failure = Extract<HttpResult, { ok: false }>;
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

/** A transport failure value. */
export function fail(error: HttpErrorKind, message: string, code?: string): Failure {
  return code ? { ok: false, error, message, code } : { ok: false, error, message };
}

/** Certificate codes that mean: signed by a CA not trusted here (Node's names of OpenSSL's verify errors). */
export const UNTRUSTED_CODES =
  /^(UNABLE_TO_(GET_ISSUER_CERT(_LOCALLY)?|VERIFY_LEAF_SIGNATURE)|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED)$/;

/**
 * Classifies a socket/TLS error. `viaProxy` = the error happened while talking to the proxy;
 * `settings` name the CA file and client certificate in TLS messages.
 */
export function classifyError(
  err: NodeJS.ErrnoException,
  where: string,
  viaProxy: boolean,
  settings?: HttpSettings,
): Failure {
  const code = err.code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|^EPROTO$/.test(code))
    return tlsFailure(err, where, settings);
  if (viaProxy) return fail('proxy', `proxy ${where} failed: ${code || err.message}`);
  if (UNREACHABLE_CODES.has(code)) return fail('unreachable', `cannot connect to ${where} (${code})`, code);
  return fail('reset', `connection to ${where} was closed (${code || err.message})`, code || undefined);
}

/** What a TLS failure means for the user: each kind has its own next step (doctor, login). */
export type TlsKind =
  'untrusted' | 'expired' | 'not-yet-valid' | 'name' | 'not-tls' | 'client-cert-required' | 'client-cert-refused';

/**
 * The kind of a TLS failure from its code (Node names OpenSSL's reasons ERR_SSL_<REASON>, and
 * tlsFailure names a bare EPROTO so too); `clientCert`: a client certificate was offered.
 * Undefined: none of these.
 */
export function tlsKindOf(code: string, clientCert: boolean): TlsKind | undefined {
  if (UNTRUSTED_CODES.test(code)) return 'untrusted';
  if (code === 'CERT_HAS_EXPIRED') return 'expired';
  if (code === 'CERT_NOT_YET_VALID') return 'not-yet-valid';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'name';
  if (/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST)$/.test(code)) return 'not-tls';
  if (/CERTIFICATE_REQUIRED$/.test(code) || (!clientCert && /ALERT_HANDSHAKE_FAILURE$/.test(code)))
    return 'client-cert-required';
  if (clientCert && /ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_[A-Z]+|ACCESS_DENIED|HANDSHAKE_FAILURE)$/.test(code))
    return 'client-cert-refused';
  return undefined;
}

/**
 * A TLS failure in a few words and a code, instead of OpenSSL's text (its source file, line and
 * error queue). A write that fails with EPROTO carries the reason only in its text: its code is
 * then named as Node names the others (ERR_SSL_ and the reason).
 */
function tlsFailure(
  err: NodeJS.ErrnoException & { reason?: string; host?: string; cert?: PeerCertificate },
  where: string,
  s?: HttpSettings,
): Failure {
  const reason = (err.reason ?? /:error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:\n]+)/.exec(err.message)?.[1])?.trim();
  const code =
    err.code === 'EPROTO' && reason ? `ERR_SSL_${reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}` : (err.code ?? '');
  const cert = s?.clientCert;
  let phrase: string;
  switch (tlsKindOf(code, cert !== undefined)) {
    case 'untrusted':
      phrase = s?.caFile
        ? `the server's certificate is signed by a CA that the CA file ${s.caFile} does not hold`
        : "the server's certificate is signed by a CA this machine does not trust";
      break;
    case 'expired':
    case 'not-yet-valid':
      return validityFailure(where, code);
    case 'name': {
      const names = certNames(err.cert);
      const failure = fail(
        'tls',
        `TLS failure with ${where}: the server's certificate is not valid for ${err.host ?? where}${names ? `: it names ${names}` : ''} (${code})`,
        code,
      );
      return names ? { ...failure, certNames: names } : failure;
    }
    case 'not-tls':
      phrase = 'the server does not speak TLS on this port (http:// URL?)';
      break;
    case 'client-cert-required':
      phrase = cert
        ? `the server asks for a client certificate and did not take ${cert.certFile} (${cert.certFrom})`
        : 'the server asks for a client certificate (http.sslCert/http.sslKey)';
      break;
    case 'client-cert-refused':
      phrase = `the server does not accept the client certificate ${cert!.certFile} (${cert!.certFrom})${reason ? `: ${reason}` : ''}`;
      break;
    default:
      phrase = reason ?? err.message.split('\n')[0]!.trim();
  }
  return fail('tls', `TLS failure with ${where}: ${phrase} (${code})`, code);
}

/** The names a certificate holds: its subjectAltName entries, else its subject's CN. */
function certNames(cert: PeerCertificate | undefined): string | undefined {
  if (!cert) return undefined;
  if (cert.subjectaltname) return cert.subjectaltname;
  const cn = cert.subject?.CN;
  return cn ? `CN=${Array.isArray(cn) ? cn.join(', CN=') : cn}` : undefined;
}

/** The failure for an expired or not yet valid server certificate, with its dates when known. */
export function validityFailure(
  where: string,
  code: string,
  cert?: Pick<PeerCertificate, 'valid_from' | 'valid_to'>,
): Failure {
  const phrase =
    code === 'CERT_HAS_EXPIRED'
      ? cert
        ? `expired on ${utcMinute(cert.valid_to)}`
        : 'has expired'
      : cert
        ? `is valid only from ${utcMinute(cert.valid_from)}`
        : 'is not valid yet';
  return fail('tls', `TLS failure with ${where}: the server's certificate ${phrase} (${code})`, code);
}

/** OpenSSL's "Feb  1 00:00:00 2020 GMT" as "2020-02-01 00:00 UTC". */
export function utcMinute(openssl: string): string {
  const t = Date.parse(openssl);
  return Number.isNaN(t) ? openssl : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A response result: lower-cased headers (repeated ones joined), json parsed for json content types. */
export function buildResponse(res: http.IncomingMessage, body: string): HttpResult {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  const result: HttpResult = { ok: true, status: res.statusCode ?? 0, headers, body };
  if (/json/i.test(headers['content-type'] ?? '') && body !== '') {
    try {
      result.json = JSON.parse(body) as unknown;
    } catch {
      // Left undefined: callers treat a missing json as "not the expected shape".
    }
  }
  return result;
}

/**
 * The kind of transport failure a message of this client names (by its first words; a deadline of
 * BitbucketClient and the guard's own safety net included), for a layer that kept only the
 * message: the guard's verdict. test/bitbucket/tls-edges.test.ts holds it to real failures.
 */
export function failureKindOf(message: string): HttpErrorKind | undefined {
  if (/^(no complete response from|not sent: the time budget|no answer within)/.test(message)) return 'timeout';
  if (/^(TLS |cannot read CA file|cannot (read|use) the client|the client key|http\.ssl|GIT_SSL_)/.test(message))
    return 'tls';
  if (/^(the )?proxy /.test(message)) return 'proxy';
  if (message.startsWith('connection to ')) return 'reset';
  if (message.startsWith('cannot connect to ')) return 'unreachable';
  return undefined;
}
