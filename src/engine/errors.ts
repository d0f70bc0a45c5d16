/**
 * Typed errors of the engine. `message` is always the text a user sees (the SPEC's
 * wording where the SPEC gives one); `code` lets the UI and CLI tell kinds apart
 * without parsing messages. Each layer adds its own codes.
 */
export class LabError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

/** A file of the store is missing, truncated, hand-edited or of an unknown format (R25, R32). */
export class StoreFileError extends LabError {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super('StoreFile', `${file}: ${problem}`);
    this.name = 'StoreFileError';
  }
}

export function isLabError(error: unknown): error is LabError {
  return error instanceof LabError;
}
