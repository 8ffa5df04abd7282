import { GraftError } from "@graft/merge";
import { TooLargeError, BlobNotFoundError } from "@graft/storage";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DomainError, toDomainError } from "./errors";

describe("toDomainError", () => {
  it("passes DomainErrors through", () => {
    const e = new DomainError("CONFLICT", "taken");
    expect(toDomainError(e)).toBe(e);
  });

  it("maps merge-library validation failures to INVALID, keeping message and mismatch list", () => {
    for (const code of ["MISMATCH", "FINGERPRINT_MISMATCH", "INVALID_SAFETENSORS", "UNSAFE_FORMAT"] as const) {
      const d = toDomainError(new GraftError(code, `bad: ${code}`, ["a: shape [1] vs [2]"]));
      expect(d).toMatchObject({ code: "INVALID", message: `bad: ${code}`, details: { mergeCode: code, mismatches: ["a: shape [1] vs [2]"] } });
    }
    expect(toDomainError(new GraftError("UNSUPPORTED", "DoRA"))).toMatchObject({ code: "UNSUPPORTED", details: { mergeCode: "UNSUPPORTED" } });
    expect(toDomainError(new GraftError("IO", "disk on fire")).code).toBe("INTERNAL");
  });

  it("maps storage, zod and Prisma errors", () => {
    expect(toDomainError(new TooLargeError(10)).code).toBe("TOO_LARGE");
    expect(toDomainError(new BlobNotFoundError("0".repeat(64))).code).toBe("NOT_FOUND");
    const zerr = z.object({ a: z.number() }).safeParse({ a: "x" }).error!;
    expect(toDomainError(zerr)).toMatchObject({ code: "INVALID", details: { issues: [expect.objectContaining({ path: "a" })] } });
    const p2002 = Object.assign(new Error("Unique constraint failed"), { name: "PrismaClientKnownRequestError", code: "P2002" });
    expect(toDomainError(p2002).code).toBe("CONFLICT");
  });

  it("hides unexpected errors behind INTERNAL, keeping the cause", () => {
    const boom = new Error("secret stack detail");
    const d = toDomainError(boom);
    expect(d).toMatchObject({ code: "INTERNAL", message: "internal error" });
    expect((d as { cause?: unknown }).cause).toBe(boom);
  });
});
