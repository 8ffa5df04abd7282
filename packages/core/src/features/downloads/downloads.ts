/**
 * Serving a version's task-vector file: entitlement check, optional byte
 * range, and download counting — once per download, i.e. only for requests
 * that start at byte 0, so resumed or chunked range requests are not counted
 * again.
 */
import type { Readable } from "node:stream";
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { num } from "../../lib/dto";
import { canDownload } from "../entitlements/access";

/** A byte range request: inclusive `start`–`end` (end defaults to the last byte), or the last `suffix` bytes. */
export type RangeRequest = { start: number; end?: number } | { suffix: number };

export interface VersionDownload {
  stream: Readable;
  /** Total size of the file in bytes. */
  size: number;
  /** Bytes in this response (size, or the range length). */
  length: number;
  filename: string;
  sha256: string;
  /** The served range, when one was requested. */
  range?: { start: number; end: number };
  /** Ready-made Content-Range header value ("bytes 0-99/1234") for 206 responses. */
  contentRange?: string;
}

function resolveRange(range: RangeRequest, size: number): { start: number; end: number } {
  let start: number;
  let end: number;
  if ("suffix" in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix <= 0) throw unsatisfiable(size);
    start = Math.max(0, size - range.suffix);
    end = size - 1;
  } else {
    start = range.start;
    end = range.end === undefined ? size - 1 : Math.min(range.end, size - 1);
    if (!Number.isSafeInteger(start) || start < 0 || (range.end !== undefined && (!Number.isSafeInteger(range.end) || range.end < start))) {
      throw unsatisfiable(size);
    }
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): DomainError {
  return new DomainError("INVALID", `requested range not satisfiable (file is ${size} bytes)`, { reason: "range-not-satisfiable", size });
}

/**
 * Opens a version's file for download after checking canDownload. Denials map
 * to NOT_FOUND (unknown version), UNAUTHENTICATED (anonymous, sign-in would
 * help) or FORBIDDEN. An unsatisfiable range is INVALID with
 * details {reason: "range-not-satisfiable", size} (HTTP 416).
 */
export async function openVersionDownload(ctx: CoreContext, actor: Actor, versionId: string, range?: RangeRequest): Promise<VersionDownload> {
  const decision = await canDownload(ctx, actor, versionId);
  if (!decision.allowed) {
    switch (decision.reason) {
      case "not-found":
        throw notFound("version");
      case "login-required":
        throw new DomainError("UNAUTHENTICATED", "sign in to download this vector", { reason: decision.reason });
      default:
        throw new DomainError("FORBIDDEN", decision.reason === "yanked" ? "this version was yanked" : "you are not entitled to download this vector", {
          reason: decision.reason,
        });
    }
  }
  const version = await ctx.db.vectorVersion.findUniqueOrThrow({
    where: { id: versionId },
    include: { vector: { select: { id: true, slug: true, team: { select: { slug: true } } } } },
  });
  const size = num(version.sizeBytes);
  const served = range ? resolveRange(range, size) : undefined;
  const start = served?.start ?? 0;

  const stream = await ctx.blobs.createReadStream(version.blobHash, served ?? {});
  if (start === 0) {
    try {
      await ctx.db.$transaction([
        ctx.db.taskVector.update({ where: { id: version.vector.id }, data: { downloads: { increment: 1 } } }),
        ctx.db.download.create({ data: { versionId, userId: actor?.userId ?? null } }),
      ]);
    } catch (e) {
      stream.destroy();
      throw e;
    }
  }
  const out: VersionDownload = {
    stream,
    size,
    length: served ? served.end - served.start + 1 : size,
    filename: `${version.vector.team.slug}-${version.vector.slug}-${version.version}.safetensors`,
    sha256: version.blobHash,
  };
  if (served) {
    out.range = served;
    out.contentRange = `bytes ${served.start}-${served.end}/${size}`;
  }
  return out;
}
