// Builds a CoreContext from the environment: one Prisma client, one blob store
// and the deployment config. Free of the "server-only" marker so the start-up
// hook can build the embedded worker's own context; request code uses the
// cached one from ./context.
import path from "node:path";
import type { CoreContext } from "@graft/core";
import { createDb } from "@graft/db";
import { LocalBlobStore } from "@graft/storage";
import { getEnv } from "@/env";

export function createCoreContext(): CoreContext {
  const env = getEnv();
  return {
    db: createDb(env.databaseUrl),
    blobs: new LocalBlobStore(env.blobDir, { maxBytes: env.maxUploadBytes }),
    config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models") },
  };
}
