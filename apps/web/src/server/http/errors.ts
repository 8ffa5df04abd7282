// The one place that turns thrown errors into HTTP responses, so every API
// route answers failures the same way: {error: {code, message, details?}}
// with a 4xx status, or a generic 500 (the cause goes to the server log only).
import type { NextRequest, NextResponse } from "next/server";
import { ZodError } from "zod";
import { HTTP_STATUS, toDomainError } from "@graft/core";
import { HttpError } from "./http-error";
import { json } from "./json";

export { HttpError };

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function body(code: string, message: string, details?: unknown): ApiErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Classifies an error; null means "unexpected" (a bug or an outage).
 * - HttpError: raised by the web layer (malformed request, bad range).
 * - ZodError from the web layer's request schemas: 400.
 * - Everything else goes through the domain layer's own conversion
 *   (DomainError, merge GraftError, StorageError, Prisma conflicts) and its
 *   code → status table: 401/403/404/409/413/415/422.
 */
export function describeError(e: unknown): { status: number; body: ApiErrorBody; headers?: Record<string, string> } | null {
  if (e instanceof HttpError) return { status: e.status, body: body(e.code, e.message, e.details), headers: e.headers };
  if (e instanceof ZodError) {
    const issues = e.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    return { status: 400, body: body("INVALID", `invalid request: ${summary}`, { issues }) };
  }
  const d = toDomainError(e);
  if (d.code === "INTERNAL") return null;
  return { status: HTTP_STATUS[d.code], body: body(d.code, d.message, d.details) };
}

export function errorResponse(e: unknown): NextResponse {
  const described = describeError(e);
  if (described) return json(described.body, { status: described.status, headers: described.headers });
  console.error("[graft] unexpected error in API route:", e);
  return json(body("INTERNAL", "internal server error"), { status: 500 });
}

export type RouteContext<P> = { params: Promise<P> };

/**
 * Wraps a route handler so that any thrown error becomes a JSON error response.
 * Handlers stay linear: authenticate, parse, call one service, return json(...).
 */
export function withErrors<P = Record<string, never>>(
  handler: (req: NextRequest, ctx: RouteContext<P>) => Promise<Response>,
): (req: NextRequest, ctx: RouteContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      return await handler(req, ctx);
    } catch (e) {
      return errorResponse(e);
    }
  };
}
