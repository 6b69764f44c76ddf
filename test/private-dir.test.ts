import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensurePrivateDir } from '../src/private-dir.js';
import { fileRefusals } from '../src/bitbucket/refusals.js';
import { dueNotice } from '../src/credential/renewal.js';

const isPosix = process.platform !== 'win32';
const tmps: string[] = [];
function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gcb-private-'));
  tmps.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of tmps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
const modeOf = (p: string): number => fs.statSync(p).mode & 0o777;

describe.runIf(isPosix)('one private-directory rule for every file the product writes', () => {
  it('creates 0700, tightens a wider directory, never widens a read-only one', () => {
    const root = tmp();
    const made = path.join(root, 'a', 'b');
    ensurePrivateDir(made);
    expect(modeOf(made)).toBe(0o700);
    const wide = path.join(root, 'wide');
    fs.mkdirSync(wide);
    fs.chmodSync(wide, 0o755);
    ensurePrivateDir(wide);
    expect(modeOf(wide)).toBe(0o700);
    // one others can write to may hold anything they planted: refused, left as it is
    const open = path.join(root, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    expect(() => ensurePrivateDir(open)).toThrow(
      /refusing directory \S+open: others can write to it \(mode 777\); chmod 700/,
    );
    expect(modeOf(open)).toBe(0o777);
    const link = path.join(root, 'link');
    fs.symlinkSync(made, link);
    expect(() => ensurePrivateDir(link)).toThrow(/it is a symbolic link/);
    const readOnly = path.join(root, 'ro');
    fs.mkdirSync(readOnly);
    fs.chmodSync(readOnly, 0o555);
    ensurePrivateDir(readOnly);
    expect(modeOf(readOnly)).toBe(0o500);
  });

  it('the Basic-refusal memory tightens a state directory others could read', () => {
    const dir = path.join(tmp(), 'state');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o755);
    fileRefusals(dir).remember('not-a-real-secret', '127.0.0.1', Date.now());
    expect(modeOf(dir)).toBe(0o700);
    expect(fileRefusals(dir).refusedAt('not-a-real-secret')).toBeTypeOf('number');
  });

  it('the renewal-notice state tightens a state directory others could read', () => {
    const root = tmp();
    const env = {
      HOME: root,
      XDG_STATE_HOME: path.join(root, 'xdg-state'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: path.join(root, 'gitconfig'),
      PATH: process.env.PATH,
    };
    const dir = path.join(env.XDG_STATE_HOME, 'git-credential-bitbucket');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    const now = Date.now();
    const line = dueNotice(
      {
        protocol: 'https',
        host: '127.0.0.1:7990',
        username: 'alice',
        hasPassword: true,
        hasCredential: false,
        storedAt: now,
        passwordExpiryUtc: Math.floor(now / 1000) + 86_400,
      },
      { env, now, stderrIsTTY: true },
    );
    expect(line).toBeTypeOf('string');
    expect(modeOf(dir)).toBe(0o700);
    expect(modeOf(path.join(dir, 'notices.json'))).toBe(0o600);
  });
});
