// `pnpm worker` as a separate process: it claims a job queued in the database
// and runs it with the same code as the web app's embedded worker.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { getMergeJob, submitMergeJob } from "@graft/core";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "@graft/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
let t: TestContext;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  t = await createTestContext();
});
afterAll(async () => {
  worker?.kill("SIGKILL");
  await t.cleanup();
});

describe("pnpm worker", () => {
  it("runs a queued job to done and stops cleanly on SIGTERM", async () => {
    const owner = await makeUser(t.ctx, "worker-owner");
    await makeTeam(t.ctx, owner.actor, "acme");
    await registerTinyFoundation(t, owner.actor, "acme");
    await publishTestVector(t, owner.actor, { vectorSlug: "one" });
    const job = await submitMergeJob(t.ctx, owner.actor, {
      yaml: "merge_method: task_arithmetic\nbase_model: tiny-base\nmodels:\n  - model: acme/one@1.0.0\n    parameters: { weight: 0.5 }\n",
    });
    let output = "";
    worker = spawn(process.execPath, ["--import", TSX, join(import.meta.dirname, "worker.ts")], {
      env: { ...process.env, DATABASE_URL: t.databaseUrl, GRAFT_BLOB_DIR: t.blobsDir, GRAFT_MODELS_DIR: t.modelsDir, GRAFT_WORKER_CONCURRENCY: "2" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout!.on("data", (c) => (output += c));
    worker.stderr!.on("data", (c) => (output += c));
    // Generous: the worker process compiles its TypeScript on start, slow on a loaded machine.
    let last = "";
    const status = async () => {
      const j = await getMergeJob(t.ctx, owner.actor, job.id);
      last = JSON.stringify({ status: j.status, error: j.error, attempts: j.attempts });
      return j.status;
    };
    try {
      await expect.poll(status, { timeout: 120_000, interval: 250 }).toBe("done");
    } catch (e) {
      throw new Error(`${(e as Error).message}; job ${last}; worker output: ${output}`);
    }
    expect(output).toMatch(/running up to 2 merge job\(s\) at once/);
    const exited = new Promise<number | null>((resolve) => worker!.on("exit", (code) => resolve(code)));
    worker.kill("SIGTERM");
    expect(await exited).toBe(0);
    worker = null;
  }, 180_000);
});
