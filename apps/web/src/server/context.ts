// The process-wide service context handed to every core call: one Prisma
// client, one blob store and the deployment config. Kept on globalThis so
// dev-mode hot reloads reuse it instead of opening a new database connection
// per edit.
import "server-only";
import path from "node:path";
import type { CoreContext, PaymentsConfig } from "@graft/core";
import { createDb } from "@graft/db";
import { createBlobStore } from "@graft/storage";
import Stripe from "stripe";
import { getEnv, type Env } from "@/env";

const globalForGraft = globalThis as typeof globalThis & { __graftContext?: CoreContext };

export function getContext(): CoreContext {
  if (!globalForGraft.__graftContext) {
    const env = getEnv();
    globalForGraft.__graftContext = {
      db: createDb(env.databaseUrl),
      blobs: createBlobStore(env.blobStore, { dir: env.blobDir, maxBytes: env.maxUploadBytes }),
      config: { modelsDir: env.modelsDir ?? path.join(env.dataDir, "models"), payments: paymentsConfig(env) },
    };
  }
  return globalForGraft.__graftContext;
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
