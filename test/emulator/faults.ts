// Faults on demand: matching (pure, in FaultBook) and acting them out on a response.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './render.js';
import type { Fault, FaultKind, LostAnswer } from './types.js';

const KINDS: readonly FaultKind[] = [
  'latency',
  'status',
  'rateLimit',
  'reset',
  'hang',
  'invalidJson',
  'loginRedirect',
  'redirect',
  'signInPage',
  'afterHandling',
];
const LOST: readonly LostAnswer[] = ['reset', 'hang', 'status', 'latency'];

/** Validates a list of faults (from JSON); throws an Error with a clear message. */
export function validateFaults(raw: unknown): Fault[] {
  if (!Array.isArray(raw)) throw new Error('faults: must be a JSON list');
  return raw.map((f: unknown, i) => {
    const where = `faults[${i}]`;
    if (typeof f !== 'object' || f === null) throw new Error(`${where}: must be an object`);
    const o = f as Record<string, unknown>;
    if (!KINDS.includes(o.kind as FaultKind)) throw new Error(`${where}.kind: must be one of ${KINDS.join(', ')}`);
    if (o.path !== undefined) {
      if (typeof o.path !== 'string') throw new Error(`${where}.path: must be a regular expression string`);
      try {
        new RegExp(o.path);
      } catch {
        throw new Error(`${where}.path: invalid regular expression`);
      }
    }
    for (const k of ['times', 'ms', 'status', 'retryAfter'] as const) {
      if (k === 'retryAfter' && typeof o[k] === 'string') continue; // an HTTP date, sent as it is
      if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isInteger(o[k]) || (o[k] as number) < 0)) {
        throw new Error(`${where}.${k}: must be a non-negative integer`);
      }
    }
    if (o.status !== undefined && ((o.status as number) < 100 || (o.status as number) > 599))
      throw new Error(`${where}.status: must be an HTTP status`);
    if (o.method !== undefined && typeof o.method !== 'string') throw new Error(`${where}.method: must be a string`);
    if ((o.kind === 'redirect') !== (o.to !== undefined) || (o.to !== undefined && typeof o.to !== 'string'))
      throw new Error(`${where}.to: required with kind redirect (a URL or path), and only with it`);
    if (o.kind === 'redirect' && o.status !== undefined && ((o.status as number) < 300 || (o.status as number) > 399))
      throw new Error(`${where}.status: a redirect is 3xx`);
    if (o.then !== undefined && (o.kind !== 'afterHandling' || !LOST.includes(o.then as LostAnswer)))
      throw new Error(`${where}.then: only with kind afterHandling, one of ${LOST.join(', ')}`);
    return { ...o } as unknown as Fault;
  });
}

/** The active faults, each with its remaining count. */
export class FaultBook {
  private entries: { fault: Fault; re?: RegExp; left: number }[] = [];

  set(faults: Fault[]): void {
    this.entries = validateFaults(faults).map((fault) => ({
      fault,
      re: fault.path === undefined ? undefined : new RegExp(fault.path),
      left: fault.times ?? Infinity,
    }));
  }

  /**
   * Consumes and returns the faults that apply: every latency, then at most one other fault;
   * `only`: faults of that kind alone (outside the context path, only a front's redirect acts).
   */
  take(method: string, path: string, only?: FaultKind): { latencyMs: number; latency: boolean; fault?: Fault } {
    let latencyMs = 0;
    let latency = false;
    let fault: Fault | undefined;
    for (const e of this.entries) {
      if (e.left <= 0 || (only && e.fault.kind !== only)) continue;
      if (e.fault.method && e.fault.method.toUpperCase() !== method.toUpperCase()) continue;
      if (e.re && !e.re.test(path)) continue;
      if (e.fault.kind === 'latency') {
        latencyMs += e.fault.ms ?? 0;
        latency = true;
      } else if (fault) {
        continue;
      } else {
        fault = e.fault;
      }
      e.left -= 1;
    }
    return { latencyMs, latency, fault };
  }
}

/**
 * For an `afterHandling` fault: lets normal handling write its answer into a holding area, and
 * once the answer is complete, acts out `fault.then` instead of sending it (or sends it late).
 * The request has taken effect either way: what a lost answer to a request that a server carried
 * out looks like to the client (a proxy's 502, a reset connection, a timeout).
 */
export function holdAnswer(fault: Fault, res: ServerResponse, base: string): void {
  const real = { writeHead: res.writeHead, write: res.write, end: res.end };
  const held: { head?: unknown[]; chunks: unknown[] } = { chunks: [] };
  const restore = () => Object.assign(res, real);
  res.writeHead = ((...args: unknown[]) => {
    held.head = args;
    return res;
  }) as typeof res.writeHead;
  res.write = ((chunk: unknown) => {
    held.chunks.push(chunk);
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') held.chunks.push(chunk);
    restore();
    const then = fault.then ?? 'reset';
    if (then !== 'latency') {
      actOut({ kind: then, status: fault.status ?? 502 }, res, base);
      return res;
    }
    setTimeout(() => {
      if (held.head) (res.writeHead as (...a: unknown[]) => ServerResponse)(...held.head);
      for (const c of held.chunks) res.write(c as Buffer);
      res.end();
    }, fault.ms ?? 0);
    return res;
  }) as typeof res.end;
}

/** Acts out a terminal fault; returns the status logged (0 for reset and hang). */
export function actOut(fault: Fault, res: ServerResponse, base: string): number {
  switch (fault.kind) {
    case 'latency':
    case 'afterHandling':
      return 0; // never terminal before handling
    case 'reset': {
      const socket = res.socket as (Socket & { resetAndDestroy?: () => void }) | null;
      if (socket?.resetAndDestroy) socket.resetAndDestroy();
      else socket?.destroy();
      return 0;
    }
    case 'hang':
      return 0; // the connection stays open until the client gives up or the emulator stops
    case 'status': {
      const status = fault.status ?? 500;
      const text = JSON.stringify(errorBody('Emulated failure', null));
      res.writeHead(status, {
        'Content-Type': 'application/json;charset=UTF-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return status;
    }
    case 'rateLimit': {
      const text = JSON.stringify(
        errorBody('Too many requests: the rate limit for this user has been exceeded.', null),
      );
      const headers: Record<string, string | number> = {
        'Content-Type': 'application/json;charset=UTF-8',
        'Content-Length': Buffer.byteLength(text),
      };
      if (fault.retryAfter !== undefined) headers['Retry-After'] = String(fault.retryAfter);
      res.writeHead(429, headers);
      res.end(text);
      return 429;
    }
    case 'invalidJson': {
      const text = '{"size":1,"limit":25,"values":[{"slug":';
      res.writeHead(200, {
        'Content-Type': 'application/json;charset=UTF-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return 200;
    }
    case 'loginRedirect':
      res.writeHead(302, { Location: `${base}/login`, 'Content-Length': 0 });
      res.end();
      return 302;
    case 'redirect': {
      const status = fault.status ?? 302;
      res.writeHead(status, { Location: `${fault.to ?? ''}${res.req.url ?? '/'}`, 'Content-Length': 0 });
      res.end();
      return status;
    }
    case 'signInPage': {
      // what a single sign-on proxy in front of the server serves in place of any answer
      const page =
        '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post"></form></body></html>';
      res.writeHead(200, { 'Content-Type': 'text/html;charset=UTF-8', 'Content-Length': Buffer.byteLength(page) });
      res.end(page);
      return 200;
    }
  }
}
