// Error → HTTP mapping: domain codes, library errors, request validation, and
// the generic 500 that never leaks internals.
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { DomainError } from "@graft/core";
import { GraftError } from "@graft/merge";
import { TooLargeError } from "@graft/storage";
import { describeError, errorResponse, HttpError } from "./errors";

describe("describeError", () => {
  it("maps domain codes to statuses and keeps details", () => {
    const cases: [DomainError["code"], number][] = [
      ["UNAUTHENTICATED", 401],
      ["FORBIDDEN", 403],
      ["NOT_FOUND", 404],
      ["CONFLICT", 409],
      ["INVALID", 422],
      ["TOO_LARGE", 413],
    ];
    for (const [code, status] of cases) expect(describeError(new DomainError(code, "m"))?.status).toBe(status);
    const d = describeError(new DomainError("INVALID", "mismatch", { mismatches: ["a: shape [2] ≠ [3]"] }));
    expect(d?.body.error.details).toEqual({ mismatches: ["a: shape [2] ≠ [3]"] });
  });

  it("maps library errors through the domain layer", () => {
    expect(describeError(new GraftError("INVALID_SAFETENSORS", "bad header"))?.status).toBe(422);
    expect(describeError(new TooLargeError(10))?.status).toBe(413);
  });

  it("treats web-layer validation as 400 and HttpError as given", () => {
    const zodError = z.object({ a: z.string() }).safeParse({ a: 1 }).error!;
    expect(describeError(zodError)?.status).toBe(400);
    const range = describeError(new HttpError(416, "RANGE_NOT_SATISFIABLE", "no", undefined, { "content-range": "bytes */5" }));
    expect(range?.status).toBe(416);
    expect(range?.headers).toEqual({ "content-range": "bytes */5" });
  });

  it("answers unexpected errors with a generic 500 and logs them", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const res = errorResponse(new Error("database password is hunter2"));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text)).toEqual({ error: { code: "INTERNAL", message: "internal server error" } });
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });
});
