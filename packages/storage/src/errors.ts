/**
 * Typed storage failures, so callers (the domain layer, HTTP handlers) can map
 * them to user-facing errors without string matching.
 */
export class StorageError extends Error {
  readonly code: "TOO_LARGE" | "NOT_FOUND" | "INVALID" | "CORRUPT";
  constructor(code: StorageError["code"], message: string) {
    super(message);
    this.name = "StorageError";
    this.code = code;
  }
}

/** The source delivered more than `maxBytes`; the partial staged file was deleted. */
export class TooLargeError extends StorageError {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super("TOO_LARGE", `upload exceeds the limit of ${maxBytes} bytes`);
    this.name = "TooLargeError";
    this.maxBytes = maxBytes;
  }
}

export class BlobNotFoundError extends StorageError {
  readonly hash: string;
  constructor(hash: string) {
    super("NOT_FOUND", `blob sha256:${hash} does not exist`);
    this.name = "BlobNotFoundError";
    this.hash = hash;
  }
}

export function isStorageError(e: unknown): e is StorageError {
  return e instanceof StorageError;
}
