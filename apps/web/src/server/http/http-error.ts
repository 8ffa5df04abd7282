// An error raised by the web layer itself (malformed request, bad multipart,
// unsatisfiable range); errors.ts turns it into a JSON response.
/** An error raised by the web layer itself (malformed request, bad multipart, …). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (e.g. Content-Range on a 416). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}
