/**
 * Exit codes of SPEC section 6 and the CLI's own error for bad usage. Operation failures
 * are the engine's LabError (exit 1); anything that is wrong with the command line itself
 * (unknown command or option, missing option, a value that does not parse) exits 2 and
 * never opens the store.
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad usage detected after commander's own parsing (e.g. neither --name nor --id). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An operation failure the CLI detects itself (e.g. a host file that does not exist): exit 1. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}
