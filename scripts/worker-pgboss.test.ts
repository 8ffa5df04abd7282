// Merge jobs on pg-boss: two real `pnpm worker` processes on a throwaway
// PostgreSQL database share a job split into per-shard tasks; the worker
// holding a part is SIGKILLed, pg-boss retries that part on the other worker,
// the job completes with the same archive as a single-process merge, and no
// result is visible before assembly publishes it.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cancelMergeJob, claimNextJob, getMergeJob, grantEntitlement, revokeEntitlement, PgBossQueue, publishVersion, registerFoundation, runClaimedJob, submitMergeJob, type Actor } from "@graft/core";
import { createTestContext, makeTaskVectorFile, makeTeam, makeUser, publishTestVector, registerTinyFoundation, stageFile, type TestContext } from "@graft/core/testing";
import { createSafetensorsWriter } from "@graft/merge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const POSTGRES = process.env.GRAFT_TEST_POSTGRES_URL;
const SHARD_BYTES = 8 << 20;

let t: TestContext;
const workers: ChildProcess[] = [];
let sender: PgBossQueue | null = null;
let owner: Awaited<ReturnType<typeof makeUser>>;
/** The worker left running after the first test. */
let survivor: Worker;

beforeAll(async () => {
  if (POSTGRES) t = await createTestContext();
});
afterAll(async () => {
  for (const w of workers) w.kill("SIGKILL");
  await sender?.stop();
  await t?.cleanup();
});

interface Worker {
  process: ChildProcess;
  id: Promise<string>;
  output: () => string;
}

function startWorker(): Worker {
  let output = "";
  const child = spawn(process.execPath, ["--import", TSX, join(import.meta.dirname, "worker.ts")], {
    env: {
      ...process.env,
      DATABASE_URL: t.databaseUrl,
      GRAFT_QUEUE: "pgboss",
      GRAFT_QUEUE_EXPIRE_SECONDS: "20",
      GRAFT_MERGE_SHARD_BYTES: String(SHARD_BYTES),
      GRAFT_BLOB_DIR: t.blobsDir,
      GRAFT_MODELS_DIR: t.modelsDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  workers.push(child);
  const id = new Promise<string>((resolve) => {
    child.stdout!.on("data", (c) => {
      output += c;
      const m = /graft worker (\S+): running/.exec(output);
      if (m) resolve(m[1]!);
    });
  });
  child.stderr!.on("data", (c) => (output += c));
  return { process: child, id, output: () => output };
}

/** A foundation of `tensors` F32 tensors of `elements` each, and one published task vector per name (fine-tunes of it). */
async function publishBigModels(actor: Actor, opts: { foundation: string; vectors: string[]; paid: string[]; tensors: number; elements: number }): Promise<void> {
  const specs = Array.from({ length: opts.tensors }, (_, i) => ({ name: `model.layers.${i}.mlp.up_proj.weight`, dtype: "F32" as const, shape: [opts.elements / 1024, 1024] }));
  const write = async (path: string, variant: number) => {
    const writer = await createSafetensorsWriter(path, specs, { format: "pt" });
    for (const [i, spec] of specs.entries()) {
      const values = new Float32Array(opts.elements);
      for (let k = 0; k < values.length; k++) values[k] = Math.sin(k * 0.37 + i) * 0.5 + (variant ? Math.sin(k * 0.11 * variant + i) * 0.01 : 0);
      await writer.write(spec.name, new Uint8Array(values.buffer));
    }
    await writer.finish();
    return path;
  };
  const base = await write(join(t.modelsDir, `${opts.foundation}.safetensors`), 0);
  await registerFoundation(t.ctx, actor, {
    teamSlug: "acme",
    slug: opts.foundation,
    name: "Big base",
    architecture: "llama",
    licence: "apache-2.0",
    source: { kind: "path", path: `${opts.foundation}.safetensors` },
  });
  for (const [n, vectorSlug] of [...opts.vectors, ...opts.paid].entries()) {
    const ft = await write(join(t.dir, `ft-${vectorSlug}.safetensors`), n + 1);
    const tv = await makeTaskVectorFile(base, ft, join(t.dir, `tv-${vectorSlug}.safetensors`));
    await publishVersion(t.ctx, actor, {
      teamSlug: "acme",
      foundationSlug: opts.foundation,
      vectorSlug,
      name: vectorSlug,
      task: "classification",
      tags: [],
      summary: "",
      cardMarkdown: "",
      version: "1.0.0",
      changelog: "",
      listing: opts.paid.includes(vectorSlug)
        ? { kind: "paid", priceCents: 500, licence: "commercial", redistribution: false }
        : { kind: "free", licence: "personal", redistribution: false },
      upload: { kind: "task-vector", file: await stageFile(t.ctx, tv) },
    });
  }
}

const RECIPE = `merge_method: ties
base_model: big-base
parameters: { normalize: true }
models:
  - model: acme/one@1.0.0
    parameters: { weight: 0.7, density: 0.6 }
  - model: acme/two@1.0.0
    parameters: { weight: 0.5, density: 0.4 }
`;

describe.skipIf(!POSTGRES)("pnpm worker on pg-boss (needs GRAFT_TEST_POSTGRES_URL: npm test's PostgreSQL pass sets it)", () => {
  it("splits a job into shard tasks over two workers, retries a killed worker's part elsewhere and publishes only the assembled result", async () => {
    owner = await makeUser(t.ctx, "queue-owner");
    await makeTeam(t.ctx, owner.actor, "acme");
    await publishBigModels(owner.actor, { foundation: "big-base", vectors: ["one", "two"], paid: ["three"], tensors: 4, elements: 2 << 20 });

    // The web app's side: it only sends jobs.
    sender = new PgBossQueue(t.ctx, { connectionString: t.databaseUrl, work: false });
    await sender.ready();
    const a = startWorker();
    const b = startWorker();
    const ids = await Promise.all([a.id, b.id]);
    const byId = new Map([[ids[0], a], [ids[1], b]]);

    const job = await submitMergeJob(t.ctx, owner.actor, { yaml: RECIPE });
    sender.notify(job.id);

    // Kill whichever worker is first seen computing a part, while it holds it.
    let victim: { worker: Worker; shard: number } | null = null;
    const deadline = Date.now() + 240_000;
    let publishedEarly = false;
    let lastStatus = "";
    let midway = false;
    while (Date.now() < deadline) {
      const row = await t.ctx.db.mergeJob.findUnique({ where: { id: job.id } });
      lastStatus = `${row!.status} ${row!.error ?? ""}`;
      if (row!.status !== "done" && row!.resultBlobHash) publishedEarly = true;
      // Progress sums the parts: all four tensors, partly done.
      const progress = JSON.parse(row!.progressJson) as { percent?: number; tensorsTotal?: number };
      if (progress.tensorsTotal === 4 && progress.percent! > 0 && progress.percent! < 100) midway = true;
      if (!victim) {
        const running = await t.ctx.db.mergeJobPart.findFirst({ where: { jobId: job.id, status: "running", owner: { in: ids } } });
        if (running) {
          const worker = byId.get(running.owner!)!;
          worker.process.kill("SIGKILL");
          victim = { worker, shard: running.shardIndex };
          // Still held by the dead worker: the kill landed mid-task.
          const after = await t.ctx.db.mergeJobPart.findUnique({ where: { jobId_shardIndex: { jobId: job.id, shardIndex: running.shardIndex } } });
          expect(after).toMatchObject({ status: "running", owner: running.owner });
        }
      }
      if (["done", "failed", "cancelled"].includes(row!.status)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    survivor = victim?.worker === a ? b : a;
    expect(lastStatus, `workers:\n${a.output()}\n${b.output()}`).toBe("done ");
    expect(victim).not.toBeNull();
    expect(publishedEarly).toBe(false);
    expect(midway).toBe(true);

    // pg-boss ran the dead worker's part again (on the survivor: the only worker left) and assembled once.
    const tasksOfJob = () =>
      t.ctx.db.$queryRawUnsafe<{ data: { step: string; shard?: number }; state: string; retry_count: number }[]>(
        `SELECT data, state, retry_count FROM pgboss.job WHERE name = 'graft-merge' AND data->>'jobId' = $1`,
        job.id,
      );
    // The job row is done a moment before pg-boss records its task as completed.
    await expect.poll(async () => (await tasksOfJob()).filter((x) => x.data.step === "assemble").map((x) => x.state), { timeout: 30_000 }).toEqual(["completed"]);
    const tasks = await tasksOfJob();
    const parts = tasks.filter((x) => x.data.step === "part");
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.every((x) => x.state === "completed")).toBe(true);
    expect(parts.find((x) => x.data.shard === victim!.shard)!.retry_count).toBeGreaterThanOrEqual(1);
    expect(survivor.process.exitCode).toBeNull();
    // The parts are gone once the result is published.
    expect(await t.ctx.db.mergeJobPart.count({ where: { jobId: job.id } })).toBe(0);

    const done = await getMergeJob(t.ctx, owner.actor, job.id);
    const shardFiles = done.result!.files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f.path));
    expect(shardFiles.length).toBe(parts.length);
    expect(done.result!.files.map((f) => f.path)).toContain("model.safetensors.index.json");
    expect(done.result!.files.map((f) => f.path)).toContain("README.md");

    // The same recipe merged in one process (the database-lease runner) gives the same archive.
    const single = await submitMergeJob(t.ctx, owner.actor, { yaml: RECIPE });
    const claimed = await claimNextJob(t.ctx, { workerId: "single" });
    expect(claimed).toBe(single.id);
    await runClaimedJob(t.ctx, single.id, { workerId: "single", maxShardBytes: SHARD_BYTES });
    const reference = await getMergeJob(t.ctx, owner.actor, single.id);
    expect(reference.status).toBe("done");
    expect(done.result!.sha256).toBe(reference.result!.sha256);
    const bytes = async (id: string) => readFile(await t.ctx.blobs.localPath((await t.ctx.db.mergeJob.findUnique({ where: { id } }))!.resultBlobHash!));
    expect((await bytes(job.id)).equals(await bytes(single.id))).toBe(true);
  }, 300_000);

  it("cancels a job while its parts run: no result, no parts left", async () => {
    const job = await submitMergeJob(t.ctx, owner.actor, { yaml: RECIPE.replace("weight: 0.7", "weight: 0.6") });
    sender!.notify(job.id);
    await expect.poll(() => t.ctx.db.mergeJobPart.count({ where: { jobId: job.id, status: "running" } }), { timeout: 120_000, interval: 20 }).toBeGreaterThan(0);
    await cancelMergeJob(t.ctx, owner.actor, job.id);
    let status = "";
    try {
      await expect.poll(async () => (status = (await getMergeJob(t.ctx, owner.actor, job.id)).status), { timeout: 120_000, interval: 100 }).toBe("cancelled");
    } catch (e) {
      throw new Error(`${(e as Error).message}; job ${status}; worker output: ${survivor.output()}`);
    }
    const row = await t.ctx.db.mergeJob.findUnique({ where: { id: job.id } });
    expect(row!.resultBlobHash).toBeNull();
    expect(row!.error).toBe("cancelled while running");
    expect(await t.ctx.db.mergeJobPart.count({ where: { jobId: job.id } })).toBe(0);
    expect(survivor.process.exitCode).toBeNull();
  }, 200_000);

  it("re-checks entitlements in every task: revoked while the parts run, the job fails with the reason", async () => {
    const buyer = await makeUser(t.ctx, "queue-buyer");
    const vector = await t.ctx.db.taskVector.findFirstOrThrow({ where: { slug: "three" } });
    const ent = await grantEntitlement(t.ctx, owner.actor, { vectorId: vector.id, userEmail: buyer.email });
    const yaml = "merge_method: task_arithmetic\nbase_model: big-base\nmodels:\n  - model: acme/three@1.0.0\n    parameters: { weight: 0.5 }\n";
    const job = await submitMergeJob(t.ctx, buyer.actor, { yaml });
    sender!.notify(job.id);
    await expect.poll(() => t.ctx.db.mergeJobPart.count({ where: { jobId: job.id, status: "running" } }), { timeout: 120_000, interval: 20 }).toBeGreaterThan(0);
    await revokeEntitlement(t.ctx, owner.actor, ent.id);
    await expect.poll(async () => (await getMergeJob(t.ctx, buyer.actor, job.id)).status, { timeout: 120_000, interval: 100 }).toBe("failed");
    const failed = await getMergeJob(t.ctx, buyer.actor, job.id);
    expect(failed.error).toMatch(/entitlement check before running: acme\/three@1.0.0 is not in your library/);
    expect(failed.result).toBeNull();
    expect(await t.ctx.db.mergeJobPart.count({ where: { jobId: job.id } })).toBe(0);
  }, 200_000);

  it("runs a single-shard job as one task, with the same archive as the single-process runner", async () => {
    await registerTinyFoundation(t, owner.actor, "acme");
    await publishTestVector(t, owner.actor, { vectorSlug: "tiny" });
    const yaml = "merge_method: ties\nbase_model: tiny-base\nmodels:\n  - model: acme/tiny@1.0.0\n    parameters: { weight: 0.5, density: 0.5 }\n";
    const job = await submitMergeJob(t.ctx, owner.actor, { yaml });
    sender!.notify(job.id);
    await expect.poll(async () => (await getMergeJob(t.ctx, owner.actor, job.id)).status, { timeout: 120_000, interval: 100 }).toBe("done");
    const steps = await t.ctx.db.$queryRawUnsafe<{ step: string }[]>(`SELECT data->>'step' AS step FROM pgboss.job WHERE name = 'graft-merge' AND data->>'jobId' = $1`, job.id);
    expect(steps.map((x) => x.step)).toEqual(["start"]);
    const single = await submitMergeJob(t.ctx, owner.actor, { yaml });
    expect(await claimNextJob(t.ctx, { workerId: "single" })).toBe(single.id);
    await runClaimedJob(t.ctx, single.id, { workerId: "single", maxShardBytes: SHARD_BYTES });
    const [a, b] = await Promise.all([getMergeJob(t.ctx, owner.actor, job.id), getMergeJob(t.ctx, owner.actor, single.id)]);
    expect(a.result!.files.map((f) => f.path)).toContain("model.safetensors");
    expect(a.result!.sha256).toBe(b.result!.sha256);
  }, 200_000);
});
