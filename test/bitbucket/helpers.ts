// Local servers for the HTTP tests: loopback only. A throwaway CA made with /usr/bin/openssl, an
// http(s) server with a swappable handler, and a recording forward proxy (absolute-URI + CONNECT).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA plus a server certificate for 127.0.0.1 / localhost signed by it. */
export interface TestPki {
  dir: string;
  caFile: string;
  otherCaFile: string;
  key: Buffer;
  cert: Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('/usr/bin/openssl', args, { cwd, stdio: 'ignore' });
}

/** Makes the CA, a second unrelated CA, and the server certificate in a new temp dir. */
export async function makePki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'gcb-pki-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=gcb test CA', ...caExt],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'other.key',
      '-out',
      'other.pem',
      '-days',
      '2',
      '-subj',
      '/CN=gcb other CA',
      ...caExt,
    ],
    dir,
  );
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other.pem'),
    key: await readFile(join(dir, 'server.key')),
    cert: await readFile(join(dir, 'server.pem')),
  };
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

/** Starts an http server (or https with `tls`) on 127.0.0.1 with a random port. */
export async function startServer(tls?: { key: Buffer; cert: Buffer }): Promise<TestServer> {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${state.port}`;
  return state;
}

/** One request as the proxy saw it. */
export interface ProxyRecord {
  method: string;
  target: string;
  proxyAuthorization?: string;
}

/** A forward proxy: absolute-URI requests for http, CONNECT tunnels for https. */
export interface TestProxy {
  url: string;
  log: ProxyRecord[];
  /** When set, requests without this exact Proxy-Authorization get 407. */
  requireAuth?: string;
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
    proxy.log.push({ method: req.method ?? '', target: req.url ?? '', ...(auth ? { proxyAuthorization: auth } : {}) });
    if (proxy.requireAuth !== undefined && auth !== proxy.requireAuth) {
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' }).end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const up = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers },
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
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host ?? '', () => {
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
