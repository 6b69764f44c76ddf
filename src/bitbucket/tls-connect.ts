/**
 * The connections under src/bitbucket/http.ts that are more than one call: a CONNECT tunnel
 * through a proxy, TLS to the server inside it, and a handshake that only reads the certificate
 * a server presents (for the dates of one that failed verification).
 */
import http from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { classifyError, fail } from './http-result.js';
import type { HttpResult } from './http.js';
import type { ProxyTarget } from './proxy.js';

/** The longest delay Node's timers take (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface TunnelEvents {
  /** The CONNECT request went out, then its socket opened: each to destroy at the end. */
  opened(part: { destroy(): void }): void;
  failed(f: HttpResult & { ok: false }): void;
  ready(socket: Duplex): void;
}

/** A CONNECT tunnel through `proxy` to the URL's host and port. */
export function openTunnel(proxy: ProxyTarget, url: URL, on: TunnelEvents): void {
  const authority = `${url.hostname}:${url.port || 443}`;
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
  on.opened(connect);
  connect.on('error', (e) => on.failed(classifyError(e, `${proxy.display} (CONNECT)`, true)));
  connect.on('connect', (res: http.IncomingMessage, socket: Duplex) => {
    on.opened(socket);
    if (res.statusCode !== 200)
      on.failed(fail('proxy', `proxy ${proxy.display} refused the tunnel to ${url.host} (HTTP ${res.statusCode})`));
    else on.ready(socket);
  });
  connect.end();
}

/**
 * TLS to the URL's host inside a tunnel. Over a tunnel socket Node would otherwise check the
 * certificate against the proxy's address (or "localhost"): name the target host explicitly, for
 * IP addresses too (SNI carries names only, RFC 6066 section 3).
 */
export function tunnelledTls(
  socket: Duplex,
  url: URL,
  context: tls.SecureContext | undefined,
  verify: boolean,
): tls.TLSSocket {
  const hostname = stripBrackets(url.hostname);
  return tls.connect({
    socket,
    host: hostname,
    secureContext: context,
    rejectUnauthorized: verify,
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(hostname, cert),
    ...(isIp(hostname) ? {} : { servername: hostname }),
  });
}

/**
 * The certificate the server presents, from a handshake without verification after which
 * nothing is sent; undefined when none came within `ms`.
 */
export function presentedCertificate(
  url: URL,
  proxy: ProxyTarget | null,
  context: tls.SecureContext,
  ms: number,
): Promise<tls.PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const open: Array<{ destroy(): void }> = [];
    const done = (cert: tls.PeerCertificate | undefined) => {
      clearTimeout(timer);
      for (const s of open.reverse()) s.destroy(); // the TLS socket first, as in Exchange.finish
      resolve(cert && cert.valid_to ? cert : undefined);
    };
    const timer = setTimeout(() => done(undefined), Math.min(ms, MAX_TIMER_MS));
    const handshake = (socket: tls.TLSSocket) => {
      open.push(socket);
      socket.once('secureConnect', () => done(socket.getPeerCertificate()));
      socket.once('error', () => done(undefined));
    };
    if (!proxy) {
      const host = stripBrackets(url.hostname);
      handshake(
        tls.connect({
          host,
          port: Number(url.port || 443),
          secureContext: context,
          rejectUnauthorized: false,
          ...(isIp(host) ? {} : { servername: host }),
        }),
      );
    } else
      openTunnel(proxy, url, {
        opened: (part) => open.push(part),
        failed: () => done(undefined),
        ready: (socket) => handshake(tunnelledTls(socket, url, context, false)),
      });
  });
}

export function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

export function isIp(h: string): boolean {
  return /^[\d.]+$/.test(h) || h.includes(':');
}
