// Starts the real production server (`next start`) for HTTP and browser
// tests: built once per source change (see build.ts), then run on a free port
// against a fresh, migrated database (SQLite, or PostgreSQL when
// GRAFT_TEST_POSTGRES_URL is set: see @graft/db createTestDb) and a blob
// folder in a temp dir.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDb } from "@graft/db";
import { ensureBuilt, nextBin, WEB_DIR } from "./build";

export interface TestServer {
  baseUrl: string;
  /** Temp folder holding the database, blobs and models dir; deleted by stop(). */
  dir: string;
  databaseUrl: string;
  blobDir: string;
  /** GRAFT_MODELS_DIR: foundations registered by server path must live here. */
  modelsDir: string;
  /** Everything the server printed so far (for assertion messages). */
  logs(): string;
  /** Stops the server (SIGTERM) and deletes its data, unless the data belongs to the server it was started after. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would, keeping the data for a restart with `after`. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for the server, e.g. { GRAFT_MAX_UPLOAD_BYTES: "65536" }. */
  env?: Record<string, string>;
  /** Point the server's Stripe client at a loopback fake (keys, webhook secret and API host/port). */
  stripe?: { secretKey: string; webhookSecret: string; port: number };
  /** How long to wait for the server to answer (ms). */
  readyTimeoutMs?: number;
  /** Restart on the data (database, blobs, models) of a server that was killed or is still running. */
  after?: TestServer;
  /** Blob folder to use instead of one in the temp dir (e.g. a small filesystem). */
  blobDir?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  await ensureBuilt();
  const owned = !opts.after;
  const dir = opts.after?.dir ?? (await mkdtemp(path.join(tmpdir(), "graft-web-")));
  const database = owned ? await createTestDb() : null;
  await database?.db.$disconnect();
  const databaseUrl = opts.after?.databaseUrl ?? database!.url;
  const blobDir = opts.blobDir ?? opts.after?.blobDir ?? path.join(dir, "blobs");
  const modelsDir = opts.after?.modelsDir ?? path.join(dir, "models");
  await mkdir(modelsDir, { recursive: true });

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let log = "";
  const child = spawn(process.execPath, [nextBin(), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      DATABASE_URL: databaseUrl,
      GRAFT_DATA_DIR: dir,
      GRAFT_BLOB_DIR: blobDir,
      GRAFT_MODELS_DIR: modelsDir,
      NEXTAUTH_URL: baseUrl,
      NEXTAUTH_SECRET: "graft-test-secret-0123456789abcdef",
      GITHUB_ID: "",
      GITHUB_SECRET: "",
      // Suites create many users from one address; the hardening suite sets real limits.
      GRAFT_RATE_LIMITS: "off",
      // Production rules by default (no test payments); a developer's .env keys never leak in.
      GRAFT_DEPLOYMENT: "production",
      STRIPE_SECRET_KEY: opts.stripe?.secretKey ?? "",
      STRIPE_WEBHOOK_SECRET: opts.stripe?.webhookSecret ?? "",
      ...(opts.stripe ? { STRIPE_API_HOST: "127.0.0.1", STRIPE_API_PORT: String(opts.stripe.port), STRIPE_API_PROTOCOL: "http" } : {}),
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-100_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited(child);
      clearTimeout(timer);
    }
    if (!owned) return;
    await database!.cleanup();
    await rm(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`next start exited with code ${child.exitCode}:\n${log}`);
    }
    try {
      const res = await fetch(`${baseUrl}/api/v1/openapi.json`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not answer within the timeout:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return { baseUrl, dir, databaseUrl, blobDir, modelsDir, logs: () => log, stop, kill };
}
