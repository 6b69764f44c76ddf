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

/**
 * rotate found the stored token replaced since it read it (another rotate or login ran at the
 * same time): it stored nothing, and takes its own new token back.
 */
export class Superseded extends CommandError {
  constructor() {
    super('the stored token was replaced while this command ran (another rotate or login); nothing was stored');
    this.name = 'Superseded';
  }
}
