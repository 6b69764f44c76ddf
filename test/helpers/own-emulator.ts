/**
 * For test files whose tests run at once (`describe.concurrent`): each test gets its own
 * emulator and sandbox, so that one test's faults, request log and stored tokens never meet
 * another's. Tests that mostly wait (on an emulator latency fault) then wait together. Same
 * surface as useEmulatorSandbox (./fixture.ts); every output goes to the file's `outputs`, which
 * the file scans for the secrets when it ends (`scanAfterAll`).
 */
import { afterAll } from 'vitest';
import { startEmulator } from '../emulator/index.js';
import { DEMO, emulatorSandbox, fixtureSecrets, type EmulatorSandbox, type EmulatorSandboxOptions } from './fixture.js';
import { expectNoSecrets, makeSandbox, type Sandbox } from './sandbox.js';

export interface OwnEmulators {
  /** Runs `fn` with a fresh emulator and sandbox (`env` added to the sandbox's), stopped and removed after. */
  with<T>(fn: (f: EmulatorSandbox) => Promise<T>, env?: NodeJS.ProcessEnv): Promise<T>;
  /** Everything printed so far, by every test of the file. */
  readonly outputs: string[];
}

/** Call at the top of a test file; registers the scan of every output for the secrets after the last test. */
export function ownEmulators(opts: Omit<EmulatorSandboxOptions, 'sandbox'> = {}): OwnEmulators {
  const { data = DEMO, secrets, ...emulator } = opts;
  const outputs: string[] = [];
  afterAll(() => expectNoSecrets(outputs, secrets ?? fixtureSecrets(data)));
  return {
    outputs,
    async with(fn, env = {}) {
      const emu = await startEmulator({ data, ...emulator });
      const sb: Sandbox = makeSandbox(env);
      const f = emulatorSandbox({ emu, sb }, outputs);
      try {
        return await fn(f);
      } finally {
        sb.cleanup();
        await emu.stop();
      }
    },
  };
}
