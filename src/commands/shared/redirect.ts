/**
 * Pure: where a redirect of login's server probe points. A web server in front of Bitbucket may
 * send http to https, or a path without the context path to the one with it; login asks there
 * only on the host the user named (src/commands/shared/recognise.ts), since the token follows.
 */
import { PROPERTIES_PATH } from '../../bitbucket/client.js';

/**
 * `same`: the probe's path under another base URL on the host asked (the same scheme and port,
 * or from http up to https, whose port differs); `elsewhere`: under a base URL on another host or
 * port, or down from https to http. Undefined: not the probe's path (a sign-in page, say).
 */
export type Redirect = { kind: 'same' | 'elsewhere'; baseUrl: string } | undefined;

/** Where the redirect `location` of the probe of `fromBase` points; its user info and query are dropped. */
export function redirectedBase(fromBase: string, location: string): Redirect {
  const from = new URL(`${fromBase}${PROPERTIES_PATH}`);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    return undefined;
  }
  if ((to.protocol !== 'http:' && to.protocol !== 'https:') || !to.pathname.endsWith(PROPERTIES_PATH)) return undefined;
  const baseUrl = `${to.protocol}//${to.host}${to.pathname.slice(0, -PROPERTIES_PATH.length).replace(/\/+$/, '')}`;
  if (baseUrl === fromBase) return undefined; // to itself: nothing to learn there
  const sameHost = to.hostname === from.hostname; // URL lower-cases host names
  const up = from.protocol === 'http:' && to.protocol === 'https:';
  const same = sameHost && ((to.protocol === from.protocol && to.port === from.port) || up);
  return { kind: same ? 'same' : 'elsewhere', baseUrl };
}
