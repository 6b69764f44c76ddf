// Local servers for the HTTP tests: loopback only. A throwaway CA (test/redteam/hostile-server.ts), an
// http(s) server with a swappable handler, and a recording forward proxy (absolute-URI + CONNECT).
import { copyFile } from 'node:fs/promises';
import { makeCa } from '../redteam/hostile-server.js';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';

/** A CA plus a server certificate for 127.0.0.1 / localhost signed by it. */
export interface TestPki {
  dir: string;
  caFile: string;
  otherCaFile: string;
  key: Buffer;
  cert: Buffer;
}

/** Makes the CA, a second unrelated CA, and the server certificate in a new temp dir. */
export async function makePki(): Promise<TestPki> {
  const ca = makeCa();
  const other = makeCa();
  const otherCaFile = join(ca.dir, 'other.pem');
  await copyFile(other.caFile, otherCaFile);
  other.remove();
  return { dir: ca.dir, caFile: ca.caFile, otherCaFile, ...ca.issue('IP:127.0.0.1,DNS:localhost') };
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A loopback server whose handler each test sets; `requests` counts what arrived. */
export interface TestServer {
  url: string;
  port: number;
  handler: Handler;
  requests: { method: string; url: string; authorization?: string }[];
  close(): Promise<void>;
}

/** Starts an http server (or https with `tls`) on `host` (a loopback address) with a random port. */
export async function startServer(tls?: { key: Buffer; cert: Buffer }, host = '127.0.0.1'): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  const state: TestServer = {
    url: '',
    port: 0,
    requests: [],
    handler: (_req, res) => res.end('ok'),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const listener: Handler = (req, res) => {
    state.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    state.handler(req, res);
  };
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, listener) : http.createServer(listener);
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${state.port}`;
  return state;
}

/** One request as the proxy saw it. */
export interface ProxyRecord {
  method: string;
  target: string;
  proxyAuthorization?: string;
  /** Set when a request carried credentials to the proxy in clear (plain http forwarding). */
  authorization?: string;
}

/** A forward proxy: absolute-URI requests for http, CONNECT tunnels for https. */
export interface TestProxy {
  url: string;
  log: ProxyRecord[];
  /** When set, requests without this exact Proxy-Authorization get 407. */
  requireAuth?: string;
  /** When set, plain http requests for any host go to this loopback `host:port` instead. */
  upstream?: string;
  close(): Promise<void>;
}

export async function startProxy(): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const proxy: TestProxy = {
    url: '',
    log: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    const auth = req.headers['proxy-authorization'];
    const cleartext = req.headers.authorization;
    proxy.log.push({
      method: req.method ?? '',
      target: req.url ?? '',
      ...(auth ? { proxyAuthorization: auth } : {}),
      ...(cleartext ? { authorization: cleartext } : {}),
    });
    if (proxy.requireAuth !== undefined && auth !== proxy.requireAuth) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    const target = new URL(req.url ?? '');
    if (proxy.upstream) target.host = proxy.upstream;
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = http.request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers,
      },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', track);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    track(client);
    const auth = req.headers['proxy-authorization'];
    proxy.log.push({ method: 'CONNECT', target: req.url ?? '', ...(auth ? { proxyAuthorization: auth } : {}) });
    if (proxy.requireAuth !== undefined && auth !== proxy.requireAuth) {
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\nContent-Length: 0\r\n\r\n',
      );
      return;
    }
    // host:port, or [v6]:port
    const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(req.url ?? '');
    const upstream = net.connect(Number(m?.[2]), m?.[1] ?? '', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return proxy;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
