/** Turns any thrown value into the one line the CLI prints. */
import { isGraftError } from "@graft/merge";

export class CliError extends Error {}

export function describeError(e: unknown): string {
  if (isGraftError(e) || e instanceof CliError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === "object" && typeof err.code === "string" && err.message) return err.message;
  // Unexpected: still one line, but say it is a bug rather than bad input.
  return `internal error: ${err?.message ?? String(e)}`;
}

/** "5GB", "500MiB", "1024" → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)?\s*$/i.exec(text);
  if (!m) throw new CliError(`invalid size "${text}" (examples: 5GB, 500MiB, 1048576)`);
  const unit = (m[2] ?? "b").toLowerCase();
  const factor: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
  const bytes = Math.floor(Number(m[1]) * factor[unit]!);
  if (bytes < 1) throw new CliError(`invalid size "${text}": must be at least 1 byte`);
  return bytes;
}

export function parseNumber(text: string, name: string, min: number, max: number): number {
  const v = Number(text);
  if (!Number.isFinite(v) || v < min || v > max) throw new CliError(`${name} must be a number between ${min} and ${max}, got "${text}"`);
  return v;
}
