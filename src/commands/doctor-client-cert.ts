/**
 * doctor's finding on the client certificate git names for the server (http.sslCert,
 * GIT_SSL_CERT): its file, subject, issuer and dates, read from the certificate only. The key
 * file is named, never read.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { utcMinute } from '../bitbucket/http-result.js';
import type { ClientCertificate } from '../git/config.js';
import type { Finding } from './doctor-findings.js';

const REPLACE = 'get a new client certificate from your administrator and set http.sslCert and http.sslKey to it';

/** The finding for `c`; undefined when git names no client certificate. */
export async function clientCertFinding(c: ClientCertificate | undefined, now: number): Promise<Finding | undefined> {
  if (!c) return undefined;
  const where = `client certificate ${c.certFile} (${c.certFrom})`;
  const detail = c.keyFile === c.certFile ? `key: in the same file (${c.keyFrom})` : `key: ${c.keyFile} (${c.keyFrom})`;
  if (c.unsupported) return { id: 'client-cert', level: 'error', title: `${where}: ${c.unsupported}`, detail };
  let x: X509Certificate;
  try {
    x = new X509Certificate(await readFile(c.certFile));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      id: 'client-cert',
      level: 'error',
      title: `${where}: ${code?.startsWith('E') ? `cannot be read (${code})` : 'holds no PEM certificate'}`,
      detail,
      fix: `set http.sslCert to your client certificate's PEM file`,
    };
  }
  const names = `${oneLine(x.subject)}, issued by ${oneLine(x.issuer)}`;
  if (Date.parse(x.validTo) <= now)
    return {
      id: 'client-cert',
      level: 'error',
      title: `${where}: ${names}, expired on ${utcMinute(x.validTo)}`,
      detail,
      fix: REPLACE,
    };
  if (Date.parse(x.validFrom) > now)
    return {
      id: 'client-cert',
      level: 'error',
      title: `${where}: ${names}, valid only from ${utcMinute(x.validFrom)}`,
      detail,
      fix: `check this machine's date and time, else ${REPLACE}`,
    };
  return { id: 'client-cert', level: 'info', title: `${where}: ${names}, valid until ${utcMinute(x.validTo)}`, detail };
}

/** X509Certificate's names have one attribute a line. */
function oneLine(name: string): string {
  return name.trim().split('\n').join(', ');
}
