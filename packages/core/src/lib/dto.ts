/**
 * Plain, JSON-safe shapes for what services return: BigInt byte counts become
 * numbers (safe below 2^53 bytes) and JSON columns are parsed.
 */
export function num(value: bigint | number): number {
  return typeof value === "bigint" ? Number(value) : value;
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
