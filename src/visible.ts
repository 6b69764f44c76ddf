/**
 * Strings that did not come from this program (commit names, e-mails and subjects, anything a
 * server sends) are made visible before they reach a terminal: C0 and C1 controls, DEL and the
 * bidirectional overrides become `\xNN` / `\uNNNN`, so a commit cannot clear the screen or fake
 * the guard's own lines, and a server cannot set the window title or plant a hyperlink. JSON
 * output stays exact (JSON escapes them itself).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function visible(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
