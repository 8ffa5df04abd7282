// HTTP Range header parsing for blob downloads (RFC 9110 §14.1.2): one
// "bytes=" range, turned into the domain layer's RangeRequest. Resolution
// against the file size (and the 416 decision) happens in openVersionDownload.
import type { RangeRequest } from "@graft/core";

/**
 * null means "serve the whole file": no header, another unit, several ranges,
 * or syntactically invalid ranges (which the RFC says to ignore).
 */
export function parseRangeHeader(header: string | null): RangeRequest | null {
  if (!header) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a, b] = m;
  if (a === "" && b === "") return null;
  if (a === "") return { suffix: Number(b) };
  const start = Number(a);
  if (b === "") return { start };
  const end = Number(b);
  if (end < start) return null;
  return { start, end };
}
