/**
 * Removing one line of a multi-valued key from a git config file when git config cannot name
 * it: `git config --fixed-value --unset` refuses a value that several lines hold (exit 5,
 * "has multiple values"), as when a user's own empty `helper =` precedes the reset `setup`
 * wrote. The file is changed the way git changes it: under git's lock (`<file>.lock`, created
 * exclusively, so a concurrent git config fails rather than being overwritten), written whole
 * and renamed over the file, the mode kept. Only after the lines read here agree with what git
 * reads (the caller passes `git config --get-all`), value for value.
 */
import fs from 'node:fs';

/** One value of the key: its text as git reads it, and the bytes of the line(s) holding it. */
export interface ValueLine {
  value: string | null;
  start: number;
  end: number;
  /** Nothing else on its line(s): no section header before the key. */
  alone: boolean;
}

/**
 * Pure: the values of `<section>.<subsection>.<name>` in file order, after git-config(1)
 * "Syntax": `[section "sub"]` (escapes `\"`, `\\`) or the older `[section.sub]`; names are
 * case-insensitive, the subsection is not; values take `"…"` quoting, the escapes `\n \t \b \\ \"`,
 * a backslash-newline continuation, `#`/`;` comments outside quotes; leading and trailing
 * whitespace outside quotes is dropped, and whitespace inside is kept as git 2.45+ keeps it (older
 * git turns each such tab into a space: compare through {@link sameValue}). `text` is latin1 (one
 * char a byte).
 */
export function valueLines(text: string, section: string, subsection: string, name: string): ValueLine[] {
  const out: ValueLine[] = [];
  let cur: { section: string; sub: string | null } = { section: '', sub: null };
  let i = 0;
  let lineStart = 0;
  let lineHasHeader = false;
  const eol = () => {
    while (i < text.length && text[i] !== '\n') i++;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      i++;
      lineStart = i;
      lineHasHeader = false;
    } else if (c === ' ' || c === '\t' || c === '\r') i++;
    else if (c === '#' || c === ';') eol();
    else if (c === '[') {
      const close = header(text, i);
      if (!close) return []; // git would refuse the file; so does the caller, by disagreement
      cur = close.h;
      i = close.end;
      lineHasHeader = true;
    } else if (/[A-Za-z]/.test(c)) {
      const keyStart = i;
      while (i < text.length && /[A-Za-z0-9-]/.test(text[i]!)) i++;
      const key = text.slice(keyStart, i).toLowerCase();
      while (text[i] === ' ' || text[i] === '\t') i++;
      let value: string | null = null;
      if (text[i] === '=') {
        const v = parseValue(text, i + 1);
        if (!v) return [];
        value = Buffer.from(v.value, 'latin1').toString('utf8');
        i = v.end;
      } else eol();
      const end = i < text.length ? i + 1 : i;
      if (cur.section === section.toLowerCase() && cur.sub === subsection && key === name.toLowerCase()) {
        const before = text.slice(lineStart, keyStart);
        out.push({ value, start: lineStart, end, alone: !lineHasHeader && before.trim() === '' });
      }
    } else return [];
  }
  return out;
}

/**
 * Pure: whether a `[section "subsection"]` of `text` (latin1, as for {@link valueLines}) holds a
 * comment line (`#`/`;`), or a comment after its header. `git config --remove-section` would
 * delete those with it: a section the user annotated is theirs to remove.
 */
export function sectionHasComment(text: string, section: string, subsection: string): boolean {
  let inside = false;
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    let i = start;
    while (i < end && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i++;
    if (text[i] === '[') {
      const h = header(text, i);
      if (!h) return true; // git would refuse the file: leave it alone
      inside = h.h.section === section.toLowerCase() && h.h.sub === subsection;
      i = h.end;
      while (i < end && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r')) i++;
    }
    if (inside && (text[i] === '#' || text[i] === ';')) return true;
    start = end + 1;
  }
  return false;
}

function header(text: string, at: number): { h: { section: string; sub: string | null }; end: number } | undefined {
  let i = at + 1;
  const nameStart = i;
  while (i < text.length && /[A-Za-z0-9.-]/.test(text[i]!)) i++;
  const name = text.slice(nameStart, i);
  if (text[i] === ']') {
    const dot = name.indexOf('.');
    const h = dot < 0 ? { section: name, sub: null } : { section: name.slice(0, dot), sub: name.slice(dot + 1) };
    return { h: { section: h.section.toLowerCase(), sub: h.sub?.toLowerCase() ?? null }, end: i + 1 };
  }
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== '"') return undefined;
  let sub = '';
  for (i++; i < text.length && text[i] !== '"'; i++) {
    if (text[i] === '\n') return undefined;
    if (text[i] === '\\') i++;
    sub += text[i] ?? '';
  }
  if (text[i + 1] !== ']') return undefined;
  return { h: { section: name.toLowerCase(), sub: Buffer.from(sub, 'latin1').toString('utf8') }, end: i + 2 };
}

function parseValue(text: string, from: number): { value: string; end: number } | undefined {
  let value = '';
  let spaces = '';
  let quoted = false;
  let i = from;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') {
      if (quoted) return undefined;
      break;
    }
    if (!quoted && (c === ';' || c === '#')) {
      while (i < text.length && text[i] !== '\n') i++;
      break;
    }
    if (!quoted && (c === ' ' || c === '\t' || c === '\r')) {
      if (value !== '') spaces += c;
      continue;
    }
    value += spaces;
    spaces = '';
    if (c === '"') quoted = !quoted;
    else if (c === '\\') {
      const n = text[++i];
      if (n === '\n') continue;
      const esc: Record<string, string> = { n: '\n', t: '\t', b: '\b', '\\': '\\', '"': '"' };
      if (n === undefined || esc[n] === undefined) return undefined;
      value += esc[n];
    } else value += c;
  }
  return quoted ? undefined : { value, end: i };
}

/** The same value as git reads it, whichever git: tabs outside quotes became spaces before 2.45. */
export function sameValue(a: string | null, b: string | null): boolean {
  return a === b || (a !== null && b !== null && a.replace(/\t/g, ' ') === b.replace(/\t/g, ' '));
}

/**
 * Removes the `index`th value of the key (in file order) from `file`, when the file's lines agree
 * with `expected` (what git reads for the key) and that value sits alone on its line. Returns an
 * error message instead of throwing for what the user can act on.
 */
export function removeValueLine(
  file: string,
  key: { section: string; subsection: string; name: string },
  index: number,
  expected: ReadonlyArray<string>,
): string | undefined {
  const lock = `${file}.lock`;
  let fd: number;
  try {
    fd = fs.openSync(lock, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EEXIST'
      ? `could not lock config file ${lock}: File exists (another git process seems to be running; if not, remove that file)`
      : `could not lock config file ${lock}: ${code ?? String(err)}`;
  }
  let renamed = false;
  try {
    const before = fs.readFileSync(file);
    const text = before.toString('latin1');
    const lines = valueLines(text, key.section, key.subsection, key.name);
    const agrees = lines.length === expected.length && lines.every((l, n) => sameValue(l.value ?? '', expected[n]!));
    const target = lines[index];
    if (!agrees || !target)
      return `cannot tell the lines of ${file} apart as git does; remove the value by hand (git config --file ${file} --edit)`;
    if (!target.alone) return `the value to remove shares its line with a section header in ${file}; remove it by hand`;
    fs.writeSync(fd, Buffer.concat([before.subarray(0, target.start), before.subarray(target.end)]));
    fs.fsyncSync(fd);
    fs.fchmodSync(fd, fs.statSync(file).mode & 0o7777);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(lock, file);
    renamed = true;
    return undefined;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    if (!renamed) fs.rmSync(lock, { force: true });
  }
}
