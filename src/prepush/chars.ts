/**
 * Character tests for the hot paths (the hook's warm path, `get`), written out instead of as
 * regular expressions: V8 compiles each RegExp on its first use (and again to machine code on its
 * second), about 0.1 million instructions each, and a warm push met some fifty of them.
 */

/** Every character of `s` passes `ok` (true for ''). */
function every(s: string, ok: (ch: string) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!ok(s[i]!)) return false;
  return true;
}

const digit = (ch: string) => ch >= '0' && ch <= '9';
const asciiLetter = (ch: string) => (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');

/** /^\d{min,max}$/ */
export function isDigits(s: string, min = 1, max = Infinity): boolean {
  return s.length >= min && s.length <= max && every(s, digit);
}

/** An object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits. */
export function isOid(s: string): boolean {
  return (s.length === 40 || s.length === 64) && every(s, (ch) => digit(ch) || (ch >= 'a' && ch <= 'f'));
}

/** /^[0-9a-f]{length}$/: lower-case hex digits, exactly `length` of them. */
export function isLowerHex(s: string, length: number): boolean {
  return s.length === length && every(s, (ch) => digit(ch) || (ch >= 'a' && ch <= 'f'));
}

/** /[\r\n\0]/: a line break or NUL anywhere in `s`, which no protocol line or stored value may hold. */
export function hasBreakOrNul(s: string): boolean {
  return s.includes('\n') || s.includes('\r') || s.includes('\0');
}

/** /^0+$/ */
export function isAllZeros(s: string): boolean {
  return s !== '' && every(s, (ch) => ch === '0');
}

/** /^[A-Za-z0-9][A-Za-z0-9._-]*$/: a remote name the hook script also accepts as one. */
export function isPlainName(s: string): boolean {
  return (
    s !== '' &&
    (asciiLetter(s[0]!) || digit(s[0]!)) &&
    every(s, (ch) => asciiLetter(ch) || digit(ch) || ch === '.' || ch === '_' || ch === '-')
  );
}

/** `a === b` ignoring the case of ASCII letters only (what a non-unicode /i RegExp compares). */
export function sameAsciiNoCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && !(asciiLetter(a[i]!) && (x | 0x20) === (y | 0x20))) return false;
  }
  return true;
}
