/**
 * Pure proxy selection: which proxy (if any) a request to a URL goes through, following curl's
 * NO_PROXY rules as git uses them (CURLOPT_NOPROXY).
 */
import type { HttpSettings } from '../git/config.js';
import { decodeOrKeep } from '../decode.js';

/** A parsed proxy: where to connect, and the Proxy-Authorization value if the URL carried credentials. */
export interface ProxyTarget {
  host: string;
  port: number;
  /** `Basic ...` built from the proxy URL's user info. Never log it. */
  authorization?: string;
  /** Display form without credentials, for messages. */
  display: string;
}

/** The proxy for `target`, null for a direct connection, or an error message for an unusable proxy. */
export function proxyFor(target: URL, settings: HttpSettings): ProxyTarget | null | { error: string } {
  if (!settings.proxy) return null;
  if (settings.noProxy !== undefined && noProxyMatches(target.hostname, settings.noProxy)) return null;
  return parseProxy(settings.proxy);
}

/**
 * curl's NO_PROXY: comma (or space) separated; `*` alone matches everything; an entry matches the
 * host itself and its subdomains, a leading dot is ignored; IPv6 brackets are ignored; case-insensitive.
 * Loopback is not excluded implicitly.
 */
export function noProxyMatches(hostname: string, noProxy: string): boolean {
  const host = stripBrackets(hostname.toLowerCase()).replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = stripBrackets(raw.trim().toLowerCase());
    if (entry === '') continue;
    if (entry === '*') return true;
    entry = entry.replace(/^\./, '').replace(/\.$/, '');
    if (/^[^:]+:\d+$/.test(entry)) entry = entry.replace(/:\d+$/, '');
    if (host === entry || host.endsWith('.' + entry)) return true;
  }
  return false;
}

function stripBrackets(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** curl defaults a scheme-less proxy to http:// and port 1080; only http proxies are supported here. */
function parseProxy(proxy: string): ProxyTarget | { error: string } {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: 'the configured proxy is not a valid URL' };
  }
  if (url.protocol !== 'http:') {
    return { error: `proxy scheme ${url.protocol.replace(':', '')} is not supported (use an http:// proxy)` };
  }
  const host = stripBrackets(url.hostname);
  const port = url.port === '' ? 1080 : Number(url.port);
  const target: ProxyTarget = { host, port, display: `${url.hostname}:${port}` };
  if (url.username !== '') {
    const creds = `${decodeOrKeep(url.username)}:${decodeOrKeep(url.password)}`;
    target.authorization = 'Basic ' + Buffer.from(creds, 'utf8').toString('base64');
  }
  return target;
}
