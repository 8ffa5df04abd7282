/**
 * Garbage collection for blob storage, for crashes the normal paths cannot
 * clean up after: scratch files of uploads cut off by a killed process, and
 * blobs committed by a process that died before its database transaction
 * committed (so no row references them). Both are only removed once older
 * than a grace period, so uploads and commits in flight are never touched.
 */
import type { CoreContext } from "../../context";

export interface CollectOptions {
  /** Scratch files and unreferenced blobs younger than this are kept. Default 1 hour. */
  graceMs?: number;
  /** Report what would be removed without removing anything. */
  dryRun?: boolean;
}

export interface CollectReport {
  scratchFilesRemoved: number;
  orphanBlobs: string[];
  dryRun: boolean;
}

/** Every blob hash a row refers to. */
export async function referencedBlobHashes(ctx: Pick<CoreContext, "db">): Promise<Set<string>> {
  const [blobs, versions, foundations, jobs, parts] = await Promise.all([
    ctx.db.blob.findMany({ select: { hash: true } }),
    ctx.db.vectorVersion.findMany({ select: { blobHash: true } }),
    ctx.db.foundation.findMany({ where: { blobHash: { not: null } }, select: { blobHash: true } }),
    ctx.db.mergeJob.findMany({ where: { resultBlobHash: { not: null } }, select: { resultBlobHash: true } }),
    ctx.db.mergeJobPart.findMany({ where: { blobHash: { not: null } }, select: { blobHash: true } }),
  ]);
  return new Set([
    ...blobs.map((b) => b.hash),
    ...versions.map((v) => v.blobHash),
    ...foundations.map((f) => f.blobHash!),
    ...jobs.map((j) => j.resultBlobHash!),
    ...parts.map((p) => p.blobHash!),
  ]);
}

export async function collectGarbage(ctx: Pick<CoreContext, "db" | "blobs">, opts: CollectOptions = {}): Promise<CollectReport> {
  const graceMs = opts.graceMs ?? 3600_000;
  const dryRun = opts.dryRun ?? false;
  const orphanBlobs = await ctx.blobs.listOrphans(await referencedBlobHashes(ctx), { olderThanMs: graceMs });
  let scratchFilesRemoved = 0;
  if (!dryRun) {
    for (const hash of orphanBlobs) await ctx.blobs.delete(hash);
    scratchFilesRemoved = await ctx.blobs.cleanupScratch(graceMs);
  }
  return { scratchFilesRemoved, orphanBlobs, dryRun };
}
