// Merge jobs on the demo model family (the tiny configuration, trained in
// seconds): the merged model is scored on every input's suite and on the
// control suite, next to the base and each vector alone.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLabEvaluator, TINY_CONFIG, trainDemo, versionEvalJson, type DemoModels } from "@graft/lab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreContext } from "../../context";
import { createTestContext, makeTeam, makeUser, stageFile, type TestContext } from "../../testing";
import { registerFoundation } from "../foundations/foundations";
import { publishVersion } from "../vectors/publish";
import { choicesToYaml, claimNextJob, getMergeJob, runClaimedJob, submitMergeJob, type JobInfo, type ModelEvaluator, type SuiteEvaluation } from ".";

let t: TestContext;
let ctx: CoreContext;
let labRoot: string;
let models: DemoModels;
let user: Awaited<ReturnType<typeof makeUser>>;
const evaluator = createLabEvaluator();
const RUNNER = { workerId: "eval-worker", evaluator };

async function publish(slug: string, task: string, version: string, evalJson: string | null): Promise<void> {
  const copy = join(t.dir, `${slug}-${version}.safetensors`);
  cpSync(models.tasks[task]!.vectorPath, copy);
  const published = await publishVersion(ctx, user.actor, {
    teamSlug: "lab",
    foundationSlug: "lab-tiny",
    vectorSlug: slug,
    name: slug,
    task: "domain",
    tags: [],
    summary: "",
    cardMarkdown: "",
    version,
    changelog: "",
    listing: { kind: "free", licence: "personal", redistribution: false },
    upload: { kind: "task-vector", file: await stageFile(ctx, copy) },
  });
  if (evalJson !== null) await ctx.db.vectorVersion.update({ where: { id: published.version.id }, data: { evalJson } });
}

async function runJob(vectors: { ref: string; weight: number }[], opts: { method?: string; evaluator?: ModelEvaluator } = {}): Promise<JobInfo> {
  const yaml = choicesToYaml({ foundation: "lab-tiny", method: (opts.method ?? "task_arithmetic") as "task_arithmetic", vectors, params: {}, seed: 1 });
  await submitMergeJob(ctx, user.actor, { yaml });
  const id = await claimNextJob(ctx, RUNNER);
  expect(id).not.toBeNull();
  await runClaimedJob(ctx, id!, { ...RUNNER, evaluator: opts.evaluator ?? evaluator });
  return getMergeJob(ctx, user.actor, id!);
}

const suite = (job: JobInfo, name: string): SuiteEvaluation => {
  const found = job.result!.evaluation!.suites.find((s) => s.suite === name);
  expect(found, `suite ${name}`).toBeDefined();
  return found!;
};
const metric = (s: SuiteEvaluation, name: string) => s.metrics.find((m) => m.metric === name)!;

beforeAll(async () => {
  labRoot = mkdtempSync(join(tmpdir(), "graft-eval-lab-"));
  models = await trainDemo(TINY_CONFIG, { cacheRoot: labRoot });
  t = await createTestContext();
  ctx = t.ctx;
  user = await makeUser(ctx, "eval-user");
  await makeTeam(ctx, user.actor, "lab");
  cpSync(models.foundationDir, join(t.modelsDir, "lab-tiny"), { recursive: true });
  await registerFoundation(ctx, user.actor, { teamSlug: "lab", slug: "lab-tiny", name: "Lab tiny", architecture: "char-mlp", licence: "apache-2.0", source: { kind: "path", path: "lab-tiny" } });
  await publish("names", "names", "1.0.0", versionEvalJson(models, "names"));
  await publish("spam", "spam", "1.0.0", versionEvalJson(models, "spam"));
  // Suites but no published results: each vector alone is measured by the worker.
  await publish("names", "names", "2.0.0", JSON.stringify({ task: "names", suites: models.suites, results: [] }));
  await publish("names", "names", "3.0.0", JSON.stringify({ task: "names", suites: { names: { ...models.suites.names, corpus: "klingon" } }, results: [] }));
  await publish("plain", "names", "1.0.0", null);
});

afterAll(async () => {
  await t?.cleanup();
  rmSync(labRoot, { recursive: true, force: true });
});

describe("merge job evaluation", () => {
  it("scores the merge on each input's suite and the control suite, next to the base and each vector alone", async () => {
    const job = await runJob([
      { ref: "lab/names@1.0.0", weight: 0.8 },
      { ref: "lab/spam@1.0.0", weight: 0.8 },
    ]);
    expect(job.status).toBe("done");
    const evaluation = job.result!.evaluation!;
    expect(evaluation.status).toBe("done");
    expect(evaluation.suites.map((s) => s.suite)).toEqual(["names", "spam", "control"]);
    expect(suite(job, "names").refs).toEqual(["lab/names@1.0.0"]);
    for (const task of ["names", "spam"]) {
      const s = suite(job, task);
      const acc = metric(s, "accuracy");
      const bpc = metric(s, "bits_per_char");
      expect(acc).toMatchObject({ unit: "%", higherIsBetter: true });
      // Measured here, the base matches the foundation's own test metrics.
      expect(acc.base).toBeCloseTo(models.metrics.foundation![task]!.accuracy, 6);
      // Each vector alone: its fine-tune's published figure.
      expect(acc.vectors).toEqual([
        { ref: "lab/names@1.0.0", value: models.metrics.names![task]!.accuracy, source: "published" },
        { ref: "lab/spam@1.0.0", value: models.metrics.spam![task]!.accuracy, source: "published" },
      ]);
      // Equipping the task's vector moves the merge towards the fine-tune on that task.
      expect(bpc.merged).toBeLessThan(bpc.base);
      expect(acc.merged).toBeGreaterThan(acc.base);
    }
    expect(metric(suite(job, "control"), "accuracy").base).toBeCloseTo(models.metrics.foundation!.control!.accuracy, 6);
  });

  it("subtracting a vector worsens its own task", async () => {
    const job = await runJob([{ ref: "lab/names@1.0.0", weight: -1 }]);
    const bpc = metric(suite(job, "names"), "bits_per_char");
    expect(bpc.merged).toBeGreaterThan(bpc.base);
    expect(job.result!.evaluation!.suites.map((s) => s.suite)).toEqual(["names", "control"]);
  });

  it("measures a vector alone (base + 1 × vector) when its version publishes no figures", async () => {
    const job = await runJob([{ ref: "lab/names@2.0.0", weight: 0.5 }]);
    const acc = metric(suite(job, "names"), "accuracy");
    expect(acc.vectors).toHaveLength(1);
    expect(acc.vectors[0]!.source).toBe("measured");
    // base + (fine-tuned − base) is the fine-tune, up to float rounding.
    expect(acc.vectors[0]!.value).toBeCloseTo(models.metrics.names!.names!.accuracy, 1);
    // Half the vector lands between the base and the fine-tune.
    expect(acc.merged).toBeGreaterThan(acc.base);
  });

  it("records an evaluation failure without failing the merge", async () => {
    const job = await runJob([{ ref: "lab/names@3.0.0", weight: 1 }]);
    expect(job.status).toBe("done");
    expect(job.result!.evaluation).toMatchObject({ status: "failed", suites: [] });
    expect(job.result!.evaluation!.error).toMatch(/unknown corpus "klingon"/);

    const broken: ModelEvaluator = { evaluate: async () => Promise.reject(new Error("the evaluator ran out of memory")) };
    const second = await runJob([{ ref: "lab/names@1.0.0", weight: 1 }], { evaluator: broken });
    expect(second.status).toBe("done");
    expect(second.result!.evaluation).toMatchObject({ status: "failed", error: "the evaluator ran out of memory" });
  });

  it("leaves evaluation null, without calling the evaluator, when no input carries a suite", async () => {
    let calls = 0;
    const counting: ModelEvaluator = { evaluate: async (dir, s) => (calls++, evaluator.evaluate(dir, s)) };
    const job = await runJob([{ ref: "lab/plain@1.0.0", weight: 1 }], { evaluator: counting });
    expect(job.status).toBe("done");
    expect(job.result!.evaluation).toBeNull();
    expect(calls).toBe(0);
  });
});
