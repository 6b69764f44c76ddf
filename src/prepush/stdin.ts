/**
 * Pure parsing of the pre-push hook's stdin (githooks(5) "pre-push"): one line per ref,
 * `<local-ref> SP <local-oid> SP <remote-ref> SP <remote-oid> LF`. A new remote branch has an
 * all-zero remote oid; a delete has local ref `(delete)` and an all-zero local oid. Object ids
 * are 40 hex digits (SHA-1) or 64 (SHA-256).
 */
import { isAllZeros, isOid } from './chars.js';

/** One ref update git is about to push. */
export interface PushUpdate {
  localRef: string;
  /** undefined for a delete. */
  localOid?: string;
  remoteRef: string;
  /** undefined when the remote ref does not exist yet (a new branch or tag). */
  remoteOid?: string;
  /** The local ref is `(delete)`: nothing new reaches the remote. */
  isDelete: boolean;
}

export type ParsedPush =
  { ok: true; updates: PushUpdate[]; objectFormat?: 'sha1' | 'sha256' } | { ok: false; error: string };

/** Parses the whole of stdin. A malformed line is an error naming its number. */
export function parsePushInput(text: string): ParsedPush {
  const updates: PushUpdate[] = [];
  let width: number | undefined;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const parts = line.split(' ');
    const where = `pre-push input line ${i + 1}`;
    if (parts.length !== 4)
      return {
        ok: false,
        error: `${where}: expected "<local-ref> <local-oid> <remote-ref> <remote-oid>", got ${parts.length} field(s)`,
      };
    const [localRef, localOid, remoteRef, remoteOid] = parts as [string, string, string, string];
    for (const oid of [localOid, remoteOid]) {
      if (!isOid(oid))
        return {
          ok: false,
          error: `${where}: "${oid.slice(0, 70)}" is not a 40- or 64-digit lower-case hex object id`,
        };
      if (width !== undefined && oid.length !== width)
        return { ok: false, error: `${where}: object ids of different lengths (SHA-1 and SHA-256) in one push` };
      width = oid.length;
    }
    if (localRef === '' || remoteRef === '') return { ok: false, error: `${where}: empty ref name` };
    const isDelete = localRef === '(delete)';
    if (isDelete !== isAllZeros(localOid)) {
      return {
        ok: false,
        error: `${where}: ${isDelete ? '(delete) with a non-zero local object id' : 'all-zero local object id without (delete)'}`,
      };
    }
    const u: PushUpdate = { localRef, remoteRef, isDelete };
    if (!isDelete) u.localOid = localOid;
    if (!isAllZeros(remoteOid)) u.remoteOid = remoteOid;
    updates.push(u);
  }
  const out: ParsedPush = { ok: true, updates };
  if (width !== undefined) out.objectFormat = width === 64 ? 'sha256' : 'sha1';
  return out;
}
