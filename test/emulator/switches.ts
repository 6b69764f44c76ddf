// Validation of switch changes (from the in-process API, the admin endpoint or the CLI). Pure.
import { DEFAULT_SWITCHES, type Switches } from './types.js';

const ENUMS: Partial<Record<keyof Switches, readonly string[]>> = {
  serviceUserLookup: ['object', '404', '401'],
  refuseReadOnlyPushAt: ['advertisement', 'upload'],
  projectTokenUserHeader: ['present', 'absent'],
  projectTokenUsersApi: ['allowed', '401'],
  userHeaderEncoding: ['url', 'raw'],
  captchaOnGit: ['error-packet', '401'],
  anonymousPermissionFilter: ['empty', 'public'],
  loginOptions: ['form', 'idp'],
};

/** Checks a partial switches object; throws an Error naming the bad switch. */
export function validateSwitches(raw: unknown): Partial<Switches> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('switches: must be a JSON object');
  for (const [name, value] of Object.entries(raw)) {
    if (!(name in DEFAULT_SWITCHES))
      throw new Error(`switch ${name}: unknown (known: ${Object.keys(DEFAULT_SWITCHES).join(', ')})`);
    const key = name as keyof Switches;
    const allowed = ENUMS[key];
    const expected = typeof DEFAULT_SWITCHES[key];
    if (allowed ? !allowed.includes(value as string) : typeof value !== expected) {
      throw new Error(`switch ${name}: must be ${allowed ? allowed.join(' | ') : `a ${expected}`}`);
    }
    if (expected === 'number' && (!Number.isInteger(value) || (value as number) < 0)) {
      throw new Error(`switch ${name}: must be a non-negative integer`);
    }
  }
  return raw as Partial<Switches>;
}

/** Parses a CLI `name=value` switch, converting booleans and numbers by the switch's type. */
export function parseSwitchArg(arg: string): Partial<Switches> {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--switch ${arg}: expected name=value`);
  const name = arg.slice(0, eq);
  const text = arg.slice(eq + 1);
  const kind = name in DEFAULT_SWITCHES ? typeof DEFAULT_SWITCHES[name as keyof Switches] : 'string';
  let value: unknown = text;
  if (kind === 'boolean') value = text === 'true' ? true : text === 'false' ? false : text;
  if (kind === 'number') value = /^\d+$/.test(text) ? Number(text) : text;
  return validateSwitches({ [name]: value });
}
