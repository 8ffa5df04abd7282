// Builds a CoreContext from the environment: one Prisma client, one blob store
// (local disk or S3) and the deployment config (models folder, payments).
// Free of the "server-only" marker so the start-up hook can build the embedded
// worker's own context; request code uses the cached one from ./context.
import path from "node:path";
import type { CoreContext, PaymentsConfig } from "@graft/core";
import { createDb } from "@graft/db";
import { createBlobStore } from "@graft/storage";
import Stripe from "stripe";
import { getEnv, type Env } from "@/env";

export function createCoreContext(): CoreContext {
  const env = getEnv();
  return {
    db: createDb(env.databaseUrl),
    blobs: createBlobStore(env.blobStore, { dir: env.blobDir, maxBytes: env.maxUploadBytes }),
    config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models"), payments: paymentsConfig(env) },
  };
}

/** The payments setup handed to core: a Stripe client when keys are set. */
function paymentsConfig(env: Env): PaymentsConfig {
  const p = env.payments;
  const stripe = p.secretKey ? new Stripe(p.secretKey, { ...(p.apiOverride ?? {}), maxNetworkRetries: 2, appInfo: { name: "graft" } }) : undefined;
  return {
    mode: p.mode,
    stripe,
    webhookSecret: p.webhookSecret,
    platformFeePercent: p.platformFeePercent,
    publicUrl: (env.nextAuthUrl ?? `http://localhost:${process.env.PORT ?? 3000}`).replace(/\/$/, ""),
  };
}
