// The web app with GRAFT_QUEUE=pgboss (PostgreSQL only, so this file runs in
// npm test's PostgreSQL pass): a job submitted over HTTP is only sent to
// pg-boss by the web process, a separate `pnpm worker` runs its per-shard
// parts and the assembly, and the archive downloaded over HTTP holds the
// sharded weights with their index.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../build";
import { startServer, type TestServer } from "../server";
import { writeFixtures, type FixtureSet } from "../fixtures";
import { equipRecipe, setUpEquipWorld, type EquipWorld } from "../equip-setup";

const POSTGRES = process.env.GRAFT_TEST_POSTGRES_URL;
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const exec = promisify(execFile);
const SHARD_BYTES = "200";

describe.skipIf(!POSTGRES)("merge jobs on pg-boss, submitted over HTTP (needs GRAFT_TEST_POSTGRES_URL)", () => {
  let server: TestServer;
  let worker: ChildProcess;
  let workerLog = "";
  let dir: string;
  let fx: FixtureSet;
  let w: EquipWorld;

  beforeAll(async () => {
    const queueEnv = { GRAFT_QUEUE: "pgboss", GRAFT_MERGE_SHARD_BYTES: SHARD_BYTES, GRAFT_QUEUE_EXPIRE_SECONDS: "60" };
    server = await startServer({ env: queueEnv });
    worker = spawn(process.execPath, ["--import", TSX, path.join(REPO_ROOT, "scripts", "worker.ts")], {
      env: { ...process.env, ...queueEnv, DATABASE_URL: server.databaseUrl, GRAFT_BLOB_DIR: server.blobDir, GRAFT_MODELS_DIR: server.modelsDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout!.on("data", (c) => (workerLog += c));
    worker.stderr!.on("data", (c) => (workerLog += c));
    dir = await mkdtemp(path.join(tmpdir(), "graft-pgboss-web-"));
    fx = await writeFixtures(dir);
    w = await setUpEquipWorld(server.baseUrl, fx);
  }, 900_000);

  afterAll(async () => {
    worker?.kill("SIGKILL");
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("runs the job on the worker process and serves the sharded result", async () => {
    const recipe = equipRecipe(w.foundation, "task_arithmetic", [[w.free, 0.7]]);
    const submitted = await w.owner.post("/api/v1/jobs", { yaml: recipe });
    expect(submitted.status, JSON.stringify(submitted.body)).toBe(201);
    const id = submitted.body.job.id as string;

    let job: { status: string; error?: string | null } = { status: "queued" };
    const deadline = Date.now() + 120_000;
    while (!["done", "failed", "cancelled"].includes(job.status)) {
      if (Date.now() > deadline) throw new Error(`job still ${job.status}; worker said:\n${workerLog}`);
      await new Promise((r) => setTimeout(r, 500));
      job = (await w.owner.get(`/api/v1/jobs/${id}`)).body.job;
    }
    expect(job.status, `${job.error}\n${workerLog}`).toBe("done");

    const res = await w.owner.raw(`/api/v1/jobs/${id}/download`);
    expect(res.status).toBe(200);
    const archive = path.join(dir, "result.tar");
    await writeFile(archive, Buffer.from(await res.arrayBuffer()));
    const into = path.join(dir, "unpacked");
    await mkdir(into);
    await exec("tar", ["-xf", archive, "-C", into]);
    const [root] = await readdir(into);
    const files = await readdir(path.join(into, root!));
    expect(files).toContain("model.safetensors.index.json");
    expect(files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f)).length).toBeGreaterThan(1);
    expect(files).toContain("README.md");
  });
});
