/** Exit codes of the kms-rotator command. */
export const EXIT = {
  ok: 0,
  /** The request was sent but failed, or a guard of the core turned it down. */
  failed: 1,
  /** The command line or the request is invalid; nothing was sent or changed. */
  usage: 2,
} as const;

/** A failure to report as one message on stderr, with the exit code that goes with it. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.failed, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
  }
}
