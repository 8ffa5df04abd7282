// The process-wide service context handed to every core call: one Prisma
// client, one blob store and the deployment config. Kept on globalThis so
// dev-mode hot reloads reuse it instead of opening a new database connection
// per edit.
import "server-only";
import path from "node:path";
import type { CoreContext } from "@graft/core";
import { createDb } from "@graft/db";
import { LocalBlobStore, S3BlobStore, type BlobStore } from "@graft/storage";
import { getEnv, type Env } from "@/env";

const globalForGraft = globalThis as typeof globalThis & { __graftContext?: CoreContext };

export function getContext(): CoreContext {
  if (!globalForGraft.__graftContext) {
    const env = getEnv();
    globalForGraft.__graftContext = {
      db: createDb(env.databaseUrl),
      blobs: createBlobStore(env),
      config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models") },
    };
  }
  return globalForGraft.__graftContext;
}

function createBlobStore(env: Env): BlobStore {
  const c = env.blobStore;
  if (c.kind === "local") return new LocalBlobStore(env.blobDir, { maxBytes: env.maxUploadBytes });
  return new S3BlobStore({
    bucket: c.bucket,
    prefix: c.prefix,
    scratchDir: env.blobDir,
    maxBytes: env.maxUploadBytes,
    client: { region: c.region, endpoint: c.endpoint, forcePathStyle: c.forcePathStyle },
  });
}
