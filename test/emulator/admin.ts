// `{base}/__emulator/...`: unauthenticated control endpoints for tests and demos.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendEmpty, sendJson, type State } from './http-util.js';
import { validateSwitches } from './switches.js';
import type { Fault } from './types.js';

/** Handles an admin request; `sub` is the path after `/__emulator`. */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, sub: string, state: State): Promise<void> {
  const method = req.method ?? 'GET';
  const bad = (message: string): void => sendJson(res, 400, { error: message });
  if (sub === '/faults') {
    if (method === 'DELETE') {
      state.faults.set([]);
      return sendEmpty(res, 204);
    }
    if (method === 'PUT') {
      const body = await readJson(req);
      try {
        state.faults.set(body as Fault[]);
      } catch (err) {
        return bad((err as Error).message);
      }
      return sendEmpty(res, 204);
    }
  }
  if (sub === '/log') {
    if (method === 'GET') return sendJson(res, 200, state.log);
    if (method === 'DELETE') {
      state.log.length = 0;
      return sendEmpty(res, 204);
    }
  }
  const captcha = /^\/captcha\/([^/]+)$/.exec(sub);
  if (captcha && method === 'DELETE') {
    state.captcha.clear(decodeURIComponent(captcha[1] as string));
    return sendEmpty(res, 204);
  }
  if (sub === '/switches') {
    if (method === 'GET') return sendJson(res, 200, state.switches);
    if (method === 'PATCH') {
      const body = await readJson(req);
      try {
        Object.assign(state.switches, validateSwitches(body));
      } catch (err) {
        return bad((err as Error).message);
      }
      return sendJson(res, 200, state.switches);
    }
  }
  sendJson(res, 404, { error: `no admin endpoint ${method} ${sub}` });
}
