/**
 * A small HTTP(S) client on node:http / node:https: one request, a total deadline, a body cap,
 * git's proxy / CA / verification settings, and results instead of exceptions. It never puts
 * request headers (and so never credentials) into a message.
 */
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { HttpSettings } from '../git/config.js';
import { buildResponse, classifyError, fail, validityFailure } from './http-result.js';
import { proxyFor, type ProxyTarget } from './proxy.js';
import { secureContextFor } from './tls-context.js';
import { MAX_TIMER_MS, openTunnel, presentedCertificate, stripBrackets, tunnelledTls } from './tls-connect.js';
import { isLoopbackHost } from '../credential/transport.js';
import { ALLOW_HTTP_KEY } from '../settings.js';
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
      /** ERR_TLS_CERT_ALTNAME_INVALID: the names the server's certificate holds instead. */
      certNames?: string;
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
  let context: tls.SecureContext | undefined;
  if (url.protocol === 'https:') {
    const built = await secureContextFor(req.settings);
    if ('error' in built) return fail('tls', built.error);
    context = built.context;
  }
  if (req.signal?.aborted) return fail('aborted', 'request aborted');
  const started = Date.now();
  const r = await new Promise<HttpResult>((resolve) => new Exchange(req, url, proxy, context, resolve).start());
  if (r.ok || (r.code !== 'CERT_HAS_EXPIRED' && r.code !== 'CERT_NOT_YET_VALID') || !context) return r;
  // Node gives no certificate with a verification failure: its dates come from a second
  // handshake that sends nothing, within what is left of the time
  const left = req.timeoutMs - (Date.now() - started);
  const cert = left > 0 ? await presentedCertificate(url, proxy, context, left) : undefined;
  return validityFailure(url.host, r.code, cert);
}

class Exchange {
  private done = false;
  private readonly destroyers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly where: string;

  constructor(
    private readonly req: HttpRequest,
    private readonly url: URL,
    private readonly proxy: ProxyTarget | null,
    private readonly context: tls.SecureContext | undefined,
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
    // the last opened first: Node 20 crashes (SIGSEGV) when the socket under a TLS socket goes first
    for (const d of this.destroyers.reverse()) d();
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
    if (secure)
      Object.assign(options, { secureContext: this.context, rejectUnauthorized: this.req.settings.sslVerify });
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
    openTunnel(proxy, this.url, {
      opened: (part) => this.destroyers.push(() => part.destroy()),
      failed: (f) => this.finish(f),
      ready: (socket) => {
        const secure = tunnelledTls(socket, this.url, this.context, this.req.settings.sslVerify);
        this.destroyers.push(() => secure.destroy());
        secure.on('error', (e) => this.finish(classifyError(e, this.where, false, this.req.settings)));
        const r = http.request({
          host: stripBrackets(this.url.hostname),
          method: this.req.method ?? 'GET',
          path: this.path(),
          headers: this.headers(),
          createConnection: () => secure,
        });
        this.send(r, false);
      },
    });
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
      else this.finish(classifyError(e, viaProxy ? `for ${this.where}` : this.where, viaProxy, this.req.settings));
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
    res.on('error', (e) => this.finish(classifyError(e, this.where, false, this.req.settings)));
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
