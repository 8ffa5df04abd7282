// The process-wide CoreContext itself, without the "server-only" marker so the
// start-up hook (instrumentation, which Next.js compiles outside the React
// server layer) can reach it too; route code imports it through ./context.
import path from "node:path";
import type { CoreContext } from "@graft/core";
import { createDb } from "@graft/db";
import { LocalBlobStore } from "@graft/storage";
import { getEnv } from "@/env";

const globalForGraft = globalThis as typeof globalThis & { __graftContext?: CoreContext };

export function processContext(): CoreContext {
  if (!globalForGraft.__graftContext) {
    const env = getEnv();
    globalForGraft.__graftContext = {
      db: createDb(env.databaseUrl),
      blobs: new LocalBlobStore(env.blobDir, { maxBytes: env.maxUploadBytes }),
      config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models") },
    };
  }
  return globalForGraft.__graftContext;
}
