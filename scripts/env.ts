/**
 * Configuration for the repo's scripts (setup, seed, worker): the same
 * variables and defaults as the web app (see .env.example), read from the
 * environment and the repo's .env.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..");
if (existsSync(join(repoRoot, ".env"))) process.loadEnvFile(join(repoRoot, ".env"));

const dataDir = resolve(repoRoot, process.env.GRAFT_DATA_DIR || "data");

export const scriptEnv = {
  dataDir,
  databaseUrl: process.env.DATABASE_URL || `file:${join(dataDir, "graft.db")}`,
  blobDir: resolve(repoRoot, process.env.GRAFT_BLOB_DIR || join(dataDir, "blobs")),
  modelsDir: resolve(repoRoot, process.env.GRAFT_MODELS_DIR || join(dataDir, "models")),
};
