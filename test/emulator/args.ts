// Command-line parsing for the emulator CLI (pure: argv in, options or an error message out).
import { parseArgs } from 'node:util';
import { validateFaults } from './faults.js';
import { parseSwitchArg } from './switches.js';
import type { Fault, Switches } from './types.js';

/** What the CLI was asked to do. */
export interface CliOptions {
  data: string;
  port: number;
  context?: string;
  https: boolean;
  reposDir?: string;
  switches: Partial<Switches>;
  faults: Fault[];
}

/** Usage line shown with argument errors. */
export const USAGE =
  'usage: emulator --data FIXTURE.json [--port N] [--context /path] [--https] [--repos DIR] ' +
  '[--latency MS] [--switch name=value ...] [--fault JSON ...]';

/** Parses argv (without node and script); returns options or a one-line error. */
export function parseCli(argv: string[]): { ok: true; options: CliOptions } | { ok: false; error: string } {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        port: { type: 'string' },
        context: { type: 'string' },
        https: { type: 'boolean' },
        repos: { type: 'string' },
        latency: { type: 'string' },
        switch: { type: 'string', multiple: true },
        fault: { type: 'string', multiple: true },
      },
    });
    if (!values.data) return { ok: false, error: `--data is required; ${USAGE}` };
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      return { ok: false, error: `--port ${values.port}: not a port number` };
    const switches: Partial<Switches> = {};
    for (const s of values.switch ?? []) Object.assign(switches, parseSwitchArg(s));
    const faults: Fault[] = [];
    if (values.latency !== undefined) {
      const ms = Number(values.latency);
      if (!Number.isInteger(ms) || ms < 0)
        return { ok: false, error: `--latency ${values.latency}: not a number of milliseconds` };
      faults.push({ kind: 'latency', ms });
    }
    for (const f of values.fault ?? []) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(f);
      } catch {
        return { ok: false, error: '--fault: not valid JSON' };
      }
      faults.push(...validateFaults(Array.isArray(parsed) ? parsed : [parsed]));
    }
    return {
      ok: true,
      options: {
        data: values.data,
        port,
        context: values.context,
        https: values.https ?? false,
        reposDir: values.repos,
        switches,
        faults,
      },
    };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0] ?? 'bad arguments' };
  }
}
