/** Validation of StagedBlob values handed to services (they come from BlobStore.stage). */
import type { StagedBlob } from "@graft/storage";
import { z } from "zod";
import type { CoreConfig } from "../context";
import { DomainError } from "../errors";

export const stagedBlobSchema = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});

/** TOO_LARGE when a staged upload exceeds config.maxUploadBytes. */
export function checkUploadSize(config: CoreConfig, ...files: StagedBlob[]): void {
  const limit = config.maxUploadBytes;
  if (limit === undefined) return;
  for (const f of files) {
    if (f.size > limit) throw new DomainError("TOO_LARGE", `upload is ${f.size} bytes, over the limit of ${limit} bytes`, { limit, size: f.size });
  }
}
