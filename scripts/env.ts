/**
 * Configuration for the repo's scripts (setup, seed, worker, gc): the web
 * app's own parser (apps/web/src/env.ts), so scripts read exactly the same
 * variables and defaults from the environment and the repo's .env. A bad
 * value ends the script with one line per problem.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BlobStore } from "@graft/storage";
import { createBlobStore } from "@graft/storage";
import { EnvError, parseEnv, type Env } from "../apps/web/src/env";

export const repoRoot = resolve(import.meta.dirname, "..");
if (existsSync(join(repoRoot, ".env"))) process.loadEnvFile(join(repoRoot, ".env"));

function load(): Env {
  try {
    return parseEnv(process.env, repoRoot).env;
  } catch (e) {
    if (!(e instanceof EnvError)) throw e;
    for (const p of e.problems) console.error(`graft: ${p}`);
    process.exit(2);
  }
}

const env = load();

export const scriptEnv = {
  ...env,
  modelsDir: env.modelsDir ?? join(env.dataDir, "models"),
  /** The configured blob store (local disk or S3). */
  createBlobStore(): BlobStore {
    return createBlobStore(env.blobStore, { dir: env.blobDir, maxBytes: env.maxUploadBytes });
  },
};
