/**
 * `pnpm setup`: prepares the embedded defaults — data directory, SQLite
 * schema (migrations), local blob store — and seeds the demo marketplace
 * the first time. Safe to run again: migrations apply once, the seed skips
 * what exists.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDb, migrateDatabase } from "@graft/db";
import { seedDemo } from "./demo/seed";
import { demoModels } from "./demo/train";
import { repoRoot, scriptEnv } from "./env";

// Sessions are signed with NEXTAUTH_SECRET, which production mode requires:
// a fresh .env gets its own random secret, never a shared default.
const envFile = join(repoRoot, ".env");
if (existsSync(envFile)) {
  const text = readFileSync(envFile, "utf8");
  if (/^NEXTAUTH_SECRET=(""|)[ \t]*$/m.test(text)) {
    writeFileSync(envFile, text.replace(/^NEXTAUTH_SECRET=.*$/m, `NEXTAUTH_SECRET="${randomBytes(32).toString("base64")}"`));
    console.log("generated NEXTAUTH_SECRET in .env");
  }
}

mkdirSync(scriptEnv.dataDir, { recursive: true });
mkdirSync(scriptEnv.modelsDir, { recursive: true });
const { applied } = await migrateDatabase(scriptEnv.databaseUrl);
console.log(`database ${scriptEnv.databaseUrl}: ${applied.length ? `applied ${applied.join(", ")}` : "up to date"}`);

const db = createDb(scriptEnv.databaseUrl);
try {
  const ctx = { db, blobs: scriptEnv.createBlobStore(), config: { modelsDir: scriptEnv.modelsDir } };
  const report = await seedDemo(ctx, scriptEnv.modelsDir, () => demoModels());
  console.log(report);
} finally {
  await db.$disconnect();
}
