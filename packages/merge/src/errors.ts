/**
 * Typed errors for the merge library. Every failure a user can cause carries a
 * stable `code` and a one-line human message; the CLI prints the message, the
 * web app maps the code to an HTTP 4xx.
 */
export type GraftErrorCode =
  | "INVALID_SAFETENSORS" // header or layout breaks the format
  | "UNSAFE_FORMAT" // pickle checkpoints and other executable formats
  | "NOT_FOUND" // a file, directory or tensor is missing
  | "MISMATCH" // names / shapes / dtypes disagree between checkpoints
  | "FINGERPRINT_MISMATCH" // a task vector was made against another foundation
  | "INVALID_RECIPE" // YAML recipe problems (unknown keys, methods, parameters)
  | "INVALID_ARGUMENT" // bad option values
  | "UNSUPPORTED" // valid input this version cannot handle
  | "CANCELLED"
  | "NO_SPACE" // the disk filled up while writing
  | "IO";

export class GraftError extends Error {
  readonly code: GraftErrorCode;
  /** Optional structured detail, e.g. the list of mismatches. */
  readonly details?: unknown;

  constructor(code: GraftErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "GraftError";
    this.code = code;
    this.details = details;
  }
}

export function isGraftError(e: unknown): e is GraftError {
  return e instanceof GraftError;
}
