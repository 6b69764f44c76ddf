/**
 * A small HTTP(S) client on node:http / node:https: one request, a total deadline, a body cap,
 * git's proxy / CA / verification settings, and results instead of exceptions. It never puts
 * request headers (and so never credentials) into a message.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import type { HttpSettings } from '../git/config.js';
import { buildResponse, classifyError, fail } from './http-result.js';
import { proxyFor, type ProxyTarget } from './proxy.js';
import { isLoopbackHost } from '../credential/transport.js';
import { ALLOW_HTTP_KEY } from '../settings.js';
import { ENV } from '../settings.js';
import { trace } from '../trace.js';

/** One request. `timeoutMs` bounds everything: proxy, connect, TLS, response and body. */
export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  settings: HttpSettings;
  signal?: AbortSignal;
  /** Default 5 MiB. */
  maxBodyBytes?: number;
  /**
   * Whether the user allowed credentials over plain http. Without it an `Authorization` header
   * goes over http:// only directly to a loopback address; never to another host, and never
   * through a proxy (the proxy would read it).
   */
  cleartextAllowed?: boolean;
}

/** Why no HTTP response arrived. */
export type HttpErrorKind =
  'timeout' | 'unreachable' | 'tls' | 'proxy' | 'reset' | 'aborted' | 'too-large' | 'insecure';

/** A response (any status), or a transport failure. */
export type HttpResult =
  | { ok: true; status: number; headers: Record<string, string>; body: string; json?: unknown }
  | {
      ok: false;
      error: HttpErrorKind;
      message: string;
      /** The socket or TLS error code, when one was given. */ code?: string;
    };

const DEFAULT_MAX_BODY = 5 * 1024 * 1024;

/** Sends one request; resolves with a result, never rejects. Redirects are not followed. */
export async function httpRequest(req: HttpRequest): Promise<HttpResult> {
  const started = performance.now();
  const r = await send(req);
  // the path only: no query (it may name things), never headers (they carry the credential)
  trace('http', () => {
    const where = URL.canParse(req.url) ? `${new URL(req.url).origin}${new URL(req.url).pathname}` : 'an invalid URL';
    const ms = Math.round(performance.now() - started);
    return `${req.method ?? 'GET'} ${where}: ${r.ok ? `HTTP ${r.status}` : `${r.error} (${r.message})`} in ${ms} ms`;
  });
  return r;
}

async function send(req: HttpRequest): Promise<HttpResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return fail('unreachable', 'invalid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return fail('unreachable', `unsupported scheme ${url.protocol}`);
  const proxy = proxyFor(url, req.settings);
  if (proxy && 'error' in proxy) return fail('proxy', proxy.error);
  const refusal = cleartextRefusal(req, url, proxy);
  if (refusal) return fail('insecure', refusal);
  let ca: Array<string | Buffer> | undefined;
  if (url.protocol === 'https:' && req.settings.caFile) {
    try {
      ca = [await readFile(req.settings.caFile)];
    } catch (e) {
      return fail(
        'tls',
        `cannot read CA file ${req.settings.caFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  } else if (url.protocol === 'https:') {
    ca = await systemTrust();
  }
  if (req.signal?.aborted) return fail('aborted', 'request aborted');
  return new Promise((resolve) => new Exchange(req, url, proxy, ca, resolve).start());
}

/** The longest delay Node's timers take (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

class Exchange {
  private done = false;
  private readonly destroyers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly where: string;

  constructor(
    private readonly req: HttpRequest,
    private readonly url: URL,
    private readonly proxy: ProxyTarget | null,
    private readonly ca: Array<string | Buffer> | undefined,
    private readonly resolve: (r: HttpResult) => void,
  ) {
    this.where = url.host;
  }

  start(): void {
    this.timer = setTimeout(
      () => this.finish(fail('timeout', `no complete response from ${this.where} within ${this.req.timeoutMs} ms`)),
      // Node fires a longer timer after 1 ms (with a warning): the longest it can wait instead
      Math.min(this.req.timeoutMs, MAX_TIMER_MS),
    );
    this.req.signal?.addEventListener('abort', this.onAbort, { once: true });
    try {
      if (!this.proxy) this.direct();
      else if (this.url.protocol === 'http:') this.forward(this.proxy);
      else this.tunnel(this.proxy);
    } catch (e) {
      // Synchronous throws: invalid header characters and the like; the message names no value.
      this.finish(fail('unreachable', `request not sent: ${(e as Error).message}`));
    }
  }

  private readonly onAbort = (): void => this.finish(fail('aborted', 'request aborted'));

  private finish(result: HttpResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.req.signal?.removeEventListener('abort', this.onAbort);
    for (const d of this.destroyers) d();
    this.resolve(result);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { Host: this.url.host, ...this.req.headers, ...extra };
    if (this.req.body !== undefined) h['Content-Length'] = String(Buffer.byteLength(this.req.body));
    return h;
  }

  private path(): string {
    return this.url.pathname + this.url.search;
  }

  private direct(): void {
    const secure = this.url.protocol === 'https:';
    const options: https.RequestOptions = {
      host: stripBrackets(this.url.hostname),
      port: this.url.port || (secure ? 443 : 80),
      method: this.req.method ?? 'GET',
      path: this.path(),
      headers: this.headers(),
      agent: false,
    };
    if (secure) Object.assign(options, { ca: this.ca, rejectUnauthorized: this.req.settings.sslVerify });
    this.send((secure ? https : http).request(options), false);
  }

  /** Plain http through a proxy: absolute-URI request line (RFC 9112 section 3.2.2). */
  private forward(proxy: ProxyTarget): void {
    const absolute = `${this.url.protocol}//${this.url.host}${this.path()}`;
    const extra: Record<string, string> = proxy.authorization ? { 'Proxy-Authorization': proxy.authorization } : {};
    const r = http.request({
      host: proxy.host,
      port: proxy.port,
      method: this.req.method ?? 'GET',
      path: absolute,
      headers: this.headers(extra),
      agent: false,
    });
    this.send(r, true);
  }

  /** https through a proxy: CONNECT tunnel, then TLS to the server inside it. */
  private tunnel(proxy: ProxyTarget): void {
    const authority = `${this.url.hostname}:${this.url.port || 443}`;
    const headers: Record<string, string> = { Host: authority };
    if (proxy.authorization) headers['Proxy-Authorization'] = proxy.authorization;
    const connect = http.request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: authority,
      headers,
      agent: false,
    });
    this.destroyers.push(() => connect.destroy());
    connect.on('error', (e) => this.finish(classifyError(e, `${proxy.display} (CONNECT)`, true)));
    connect.on('connect', (res: http.IncomingMessage, socket: Duplex) => {
      this.destroyers.push(() => socket.destroy());
      if (res.statusCode !== 200) {
        this.finish(
          fail('proxy', `proxy ${proxy.display} refused the tunnel to ${this.where} (HTTP ${res.statusCode})`),
        );
        return;
      }
      const hostname = stripBrackets(this.url.hostname);
      // Over a tunnel socket Node would otherwise check the certificate against the proxy's
      // address (or "localhost"): name the target host explicitly, for IP addresses too (SNI
      // carries names only, RFC 6066 section 3).
      const secure = tls.connect({
        socket,
        host: hostname,
        ca: this.ca,
        rejectUnauthorized: this.req.settings.sslVerify,
        checkServerIdentity: (_name, cert) => tls.checkServerIdentity(hostname, cert),
        ...(isIp(hostname) ? {} : { servername: hostname }),
      });
      this.destroyers.push(() => secure.destroy());
      secure.on('error', (e) => this.finish(classifyError(e, this.where, false)));
      const r = http.request({
        host: hostname,
        method: this.req.method ?? 'GET',
        path: this.path(),
        headers: this.headers(),
        createConnection: () => secure,
      });
      this.send(r, false);
    });
    connect.end();
  }

  private send(r: http.ClientRequest, viaProxy: boolean): void {
    this.destroyers.push(() => r.destroy());
    let handshakeDone = this.url.protocol !== 'https:';
    r.on('socket', (sock) => {
      if (sock instanceof tls.TLSSocket)
        sock.once('secureConnect', () => {
          handshakeDone = true;
        });
    });
    r.on('error', (e: NodeJS.ErrnoException) => {
      // A reset before the TLS handshake completed is a TLS problem (wrong port, interception).
      if (!handshakeDone && e.code === 'ECONNRESET')
        this.finish(fail('tls', `TLS handshake with ${this.where} failed (${e.code})`, e.code));
      else this.finish(classifyError(e, viaProxy ? `for ${this.where}` : this.where, viaProxy));
    });
    r.on('response', (res) => this.receive(res, viaProxy));
    r.end(this.req.body);
  }

  private receive(res: http.IncomingMessage, viaProxy: boolean): void {
    if (viaProxy && res.statusCode === 407) {
      this.finish(fail('proxy', 'the proxy requires authentication (HTTP 407)'));
      return;
    }
    const max = this.req.maxBodyBytes ?? DEFAULT_MAX_BODY;
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) this.finish(fail('too-large', `response from ${this.where} exceeds ${max} bytes`));
      else chunks.push(c);
    });
    res.on('error', (e) => this.finish(classifyError(e, this.where, false)));
    res.on('aborted', () => this.finish(fail('reset', `connection to ${this.where} closed mid-response`)));
    res.on('end', () => {
      if (!res.complete) {
        this.finish(fail('reset', `connection to ${this.where} closed mid-response`));
        return;
      }
      this.finish(buildResponse(res, Buffer.concat(chunks).toString('utf8')));
    });
  }
}

/** Why credentials must not go out on this request in clear text, or undefined when they may. */
function cleartextRefusal(req: HttpRequest, url: URL, proxy: ProxyTarget | null): string | undefined {
  if (url.protocol !== 'http:' || req.cleartextAllowed) return undefined;
  if (!Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'authorization')) return undefined;
  if (!proxy && isLoopbackHost(url.host)) return undefined;
  return (
    `not sending the token over plain http:// to ${url.host}${proxy ? ` through the proxy ${proxy.display}` : ''}; ` +
    `use https://, or allow plain http (login --allow-http, or git config ${ALLOW_HTTP_KEY} true)`
  );
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}

/**
 * Without http.sslCAInfo, git (through curl and OpenSSL) trusts the system's CA bundle, which is
 * where a company's internal CA usually lives; Node trusts only its own bundled list. So, like
 * git, also trust the system bundle when there is one (Node's list stays in), and the file of
 * NODE_EXTRA_CA_CERTS (which our sh fronts, the helper line's and the hook's, hand on as
 * ENV.extraCaCerts: Node then need not read it at every start), which Node would add itself were no `ca`
 * given. Undefined: Node's defaults only.
 */
async function systemTrust(): Promise<Array<string | Buffer> | undefined> {
  const extra = await extraTrust();
  const bundle = await systemBundle();
  return bundle || extra.length > 0 ? [...tls.rootCertificates, ...(bundle ? [bundle] : []), ...extra] : undefined;
}

async function extraTrust(): Promise<Buffer[]> {
  const file = process.env[ENV.extraCaCerts.name] || process.env.NODE_EXTRA_CA_CERTS;
  try {
    return file ? [await readFile(file)] : [];
  } catch {
    return []; // Node too only warns about an unreadable NODE_EXTRA_CA_CERTS
  }
}

async function systemBundle(): Promise<Buffer | undefined> {
  const candidates = [
    process.env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine
    '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
    '/etc/ssl/ca-bundle.pem', // openSUSE
    '/etc/ssl/cert.pem', // macOS, BSDs
  ];
  for (const file of candidates) {
    if (!file) continue;
    try {
      return await readFile(file);
    } catch {
      // not on this system: try the next place
    }
  }
  return undefined;
}
