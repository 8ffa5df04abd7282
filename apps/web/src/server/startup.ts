// Runs once when the server starts: validates the environment (a bad setting
// stops start-up with a clear list of problems instead of failing on the
// first request) and brings the SQLite database up to date with
// prisma/migrations (idempotent; set GRAFT_AUTO_MIGRATE=0 to manage it yourself).
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { dialectOf, migrateDatabase } from "@graft/db";
import { EnvError, getEnv, type Env } from "@/env";

export async function startup(): Promise<void> {
  let env: Env;
  try {
    env = getEnv();
  } catch (e) {
    if (e instanceof EnvError) {
      console.error(`[graft] ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  if (env.autoMigrate) await migrate(env);
  // Merge jobs run in this process unless GRAFT_EMBEDDED_WORKER=0 (then `pnpm worker` runs them).
  const { startEmbeddedWorker } = await import("./jobs");
  try {
    startEmbeddedWorker();
  } catch (e) {
    console.error(`[graft] ${(e as Error).message}`);
    process.exit(1);
  }
}

async function migrate(env: Env): Promise<void> {
  if (env.databaseUrl.startsWith("file:")) await mkdir(path.dirname(env.databaseUrl.slice("file:".length)), { recursive: true });
  const migrationsDir = path.join(env.repoRoot, "prisma", dialectOf(env.databaseUrl) === "sqlite" ? "migrations" : "migrations-postgres");
  const result = await migrateDatabase(env.databaseUrl, { migrationsDir });
  if (result.applied.length) console.log(`[graft] applied migrations: ${result.applied.join(", ")}`);
}
