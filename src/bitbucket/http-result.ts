/** Pure pieces of the HTTP client: building results and classifying transport errors. */
import type http from 'node:http';
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

/** Classifies a socket/TLS error. `viaProxy` = the error happened while talking to the proxy. */
export function classifyError(err: NodeJS.ErrnoException, where: string, viaProxy: boolean): Failure {
  const code = err.code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|^EPROTO$/.test(code)) {
    return fail('tls', `TLS failure with ${where}: ${err.message}`, code);
  }
  if (viaProxy) return fail('proxy', `proxy ${where} failed: ${code || err.message}`);
  if (UNREACHABLE_CODES.has(code)) return fail('unreachable', `cannot connect to ${where} (${code})`, code);
  return fail('reset', `connection to ${where} was closed (${code || err.message})`, code || undefined);
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
