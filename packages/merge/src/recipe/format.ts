/** Internal helpers for one-line recipe error messages. */
import { GraftError } from "../errors";

export type KeyPath = readonly PropertyKey[];

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `models[1].parameters.density`, `parameters["odd key"]`. */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else {
      const key = String(seg);
      if (IDENT.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** A short rendering of a user value for "got …" messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return ".nan";
    if (value === Infinity) return ".inf";
    if (value === -Infinity) return "-.inf";
    return String(value);
  }
  if (typeof value === "string") {
    const s = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(s);
  }
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    return json !== undefined && json.length <= 40 ? `the list ${json}` : "a list";
  }
  if (typeof value === "object") return "a mapping";
  return typeof value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function quoteList(keys: readonly string[]): string {
  return keys.join(", ");
}

export function recipeError(message: string, details?: unknown): GraftError {
  return new GraftError("INVALID_RECIPE", message, details);
}
