/**
 * The one error type services throw for expected failures, with a stable code
 * the web app maps to HTTP statuses (UNAUTHENTICATED 401, FORBIDDEN 403,
 * NOT_FOUND 404, CONFLICT 409, INVALID 400/422, TOO_LARGE 413, UNSUPPORTED 415,
 * NO_SPACE 507, INTERNAL 500), and the conversion of library errors into it.
 */
import { GraftError } from "@graft/merge";
import { StorageError } from "@graft/storage";
import { ZodError } from "zod";

export type DomainErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "CONFLICT"
  | "INVALID"
  | "TOO_LARGE"
  | "UNSUPPORTED"
  | "NO_SPACE"
  | "INTERNAL";

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details?: unknown;

  constructor(code: DomainErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** Suggested HTTP status per code (the web app may refine, e.g. 416 for bad ranges). */
export const HTTP_STATUS: Record<DomainErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID: 422,
  TOO_LARGE: 413,
  UNSUPPORTED: 415,
  NO_SPACE: 507,
  INTERNAL: 500,
};

function prismaCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  const name = (e as { name?: unknown }).name;
  return typeof code === "string" && typeof name === "string" && name.startsWith("PrismaClient") ? code : undefined;
}

/**
 * Converts any thrown value into a DomainError: merge-library validation
 * failures become INVALID (message and details kept), storage limits
 * TOO_LARGE, zod failures INVALID with the issues, Prisma unique violations
 * CONFLICT. Anything unexpected becomes INTERNAL with a generic message and
 * the original error as `cause` (log it; do not show it to users).
 */
export function toDomainError(e: unknown): DomainError {
  if (e instanceof DomainError) return e;
  if (e instanceof GraftError) {
    switch (e.code) {
      case "MISMATCH":
      case "FINGERPRINT_MISMATCH":
      case "INVALID_SAFETENSORS":
      case "UNSAFE_FORMAT":
      case "INVALID_ARGUMENT":
      case "INVALID_RECIPE":
      case "NOT_FOUND":
        return withCause(new DomainError("INVALID", e.message, mergeDetails(e)), e);
      case "UNSUPPORTED":
        return withCause(new DomainError("UNSUPPORTED", e.message, mergeDetails(e)), e);
      case "NO_SPACE":
        return withCause(noSpace(), e);
      default:
        return withCause(new DomainError("INTERNAL", e.message), e);
    }
  }
  if (e instanceof StorageError) {
    const code = e.code === "TOO_LARGE" ? "TOO_LARGE" : e.code === "NOT_FOUND" ? "NOT_FOUND" : "INVALID";
    return withCause(new DomainError(code, e.message), e);
  }
  if (e instanceof ZodError) {
    return new DomainError("INVALID", formatZodIssues(e), { issues: e.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) });
  }
  if ((e as { code?: unknown } | null)?.code === "ENOSPC") return withCause(noSpace(), e);
  const pc = prismaCode(e);
  if (pc === "P2002") return withCause(new DomainError("CONFLICT", "that already exists"), e);
  if (pc === "P2025") return withCause(new DomainError("NOT_FOUND", "not found"), e);
  return withCause(new DomainError("INTERNAL", "internal error"), e);
}

/**
 * Details of a converted merge error: always `{mergeCode}`, plus
 * `mismatches: string[]` when the library listed differences (MISMATCH,
 * FINGERPRINT_MISMATCH), or the library's own detail fields.
 */
function mergeDetails(e: GraftError): Record<string, unknown> {
  const d = e.details;
  if (Array.isArray(d)) return { mergeCode: e.code, mismatches: d };
  if (d && typeof d === "object") return { mergeCode: e.code, ...(d as Record<string, unknown>) };
  return { mergeCode: e.code };
}

function withCause(d: DomainError, cause: unknown): DomainError {
  Object.defineProperty(d, "cause", { value: cause, enumerable: false });
  return d;
}

export function formatZodIssues(e: ZodError): string {
  return e.issues.map((i) => (i.path.length ? `${i.path.map(String).join(".")}: ${i.message}` : i.message)).join("; ");
}

/** The message never names server paths; the cause (logged) does. */
function noSpace(): DomainError {
  return new DomainError("NO_SPACE", "the server ran out of storage space; nothing was stored, try again later");
}

export function notFound(what: string): DomainError {
  return new DomainError("NOT_FOUND", `${what} not found`);
}
