// Starts the real production server (`next start`) for HTTP and browser
// tests: built once per source change (see build.ts), then run on a free port
// against a fresh, migrated SQLite database and blob folder in a temp dir.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrateDatabase } from "@graft/db";
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
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for the server, e.g. { GRAFT_MAX_UPLOAD_BYTES: "65536" }. */
  env?: Record<string, string>;
  /** Point the server's Stripe client at a loopback fake (keys, webhook secret and API host/port). */
  stripe?: { secretKey: string; webhookSecret: string; port: number };
  /** How long to wait for the server to answer (ms). */
  readyTimeoutMs?: number;
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
  const dir = await mkdtemp(path.join(tmpdir(), "graft-web-"));
  const databaseUrl = `file:${path.join(dir, "graft.db")}`;
  const blobDir = path.join(dir, "blobs");
  const modelsDir = path.join(dir, "models");
  await mkdir(modelsDir, { recursive: true });
  await migrateDatabase(databaseUrl);

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
    await rm(dir, { recursive: true, force: true });
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

  return { baseUrl, dir, databaseUrl, blobDir, modelsDir, logs: () => log, stop };
}
