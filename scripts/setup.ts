/**
 * `pnpm setup`: prepares the embedded defaults — data directory, SQLite
 * schema (migrations), local blob store — and seeds the demo marketplace
 * the first time. Safe to run again: migrations apply once, the seed skips
 * what exists.
 */
import { mkdirSync } from "node:fs";
import { createDb, migrateDatabase } from "@graft/db";
import { LocalBlobStore } from "@graft/storage";
import { seedDemo } from "./demo/seed";
import { scriptEnv } from "./env";

mkdirSync(scriptEnv.dataDir, { recursive: true });
mkdirSync(scriptEnv.modelsDir, { recursive: true });
const { applied } = await migrateDatabase(scriptEnv.databaseUrl);
console.log(`database ${scriptEnv.databaseUrl}: ${applied.length ? `applied ${applied.join(", ")}` : "up to date"}`);

const db = createDb(scriptEnv.databaseUrl);
try {
  const ctx = { db, blobs: new LocalBlobStore(scriptEnv.blobDir), config: { modelsDir: scriptEnv.modelsDir } };
  const report = await seedDemo(ctx, scriptEnv.modelsDir);
  console.log(report);
} finally {
  await db.$disconnect();
}
