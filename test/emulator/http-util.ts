// Small HTTP helpers shared by the handlers, and the per-request context they receive.
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CaptchaTracker } from './auth.js';
import type { FaultBook } from './faults.js';
import type { Model, Principal } from './model.js';
import type { LogEntry, Switches } from './types.js';

/** Mutable emulator state shared by all requests. */
export interface State {
  model: Model;
  switches: Switches;
  captcha: CaptchaTracker;
  faults: FaultBook;
  log: LogEntry[];
  reposDir: string;
  /** Running git http-backend processes, killed on stop. */
  children: Set<ChildProcess>;
  /** Environment for git child processes (isolated from the user's config). */
  gitEnv: NodeJS.ProcessEnv;
  now: () => number;
}

/** What a handler gets for one request. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** Base URL including the context path, no trailing slash. */
  base: string;
  /** Request path with the context path removed (starts with `/`). */
  path: string;
  query: URLSearchParams;
  principal?: Principal;
  state: State;
}

/** Sends a JSON body with the given status. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends a status with an empty body (e.g. 204). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Sends a small HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'Content-Type': 'text/html;charset=UTF-8', 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

/** Reads a request body (at most 1 MiB) as text. */
export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON body; `undefined` for an empty body, an Error value for invalid JSON. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readText(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new Error('invalid JSON');
  }
}

/** The HTML login page Bitbucket redirects browsers (and refused Bearer tokens) to. */
export const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Log in - Bitbucket</title></head>' +
  '<body><form id="form-login" method="post"><input name="j_username"><input name="j_password" type="password">' +
  '<button type="submit">Log in</button></form></body></html>';
