// Raw access-token format: base64 of "<id>:" plus 20 random bytes, prefixed "BBDC-" on newer
// Data Center versions (docs/bitbucket-server.md section 5).
import { randomBytes, randomInt } from 'node:crypto';

/** Token styles: `bbdc` (Data Center 8.x+) or `legacy` (plain base64, 44 characters). */
export type TokenStyle = 'bbdc' | 'legacy';

/** Builds a raw token whose id decodes the way Bitbucket's own tokens do. */
export function makeToken(id: string, style: TokenStyle = 'bbdc'): string {
  const body = Buffer.concat([Buffer.from(`${id}:`, 'utf8'), randomBytes(20)]).toString('base64');
  return style === 'bbdc' ? `BBDC-${body}` : body;
}

/**
 * Reads the numeric id from a BBDC or legacy token, zero-padded to 12 digits; undefined when the
 * token does not decode to `<digits>:...`.
 */
export function decodeTokenId(token: string): string | undefined {
  const body = token.startsWith('BBDC-') ? token.slice(5) : token;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64');
  const colon = bytes.indexOf(0x3a);
  if (colon <= 0 || colon > 12) return undefined;
  const id = bytes.subarray(0, colon).toString('latin1');
  return /^\d+$/.test(id) ? id.padStart(12, '0') : undefined;
}

/** A random 12-digit token id (leading zeros possible), not in `taken`. */
export function generateTokenId(taken: (id: string) => boolean): string {
  for (;;) {
    const id = `${randomInt(0, 1_000_000)}`.padStart(6, '0') + `${randomInt(0, 1_000_000)}`.padStart(6, '0');
    if (!taken(id)) return id;
  }
}
