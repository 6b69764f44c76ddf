/**
 * What commands need from the outside world, injected so that tests can drive them: streams,
 * environment, clock, terminal detection. Colour only on a terminal, never with NO_COLOR.
 */
export interface CommandIO {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  now(): number;
  stdin: NodeJS.ReadStream;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
  stdoutIsTTY: boolean;
}

/** What a command module's handler reports back to `runCommand`. */
export interface CommandContext {
  io: CommandIO;
  exitCode: number;
}

export function processIO(): CommandIO {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    now: () => Date.now(),
    stdin: process.stdin,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
  };
}

export interface Paint {
  bold(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  dim(s: string): string;
}

/** ANSI styles when `tty` and NO_COLOR is unset (https://no-color.org), else identity. */
export function paint(tty: boolean, env: NodeJS.ProcessEnv): Paint {
  const on = tty && !env.NO_COLOR && env.TERM !== 'dumb';
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap('1'), green: wrap('32'), yellow: wrap('33'), red: wrap('31'), dim: wrap('2') };
}
