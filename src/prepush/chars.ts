/**
 * Character tests for the hot paths (the hook's warm path, `get`), written out instead of as
 * regular expressions: V8 compiles each RegExp on its first use (and again to machine code on its
 * second), about 0.1 million instructions each, and a warm push met some fifty of them.
 */

/** Every character of `s` passes `ok` (true for ''). */
export function everyChar(s: string, ok: (ch: string) => boolean): boolean {
  for (let i = 0; i < s.length; i++) if (!ok(s[i]!)) return false;
  return true;
}

const digit = (ch: string) => ch >= '0' && ch <= '9';
const asciiLetter = (ch: string) => (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');

/** /^\d{min,max}$/ */
export function isDigits(s: string, min = 1, max = Infinity): boolean {
  return s.length >= min && s.length <= max && everyChar(s, digit);
}

/** An object id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits. */
export function isOid(s: string): boolean {
  return isLowerHex(s, 40) || isLowerHex(s, 64);
}

/** /^[0-9a-f]{length}$/: lower-case hex digits, exactly `length` of them. */
export function isLowerHex(s: string, length: number): boolean {
  return s.length === length && everyChar(s, (ch) => digit(ch) || (ch >= 'a' && ch <= 'f'));
}

/** /[\r\n\0]/: a line break or NUL anywhere in `s`, which no protocol line or stored value may hold. */
export function hasBreakOrNul(s: string): boolean {
  return s.includes('\n') || s.includes('\r') || s.includes('\0');
}

/** /[\u0000-\u001f\u007f]/: a C0 control character or DEL anywhere in `s`. */
export function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x1f || c === 0x7f) return true;
  }
  return false;
}

/** /[\u0000-\u001f\u007f\s]/: a control character, DEL or what `\s` matches anywhere in `s`. */
export function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f || isRegExpSpace(c)) return true;
  }
  return false;
}

/** The code units `\s` matches in a JavaScript RegExp (WhiteSpace and LineTerminator). */
function isRegExpSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** The first index at or after `from` of any character of `set` in `s`, or -1 (String#search of a character class). */
export function indexOfAny(s: string, set: string, from = 0): number {
  for (let i = from; i < s.length; i++) if (set.includes(s[i]!)) return i;
  return -1;
}

/**
 * /^[A-Za-z][A-Za-z0-9+.-]*:\/\//: the length of a URL's scheme with its `://`, or 0 when `s`
 * does not start with one.
 */
export function schemePrefixLength(s: string): number {
  if (s === '' || !asciiLetter(s[0]!)) return 0;
  let i = 1;
  while (i < s.length && (asciiLetter(s[i]!) || digit(s[i]!) || s[i] === '+' || s[i] === '.' || s[i] === '-')) i++;
  return s.startsWith('://', i) ? i + 3 : 0;
}

/** /^[A-Za-z0-9_]$/ for one character. */
export function isWordChar(ch: string): boolean {
  return asciiLetter(ch) || digit(ch) || ch === '_';
}

/** /^0+$/ */
export function isAllZeros(s: string): boolean {
  return s !== '' && everyChar(s, (ch) => ch === '0');
}

/** /^[A-Za-z0-9][A-Za-z0-9._-]*$/: a remote name the hook script also accepts as one. */
export function isPlainName(s: string): boolean {
  return (
    s !== '' &&
    (asciiLetter(s[0]!) || digit(s[0]!)) &&
    everyChar(s, (ch) => asciiLetter(ch) || digit(ch) || ch === '.' || ch === '_' || ch === '-')
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
