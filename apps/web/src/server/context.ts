// The process-wide service context handed to every core call: one Prisma
// client, one blob store and the deployment config. Kept on globalThis so
// dev-mode hot reloads reuse it instead of opening a new database connection
// per edit.
import "server-only";
import path from "node:path";
import type { CoreContext } from "@graft/core";
import { createDb } from "@graft/db";
import { createBlobStore } from "@graft/storage";
import { getEnv } from "@/env";

const globalForGraft = globalThis as typeof globalThis & { __graftContext?: CoreContext };

export function getContext(): CoreContext {
  if (!globalForGraft.__graftContext) {
    const env = getEnv();
    globalForGraft.__graftContext = {
      db: createDb(env.databaseUrl),
      blobs: createBlobStore(env.blobStore, { dir: env.blobDir, maxBytes: env.maxUploadBytes }),
      config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models") },
    };
  }
  return globalForGraft.__graftContext;
}

