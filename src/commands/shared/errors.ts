/**
 * Exit codes, in one place (after gh): 0 ok, 1 error, 2 usage, 4 authentication, 130 Ctrl-C
 * (128 + SIGINT, as shells report an interrupted program).
 * Commands throw `CommandError` for expected failures; `runCommand` prints its one-line message.
 */
export const EXIT = { ok: 0, error: 1, usage: 2, auth: 4, interrupted: 130 } as const;

export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
