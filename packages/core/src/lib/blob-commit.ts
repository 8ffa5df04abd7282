/**
 * Makes a staged upload permanent together with the rows that reference it:
 * rows are written first and the blob is committed as the last step of the
 * same transaction, so a failure anywhere leaves neither rows nor a new blob.
 * (Never touch ctx.db inside `writeRows`: the libSQL adapter serialises every
 * query behind an open transaction, so that would deadlock; use `tx`.)
 */
import type { Prisma } from "@graft/db";
import type { StagedBlob } from "@graft/storage";
import type { CoreContext, DbClient } from "../context";
import { transaction } from "./transaction";

export async function isBlobReferenced(db: DbClient, hash: string): Promise<boolean> {
  const [blobRows, versions, foundations, jobs, parts] = await Promise.all([
    db.blob.count({ where: { hash } }),
    db.vectorVersion.count({ where: { blobHash: hash } }),
    db.foundation.count({ where: { blobHash: hash } }),
    db.mergeJob.count({ where: { resultBlobHash: hash } }),
    db.mergeJobPart.count({ where: { blobHash: hash } }),
  ]);
  return blobRows + versions + foundations + jobs + parts > 0;
}

export async function commitBlobWithRows<T>(
  ctx: CoreContext,
  staged: StagedBlob,
  writeRows: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  const existedBefore = await ctx.blobs.has(staged.sha256);
  let committed = false;
  try {
    return await transaction(ctx.db, async (tx) => {
      const result = await writeRows(tx);
      await tx.blob.upsert({
        where: { hash: staged.sha256 },
        create: { hash: staged.sha256, sizeBytes: BigInt(staged.size) },
        update: {},
      });
      await ctx.blobs.commit(staged);
      committed = true;
      return result;
    });
  } catch (e) {
    if (!committed) {
      await ctx.blobs.discard(staged).catch(() => {});
    } else if (!existedBefore) {
      // Only the final COMMIT can fail here. A concurrent identical upload may
      // still be in flight; orphan collection (listOrphans) covers that rare case.
      const referenced = await isBlobReferenced(ctx.db, staged.sha256).catch(() => true);
      if (!referenced) await ctx.blobs.delete(staged.sha256).catch(() => {});
    }
    throw e;
  }
}
