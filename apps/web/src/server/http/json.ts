// JSON responses and request bodies for the API: BigInt-safe serialisation
// (sizes and parameter counts are BigInt in the database) and zod-validated input.
import { NextResponse } from "next/server";
import type { z } from "zod";
import { HttpError } from "./http-error";

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  return value;
}

/** Serialises with BigInt support; Dates become ISO strings as usual. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function json(value: unknown, init: ResponseInit = {}): NextResponse {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
  return new NextResponse(toJson(value), { ...init, headers });
}

/** No API route takes more JSON than this; larger bodies are refused while streaming, never buffered. */
export const MAX_JSON_BYTES = 1024 * 1024;

async function readBodyText(req: Request, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, "TOO_LARGE", `JSON body exceeds ${limit} bytes`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (declared > limit) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString("utf8");
}

/** Reads and validates a JSON request body; malformed JSON and schema violations are 400s, oversized bodies 413. */
export async function readJson<S extends z.ZodType>(req: Request, schema: S, limit = MAX_JSON_BYTES): Promise<z.output<S>> {
  const text = await readBodyText(req, limit);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HttpError(400, "INVALID", "request body must be valid JSON");
  }
  return schema.parse(raw);
}

/** Validates URL query parameters (strings; repeated keys become arrays). */
export function readQuery<S extends z.ZodType>(url: URL | string, schema: S): z.output<S> {
  const params = (typeof url === "string" ? new URL(url) : url).searchParams;
  const obj: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    obj[key] = all.length > 1 ? all : all[0];
  }
  return schema.parse(obj);
}
