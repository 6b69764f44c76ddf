/**
 * Pure helpers over raw Bitbucket access tokens: read the token's own id, mask it for display,
 * fingerprint it for cache keys. Nothing here ever returns the token itself.
 */
import { createHash } from 'node:crypto';

const BBDC_PREFIX = 'BBDC-';
/** The id sits at the start, so decode the leading base64 run (tokens may also contain `@`). */
const BASE64_RUN = /^[A-Za-z0-9+/_-]+/;
/** Token ids are 12-digit strings on real servers (leading zeros possible). */
const ID_WIDTH = 12;

/**
 * Reads the token id embedded in a Bitbucket access token, or null when the token does not have
 * the known shape. Older servers issue base64 of `"<12-digit id>:"` + 20 random bytes; newer Data
 * Center versions prefix `BBDC-` to the same kind of payload (see docs/bitbucket-server.md section 5).
 * The id comes back as a 12-digit string with leading zeros kept.
 */
export function decodeTokenId(token: string): string | null {
  const payload = token.startsWith(BBDC_PREFIX) ? token.slice(BBDC_PREFIX.length) : token;
  const run = BASE64_RUN.exec(payload)?.[0] ?? '';
  if (run.length < 20) return null;
  const usable = run
    .slice(0, run.length - (run.length % 4))
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  const bytes = Buffer.from(usable, 'base64');
  const colon = bytes.indexOf(0x3a);
  if (colon < 1 || colon > 19 || bytes.length - colon - 1 < 4) return null;
  const digits = bytes.subarray(0, colon).toString('latin1');
  if (!/^\d+$/.test(digits)) return null;
  return digits.length >= ID_WIDTH ? digits : digits.padStart(ID_WIDTH, '0');
}

/**
 * A display form that reveals at most the first 4 characters (fewer for short tokens), e.g.
 * `BBDC…` or `MDc1…`. Safe for logs and status output.
 */
export function maskToken(token: string): string {
  const shown = Math.min(4, Math.floor(token.length / 4));
  return token.slice(0, shown) + '…';
}

/**
 * A stable, non-reversible identifier of a token for cache keys: the first `length` hex digits
 * of its SHA-256 (default 16). Never use it as a secret.
 */
export function tokenFingerprint(token: string, length = 16): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, length);
}
