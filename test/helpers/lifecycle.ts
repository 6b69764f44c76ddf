/**
 * The set-up the token-lifecycle test files share: the emulator with a context path, alice's
 * account password kept out of every output, and before each test no faults, a CAPTCHA after 5
 * failed sign-ins, no enforced maximum expiry, room for 100 tokens, alice unlocked and an empty
 * request log; with `login --create` and `rotate` as alice, the password on stdin.
 */
import { beforeEach } from 'vitest';
import { useEmulatorSandbox, type EmulatorSandbox } from './fixture.js';
import type { RunResult } from './sandbox.js';

export const ALICE_PASSWORD = 'alice-password';

export interface LifecycleSandbox {
  f: EmulatorSandbox;
  /** `login URL --create --username alice --password-stdin` with `extra` arguments. */
  createLogin(extra?: string[], password?: string): Promise<RunResult>;
  /** `rotate URL --password-stdin` with `extra` arguments. */
  rotate(...extra: string[]): Promise<RunResult>;
}

export function useLifecycleSandbox(): LifecycleSandbox {
  const f = useEmulatorSandbox({ context: '/bb', secrets: [ALICE_PASSWORD] });
  beforeEach(() => {
    f.emu.setFaults([]);
    f.emu.setSwitches({ captchaThreshold: 5, tokenMaxExpiryDays: 0, maxTokensPerOwner: 100 });
    f.emu.clearCaptcha('alice');
    f.emu.clearLog();
  });
  return {
    f,
    createLogin: (extra = [], password = ALICE_PASSWORD) =>
      f.bin(['login', f.emu.baseUrl, '--create', '--username', 'alice', '--password-stdin', ...extra], `${password}\n`),
    rotate: (...extra) => f.bin(['rotate', f.emu.baseUrl, '--password-stdin', ...extra], `${ALICE_PASSWORD}\n`),
  };
}
