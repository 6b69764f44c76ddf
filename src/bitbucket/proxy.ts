/**
 * Pure proxy selection: which proxy (if any) a request to a URL goes through, following curl's
 * NO_PROXY rules as git uses them (CURLOPT_NOPROXY).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
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
 * libcurl's NO_PROXY, as git hands it over (CURLOPT_NOPROXY; curl's lib/noproxy.c): the whole
 * value `*` matches every host (`*` inside a list matches nothing); entries are separated by
 * commas or blanks. A host name matches an entry equal to it or to one of its parent domains,
 * case-insensitively, one leading and one trailing dot of the entry ignored. An IP address
 * matches only address entries of its family, exactly or by CIDR prefix (`127.0.0.0/8`; a
 * prefix of 0 or none means the whole address, a longer one than the family has matches
 * nothing); `.0.0.1` is not an address and matches nothing. Entries with a port match nothing,
 * and loopback is not excluded implicitly: curl does neither. test/redteam/no-proxy.test.ts
 * compares these choices with the real git's.
 */
export function noProxyMatches(hostname: string, noProxy: string): boolean {
  if (noProxy === '*') return true;
  let name = hostname.toLowerCase();
  const family = name.startsWith('[') ? 'ipv6' : isIPv4(name) ? 'ipv4' : 'host';
  if (family === 'ipv6') name = stripBrackets(name);
  else if (family === 'host') name = name.replace(/\.$/, '');
  for (const raw of noProxy.split(/[ \t,]+/)) {
    if (raw === '') continue;
    if (family === 'host') {
      const entry = raw.toLowerCase().replace(/\.$/, '').replace(/^\./, '');
      if (entry !== '' && (entry === name || name.endsWith('.' + entry))) return true;
    } else if (addressMatches(name, raw, family)) return true;
  }
  return false;
}

/** `address` within `entry` (`ip` or `ip/bits`) of the same family; curl reads bits like atoi(). */
function addressMatches(address: string, entry: string, family: 'ipv4' | 'ipv6'): boolean {
  const slash = entry.indexOf('/');
  const network = slash < 0 ? entry : entry.slice(0, slash);
  const max = family === 'ipv4' ? 32 : 128;
  let bits = slash < 0 ? 0 : parseInt(entry.slice(slash + 1), 10) || 0;
  if (bits === 0) bits = max;
  if (bits > max || !(family === 'ipv4' ? isIPv4(network) : isIPv6(network))) return false;
  const list = new BlockList();
  list.addSubnet(network, bits, family);
  return list.check(address, family);
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
