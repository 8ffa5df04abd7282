// Every environment variable the web app reads, validated once with zod.
// A bad value stops start-up with one clear line per problem; defaults keep
// a fresh checkout runnable (`pnpm --filter @graft/web dev`) with no .env.
import { existsSync } from "node:fs";
import path from "node:path";
import type { BlobStoreConfig } from "@graft/storage";
import { z } from "zod";

const GIB = 1024 ** 3;
const DEV_SECRET = "graft-dev-secret-do-not-use-in-production";

/** The pnpm workspace root (where data/ and .env live), found from the working directory. */
export function findRepoRoot(start = process.cwd()): string {
  let dir = path.resolve(start);
  while (!existsSync(path.join(dir, "pnpm-workspace.yaml"))) {
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
  return dir;
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: z
    .string()
    .trim()
    .refine((v) => /^(file|libsql|postgres|postgresql):/.test(v), "must be a file: or libsql: (SQLite) or postgresql: URL")
    .optional(),
  GRAFT_DATA_DIR: optionalString,
  GRAFT_BLOB_DIR: optionalString,
  GRAFT_MODELS_DIR: optionalString,
  GRAFT_MAX_UPLOAD_BYTES: z.coerce
    .number({ error: "must be a number of bytes" })
    .int("must be a whole number of bytes")
    .positive("must be positive")
    .default(2 * GIB),
  NEXTAUTH_SECRET: optionalString.refine((v) => v === undefined || v.length >= 16, "must be at least 16 characters"),
  NEXTAUTH_URL: optionalString.refine((v) => v === undefined || URL.canParse(v), "must be an absolute URL"),
  GITHUB_ID: optionalString,
  GITHUB_SECRET: optionalString,
  GRAFT_AUTO_MIGRATE: z.enum(["0", "1", "true", "false", ""], { error: "must be 1/true or 0/false" }).optional(),
  GRAFT_RATE_LIMITS: optionalString,
  GRAFT_UPLOAD_IDLE_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).positive("must be positive").default(60),
  GRAFT_TRUSTED_PROXIES: z.coerce.number({ error: "must be a number" }).int().min(0).max(10).default(0),
  GRAFT_BLOB_STORE: z.enum(["local", "s3"], { error: "must be local or s3" }).default("local"),
  GRAFT_QUEUE: z.enum(["db", "pgboss"], { error: "must be db or pgboss" }).default("db"),
  GRAFT_QUEUE_EXPIRE_SECONDS: z.coerce.number({ error: "must be a number" }).int().min(1).default(3600),
  GRAFT_MERGE_SHARD_BYTES: z.coerce.number({ error: "must be a number" }).int().min(1).default(2_000_000_000),
  GRAFT_S3_BUCKET: optionalString,
  GRAFT_S3_PREFIX: optionalString,
  GRAFT_S3_ENDPOINT: optionalString.refine((v) => v === undefined || URL.canParse(v), "must be an absolute URL"),
  GRAFT_S3_REGION: optionalString,
  GRAFT_S3_FORCE_PATH_STYLE: z.enum(["0", "1", "true", "false", ""], { error: "must be 1/true or 0/false" }).optional(),
  GRAFT_DEPLOYMENT: z.enum(["production", "local", ""], { error: "must be production or local" }).optional(),
  STRIPE_SECRET_KEY: optionalString.refine((v) => v === undefined || /^(sk|rk)_(test|live)_/.test(v), "must be a Stripe secret key (sk_test_…, sk_live_…)"),
  STRIPE_WEBHOOK_SECRET: optionalString.refine((v) => v === undefined || v.startsWith("whsec_"), "must be a webhook signing secret (whsec_…)"),
  PLATFORM_FEE_PERCENT: z.coerce.number({ error: "must be a number" }).min(0, "must be 0–100").max(100, "must be 0–100").default(10),
  STRIPE_API_HOST: optionalString,
  STRIPE_API_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).optional().or(z.literal("").transform(() => undefined)),
  STRIPE_API_PROTOCOL: z.enum(["http", "https", ""], { error: "must be http or https" }).optional(),
});

/** How paid listings are sold: Stripe with keys; without, test payments outside production and none in production. */
export interface PaymentsEnv {
  mode: "stripe" | "test" | "disabled";
  secretKey: string | undefined;
  webhookSecret: string | undefined;
  platformFeePercent: number;
  /** Where the Stripe client sends requests instead of api.stripe.com (a local fake in tests). */
  apiOverride: { host: string; port?: number; protocol: "http" | "https" } | null;
}


export type RateLimitKind = "signIn" | "signUp" | "token" | "upload";
export type RateLimits = Record<RateLimitKind, { points: number; seconds: number } | null>;

/** Per replica: 10 sign-in attempts per email (and per address) in 15 min, 20 sign-ups per address an hour, 1200 requests per token a minute, 120 uploads per user an hour. */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  signIn: { points: 10, seconds: 900 },
  signUp: { points: 20, seconds: 3600 },
  token: { points: 1200, seconds: 60 },
  upload: { points: 120, seconds: 3600 },
};

/** GRAFT_RATE_LIMITS: "off", or overrides such as "signIn=5/60,upload=off". */
function parseRateLimits(raw: string | undefined, problems: string[]): RateLimits {
  const limits = { ...DEFAULT_RATE_LIMITS };
  if (raw === undefined) return limits;
  if (raw === "off") return { signIn: null, signUp: null, token: null, upload: null };
  for (const part of raw.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^(signIn|signUp|token|upload)=(?:(off)|(\d+)\/(\d+))$/.exec(part);
    if (!m) {
      problems.push(`GRAFT_RATE_LIMITS: "${part}" is not KIND=POINTS/SECONDS or KIND=off (kinds: signIn, signUp, token, upload)`);
      continue;
    }
    limits[m[1] as RateLimitKind] = m[2] ? null : { points: Number(m[3]), seconds: Number(m[4]) };
  }
  return limits;
}

export interface Env {
  nodeEnv: "development" | "production" | "test";
  repoRoot: string;
  databaseUrl: string;
  dataDir: string;
  blobDir: string;
  modelsDir: string | undefined;
  maxUploadBytes: number;
  nextAuthSecret: string;
  nextAuthUrl: string | undefined;
  github: { clientId: string; clientSecret: string } | null;
  /** Apply pending prisma/migrations when the server starts (default on). */
  autoMigrate: boolean;
  rateLimits: RateLimits;
  /** An upload that sends nothing for this long is cut off (408). */
  uploadIdleMs: number;
  /** Proxies in front of the app whose X-Forwarded-For entries are trusted. */
  trustedProxies: number;
  /** Committed blobs: local disk under blobDir, or S3 (blobDir is then the staging area and read cache). */
  blobStore: BlobStoreConfig;
  /** "production" unless GRAFT_DEPLOYMENT=local (or NODE_ENV is not production): test payments only off production. */
  deployment: "production" | "local";
  payments: PaymentsEnv;
  /** Merge jobs: database leases (embedded or `pnpm worker`), or pg-boss on PostgreSQL with per-shard tasks. */
  queue: { kind: "db" | "pgboss"; expireInSeconds: number; maxShardBytes: number };
}

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Pure parser (exported for tests): environment record in, typed config or EnvError out. */
export function parseEnv(source: Record<string, string | undefined>, repoRoot = findRepoRoot()): { env: Env; warnings: string[] } {
  const result = schema.safeParse(source);
  const problems: string[] = result.success
    ? []
    : result.error.issues.map((i) => {
        const name = i.path.join(".") || "environment";
        const value = source[name];
        const shown = value === undefined ? "" : name.includes("SECRET") ? " (value hidden)" : ` (got ${JSON.stringify(value)})`;
        return `${name}: ${i.message}${shown}`;
      });
  const production = source.NODE_ENV === "production";
  if (production && !source.NEXTAUTH_SECRET?.trim()) {
    problems.push("NEXTAUTH_SECRET: required in production (generate one with `openssl rand -base64 32`)");
  }
  if (result.success && result.data.GRAFT_BLOB_STORE === "s3" && !result.data.GRAFT_S3_BUCKET) {
    problems.push("GRAFT_S3_BUCKET: required when GRAFT_BLOB_STORE=s3");
  }
  const rateLimits = parseRateLimits(result.success ? result.data.GRAFT_RATE_LIMITS : undefined, problems);
  if (source.STRIPE_SECRET_KEY?.trim() && !source.STRIPE_WEBHOOK_SECRET?.trim()) {
    problems.push("STRIPE_WEBHOOK_SECRET: required with STRIPE_SECRET_KEY (the webhook endpoint's signing secret, whsec_…)");
  }
  if (result.success && result.data.GRAFT_QUEUE === "pgboss" && !/^postgres(ql)?:/.test(result.data.DATABASE_URL ?? "")) {
    problems.push("GRAFT_QUEUE: pgboss needs a PostgreSQL DATABASE_URL (postgresql://…)");
  }
  if (!result.success || problems.length) throw new EnvError(problems);
  const v = result.data;
  const warnings: string[] = [];
  const secret = v.NEXTAUTH_SECRET ?? DEV_SECRET;
  if (!v.NEXTAUTH_SECRET) warnings.push("NEXTAUTH_SECRET is not set; using an insecure development secret");
  if ((v.GITHUB_ID === undefined) !== (v.GITHUB_SECRET === undefined)) {
    warnings.push("GITHUB_ID and GITHUB_SECRET must both be set to enable GitHub sign-in; it stays off");
  }

  const deployment = v.GRAFT_DEPLOYMENT || (v.NODE_ENV === "production" ? "production" : "local");
  const paymentsMode = v.STRIPE_SECRET_KEY ? "stripe" : deployment === "production" ? "disabled" : "test";
  if (paymentsMode === "test") warnings.push("no STRIPE_SECRET_KEY: paid listings use local test payments (no money moves)");
  if (v.STRIPE_API_HOST) warnings.push(`Stripe API requests go to ${v.STRIPE_API_HOST}, not api.stripe.com (STRIPE_API_HOST is for tests)`);

  const dataDir = path.resolve(repoRoot, v.GRAFT_DATA_DIR ?? "data");
  return {
    warnings,
    env: {
      nodeEnv: v.NODE_ENV,
      repoRoot,
      databaseUrl: v.DATABASE_URL ?? `file:${path.join(dataDir, "graft.db")}`,
      dataDir,
      blobDir: path.resolve(repoRoot, v.GRAFT_BLOB_DIR ?? path.join(dataDir, "blobs")),
      modelsDir: v.GRAFT_MODELS_DIR ? path.resolve(repoRoot, v.GRAFT_MODELS_DIR) : undefined,
      maxUploadBytes: v.GRAFT_MAX_UPLOAD_BYTES,
      nextAuthSecret: secret,
      nextAuthUrl: v.NEXTAUTH_URL,
      github: v.GITHUB_ID && v.GITHUB_SECRET ? { clientId: v.GITHUB_ID, clientSecret: v.GITHUB_SECRET } : null,
      autoMigrate: v.GRAFT_AUTO_MIGRATE !== "0" && v.GRAFT_AUTO_MIGRATE !== "false",
      rateLimits,
      uploadIdleMs: v.GRAFT_UPLOAD_IDLE_SECONDS * 1000,
      trustedProxies: v.GRAFT_TRUSTED_PROXIES,
      queue: { kind: v.GRAFT_QUEUE, expireInSeconds: v.GRAFT_QUEUE_EXPIRE_SECONDS, maxShardBytes: v.GRAFT_MERGE_SHARD_BYTES },
      blobStore:
        v.GRAFT_BLOB_STORE === "s3"
          ? {
              kind: "s3",
              bucket: v.GRAFT_S3_BUCKET!,
              prefix: v.GRAFT_S3_PREFIX ?? "",
              endpoint: v.GRAFT_S3_ENDPOINT,
              region: v.GRAFT_S3_REGION ?? "us-east-1",
              forcePathStyle: v.GRAFT_S3_FORCE_PATH_STYLE === "1" || v.GRAFT_S3_FORCE_PATH_STYLE === "true",
            }
          : { kind: "local" },
      deployment,
      payments: {
        mode: paymentsMode,
        secretKey: v.STRIPE_SECRET_KEY,
        webhookSecret: v.STRIPE_WEBHOOK_SECRET,
        platformFeePercent: v.PLATFORM_FEE_PERCENT,
        apiOverride: v.STRIPE_API_HOST ? { host: v.STRIPE_API_HOST, port: v.STRIPE_API_PORT, protocol: v.STRIPE_API_PROTOCOL || "https" } : null,
      },
    },
  };
}

// Route bundles each get their own copy of this module; keep one parse (and one warning) per process.
const globalForEnv = globalThis as typeof globalThis & { __graftEnv?: Env };

/**
 * The validated environment, parsed on first use (not at import time, so
 * `next build` can load route modules without a production secret).
 * instrumentation.ts calls it when the server starts, so mistakes surface then.
 */
export function getEnv(): Env {
  if (!globalForEnv.__graftEnv) {
    const { env, warnings } = parseEnv(process.env);
    for (const w of warnings) console.warn(`[graft] ${w}`);
    globalForEnv.__graftEnv = env;
  }
  return globalForEnv.__graftEnv;
}
