/**
 * git's credential wire format: pure parsing and formatting.
 *
 * Spec: git-credential(1) "INPUT/OUTPUT FORMAT". Lines are `key=value`, ended by a blank
 * line or EOF. Input is split on LF only and one trailing CR is stripped: splitting on a bare
 * CR as well (as Node's readline does) is the injection class of CVE-2024-52006.
 */
import { decodeOrKeep } from '../decode.js';
import { hasBreakOrNul } from '../prepush/chars.js';
import { parseGitBool } from '../settings.js';

/** A parsed credential description, as git sends it to a helper. */
export interface CredentialRequest {
  protocol?: string;
  host?: string;
  path?: string;
  /** `undefined` when absent; `''` when git sent `username=` (an empty username is a value). */
  username?: string;
  password?: string;
  /** Unix seconds (git 2.40+). */
  passwordExpiryUtc?: number;
  oauthRefreshToken?: string;
  /** `wwwauth[]` values in order (git 2.41+), one per WWW-Authenticate header. */
  wwwauth: string[];
  /** `capability[]` values (git 2.46+). */
  capabilities: string[];
  authtype?: string;
  credential?: string;
  ephemeral: boolean;
  /** `state[]` values git hands back (git 2.46+); ours carry the `bitbucket:` prefix. */
  state: string[];
  continue: boolean;
}

export type ParseResult = { ok: true; request: CredentialRequest } | { ok: false; error: string };

/** git limits one line to 65535 bytes; we refuse whole inputs above 1 MiB. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** Parses a credential description. Lines without `=` are ignored, as git ignores them. */
export function parseCredential(input: string): ParseResult {
  if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
    return { ok: false, error: `credential input is larger than ${MAX_INPUT_BYTES} bytes` };
  }
  if (input.includes('\0')) return { ok: false, error: 'credential input contains a NUL byte' };
  const request: CredentialRequest = { wwwauth: [], capabilities: [], state: [], ephemeral: false, continue: false };
  for (const raw of input.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break; // a blank line ends the description
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (value.includes('\r') && isKnownKey(key)) {
      // A CR inside a value would let a later reader see two lines (CVE-2024-52006).
      return { ok: false, error: `value of '${key}' contains a carriage return` };
    }
    const error = applyAttribute(request, key, value);
    if (error) return { ok: false, error };
  }
  if (request.protocol !== undefined && request.host !== undefined)
    request.host = canonicalHost(request.protocol, request.host);
  return { ok: true, request };
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };

/**
 * A host as this program keeps and compares it: the name in lower case (an IPv6 literal, whose
 * zone may be case-sensitive, as it is) and the scheme's default port left out, as git's URL
 * matching treats them (`https://Host:443` is `https://host`). git hands a credential helper
 * the host as the URL spelt it; `login` stores it in this form.
 */
export function canonicalHost(protocol: string, host: string): string {
  const h = host.startsWith('[') ? host : host.toLowerCase();
  const port = DEFAULT_PORTS[protocol.toLowerCase()];
  if (port === undefined || !h.endsWith(`:${port}`)) return h;
  const name = h.slice(0, -(port.length + 1));
  return name === '' || (!name.startsWith('[') && name.includes(':')) ? h : name;
}

function isKnownKey(key: string): boolean {
  return KNOWN_KEYS.has(key);
}

const KNOWN_KEYS = new Set([
  'protocol',
  'host',
  'path',
  'username',
  'password',
  'password_expiry_utc',
  'oauth_refresh_token',
  'url',
  'wwwauth[]',
  'capability[]',
  'authtype',
  'credential',
  'ephemeral',
  'state[]',
  'continue',
]);

function applyAttribute(r: CredentialRequest, key: string, value: string): string | undefined {
  switch (key) {
    case 'protocol':
      r.protocol = value;
      break;
    case 'host':
      r.host = value;
      break;
    case 'path':
      r.path = value;
      break;
    case 'username':
      r.username = value;
      break;
    case 'password':
      r.password = value;
      break;
    case 'oauth_refresh_token':
      r.oauthRefreshToken = value;
      break;
    case 'password_expiry_utc': {
      // git-credential(1): Unix seconds; a value we cannot read is treated as absent.
      const n = /^\d{1,15}$/.test(value) ? Number(value) : NaN;
      if (Number.isSafeInteger(n)) r.passwordExpiryUtc = n;
      else delete r.passwordExpiryUtc;
      break;
    }
    case 'url':
      return applyUrl(r, value);
    case 'wwwauth[]':
      pushOrReset(r.wwwauth, value);
      break;
    case 'capability[]':
      pushOrReset(r.capabilities, value);
      break;
    case 'state[]':
      pushOrReset(r.state, value);
      break;
    case 'authtype':
      r.authtype = value;
      break;
    case 'credential':
      r.credential = value;
      break;
    case 'ephemeral':
      r.ephemeral = isTrue(value);
      break;
    case 'continue':
      r.continue = isTrue(value);
      break;
    default:
      break; // gitcredentials(7): unknown attributes are ignored
  }
  return undefined;
}

/** git-credential(1): an empty `key[]=` value clears the list built so far. */
function pushOrReset(list: string[], value: string): void {
  if (value === '') list.length = 0;
  else list.push(value);
}

/** git reads `ephemeral` and `continue` with git_config_bool(); a value it would refuse is false here. */
function isTrue(value: string): boolean {
  return parseGitBool(value) === true;
}

/** git-credential(1): `url=` is split into its parts, as if each had been given. */
function applyUrl(r: CredentialRequest, value: string): string | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:([^@/]*)@)?([^/]*)(?:\/(.*))?$/.exec(value);
  if (!m) return undefined;
  const [, protocol, userinfo, host, path] = m;
  // git's credential_from_url() starts from a clean credential and drops trailing slashes
  delete r.username;
  delete r.password;
  delete r.path;
  r.protocol = protocol;
  r.host = decodeOrKeep(host ?? '');
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    r.username = decodeOrKeep(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) r.password = decodeOrKeep(userinfo.slice(colon + 1));
  }
  const trimmed = path?.replace(/\/+$/, '');
  if (trimmed) r.path = decodeOrKeep(trimmed);
  for (const v of [r.host, r.username, r.password, r.path]) {
    if (v !== undefined && hasBreakOrNul(v)) return 'url contains an encoded newline, carriage return or NUL';
  }
  return undefined;
}

/** Raised when an attribute cannot be written without corrupting the stream. */
export class UnsafeAttributeError extends Error {
  constructor(readonly key: string) {
    super(`refusing to emit attribute '${key}': it would break the credential stream`);
    this.name = 'UnsafeAttributeError';
  }
}

/**
 * Formats attributes for git. Never emits `url=` (git would parse it and wipe the
 * credential), a key without a name or with `=`, or any key/value containing CR, LF or NUL:
 * such an attribute throws `UnsafeAttributeError` and nothing is returned, so a caller that
 * catches it prints nothing at all. The error message names the key, never the value.
 */
export function formatCredential(attributes: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [key, value] of attributes) {
    if (key === '' || key === 'url' || key.includes('=') || hasBreakOrNul(key) || hasBreakOrNul(value)) {
      throw new UnsafeAttributeError(/^[a-z_[\]]{1,40}$/.test(key) ? key : 'an attribute');
    }
    out += `${key}=${value}\n`;
  }
  return out;
}
