import { copyFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { openCheckpoint, runMerge } from "@graft/merge";
import { extract } from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreContext } from "../../context";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { grantEntitlement, revokeEntitlement } from "../entitlements/grants";
import {
  cancelMergeJob,
  choicesToYaml,
  claimNextJob,
  getMergeJob,
  listLibrary,
  listMergeJobs,
  loadRecipe,
  MergeWorker,
  openJobResult,
  previewInterference,
  runClaimedJob,
  saveRecipe,
  submitMergeJob,
  yamlToChoices,
  type JobInfo,
} from ".";

let t: TestContext;
let ctx: CoreContext;
let owner: Awaited<ReturnType<typeof makeUser>>;
let buyer: Awaited<ReturnType<typeof makeUser>>;
let paidVectorId: string;
const RUNNER = { workerId: "test-worker", maxShardBytes: 64 };

/** Reads a tar stream into name → bytes. */
async function untar(stream: NodeJS.ReadableStream): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const ex = extract();
  ex.on("entry", (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on("data", (c) => chunks.push(c as Buffer));
    body.on("end", () => {
      if (header.type === "file") files.set(header.name, Buffer.concat(chunks));
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    ex.on("finish", resolve);
    ex.on("error", reject);
  });
  stream.pipe(ex);
  await done;
  return files;
}

const recipe = (over: { method?: string; refs?: string[]; params?: Record<string, number> } = {}) =>
  choicesToYaml({
    foundation: "tiny-base",
    method: (over.method ?? "task_arithmetic") as "task_arithmetic",
    vectors: (over.refs ?? ["acme/free@1.0.0", "acme/paid@1.0.0"]).map((ref, i) => ({ ref, weight: i === 0 ? 0.7 : -0.3 })),
    params: over.params ?? {},
    seed: 3,
  });

/** Claims the next job and runs it to its end. */
async function runNext(): Promise<JobInfo> {
  const id = await claimNextJob(ctx, RUNNER);
  expect(id).not.toBeNull();
  await runClaimedJob(ctx, id!, RUNNER);
  return getMergeJob(ctx, buyer.actor, id!);
}

beforeAll(async () => {
  t = await createTestContext();
  ctx = t.ctx;
  owner = await makeUser(ctx, "equip-owner");
  buyer = await makeUser(ctx, "equip-buyer");
  await makeTeam(ctx, owner.actor, "acme");
  await registerTinyFoundation(t, owner.actor, "acme");
  await publishTestVector(t, owner.actor, { vectorSlug: "free", name: "Free" });
  const paid = await publishTestVector(t, owner.actor, {
    vectorSlug: "paid",
    name: "Paid",
    listing: { kind: "paid", priceCents: 500, licence: "commercial", redistribution: false },
  });
  paidVectorId = paid.vector.id;
});
afterAll(async () => {
  await t.cleanup();
});

describe("recipes", () => {
  it("turn builder choices into mergekit YAML and back", () => {
    const yaml = recipe({ method: "ties", params: { density: 0.5 } });
    expect(yaml).toContain("merge_method: ties");
    expect(yaml).toContain("base_model: tiny-base");
    expect(yaml).toContain("model: acme/free@1.0.0");
    const back = yamlToChoices(yaml);
    expect(back.vectors.map((v) => [v.ref, v.weight])).toEqual([
      ["acme/free@1.0.0", 0.7],
      ["acme/paid@1.0.0", -0.3],
    ]);
    expect(back.params).toEqual({ density: 0.5 });
    expect(choicesToYaml(back)).toBe(yaml);
  });

  it("reject YAML that does not name registry versions, naming the entry", () => {
    expect(() => yamlToChoices("merge_method: ties\nbase_model: tiny-base\nmodels:\n  - model: ./local.safetensors\n")).toThrow(/models\[0\].*team\/vector@version/);
    expect(() => yamlToChoices("merge_method: nope\nbase_model: x\nmodels:\n  - model: acme/free@1.0.0\n")).toThrow(/method must be one of task_arithmetic, ties/);
    expect(() => recipe({ method: "ties", params: { density: 7 } })).toThrow(/density: expected a number between 0 and 1, got 7/);
  });

  it("are saved, shared by slug and loaded", async () => {
    const saved = await saveRecipe(ctx, buyer.actor, { name: "mix", yaml: recipe(), share: true });
    expect(saved.shareSlug).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect((await loadRecipe(ctx, null, saved.shareSlug!)).yaml).toBe(saved.yaml);
    const privateOne = await saveRecipe(ctx, buyer.actor, { name: "private", yaml: recipe() });
    await expect(loadRecipe(ctx, owner.actor, privateOne.id)).rejects.toThrow(/not found/);
    expect((await loadRecipe(ctx, buyer.actor, privateOne.id)).name).toBe("private");
  });
});

describe("library and interference preview", () => {
  it("list only the versions the user may download", async () => {
    const refs = (await listLibrary(ctx, buyer.actor, "tiny-base")).map((v) => v.ref);
    expect(refs).toEqual(["acme/free@1.0.0"]);
    expect((await listLibrary(ctx, owner.actor, "tiny-base")).map((v) => v.ref).sort()).toEqual(["acme/free@1.0.0", "acme/paid@1.0.0"]);
  });

  it("estimates from the publish-time sketches", async () => {
    const preview = await previewInterference(ctx, owner.actor, { foundation: "tiny-base", refs: ["acme/free@1.0.0", "acme/paid@1.0.0"] });
    // The test vectors are scaled copies of one pattern: fully aligned.
    expect(preview.pairs[0].cosine).toBeGreaterThan(0.99);
    expect(preview.overall.level).toBe("aligned");
    await expect(previewInterference(ctx, buyer.actor, { foundation: "tiny-base", refs: ["acme/free@1.0.0", "acme/paid@1.0.0"] })).rejects.toThrow(/acme\/paid@1.0.0 is not in your library/);
  });
});

describe("merge jobs", () => {
  it("refuse at submit an input the buyer is not entitled to", async () => {
    await expect(submitMergeJob(ctx, buyer.actor, { yaml: recipe() })).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("acme/paid@1.0.0") });
    expect(await listMergeJobs(ctx, buyer.actor)).toEqual([]);
  });

  it("go queued → running → done, with a Hugging Face folder and model card in the archive", async () => {
    const job = await submitMergeJob(ctx, owner.actor, { yaml: recipe() });
    expect(job.status).toBe("queued");
    const id = await claimNextJob(ctx, RUNNER);
    expect(id).toBe(job.id);
    expect((await getMergeJob(ctx, owner.actor, job.id)).status).toBe("running");
    await runClaimedJob(ctx, job.id, RUNNER);
    const done = await getMergeJob(ctx, owner.actor, job.id);
    expect(done.status, done.error ?? "").toBe("done");
    expect(done.progress).toMatchObject({ percent: 100, tensorsDone: 3, tensorsTotal: 3 });
    expect(done.result!.evaluation).toBeNull();
    const names = done.result!.files.map((f) => f.path);
    expect(names).toContain("README.md");
    expect(names).toContain("model.safetensors.index.json");
    expect(names.filter((n) => n.endsWith(".safetensors")).length).toBeGreaterThan(1);

    const download = await openJobResult(ctx, owner.actor, job.id);
    const files = await untar(download.stream);
    const root = done.result!.archiveName.replace(/\.tar$/, "");
    expect([...files.keys()].sort()).toEqual(names.map((n) => `${root}/${n}`).sort());
    const card = files.get(`${root}/README.md`)!.toString();
    expect(card).toMatch(/^---\nbase_model: "tiny-base"/);
    expect(card).toContain("| `acme/paid@1.0.0` | acme | -0.3 | commercial |");
    expect(card).toContain("merge_method: task_arithmetic");
    await expect(openJobResult(ctx, buyer.actor, job.id)).rejects.toThrow(/not found/);
  });

  it("carry the recipe and input fingerprints in the safetensors metadata, and equal a local merge of the same recipe", async () => {
    const [job] = await listMergeJobs(ctx, owner.actor);
    const files = await untar((await openJobResult(ctx, owner.actor, job.id)).stream);
    const dir = join(t.dir, "unpacked");
    const { mkdir, writeFile } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
    for (const [name, bytes] of files) await writeFile(join(dir, name.split("/").pop()!), bytes);
    const web = await openCheckpoint(dir);
    // The same recipe on local files, as `graft merge` runs it.
    const versions = await ctx.db.vectorVersion.findMany({ include: { vector: true } });
    // As `graft pull` saves them: task-vector files named *.safetensors.
    const pathOf = async (slug: string) => {
      const out = join(t.dir, `pulled-${slug}.safetensors`);
      await copyFile(await ctx.blobs.localPath(versions.find((v) => v.vector.slug === slug)!.blobHash), out);
      return out;
    };
    const local = join(t.dir, "local-merge");
    await runMerge(
      {
        mergeMethod: "task_arithmetic",
        baseModel: { path: join(t.modelsDir, "tiny-base.safetensors") },
        models: [
          { model: { path: await pathOf("free") }, parameters: { weight: 0.7 } },
          { model: { path: await pathOf("paid") }, parameters: { weight: -0.3 } },
        ],
        parameters: {},
        randomSeed: 3,
      },
      { outDir: local },
    );
    const cli = await openCheckpoint(local);
    try {
      const meta = web.metadata;
      expect(meta["graft.recipe.sha256"]).toBe(job.result!.recipeSha256);
      const inputs = JSON.parse(meta["graft.registry.inputs"]);
      expect(inputs[0]).toMatchObject({ role: "base", ref: "tiny-base" });
      expect(inputs[0].fingerprint).toMatch(/^sha256:/);
      expect(inputs.slice(1).map((i: { ref: string }) => i.ref)).toEqual(["acme/free@1.0.0", "acme/paid@1.0.0"]);
      expect(meta["graft.recipe"]).not.toContain(t.dir);
      expect(web.tensors.map((x) => x.name)).toEqual(cli.tensors.map((x) => x.name));
      for (const { name } of cli.tensors) expect(Buffer.from(await web.readBytes(name))).toEqual(Buffer.from(await cli.readBytes(name)));
    } finally {
      await Promise.all([web.close(), cli.close()]);
    }
  });

  it("give identical bytes when the same recipe runs twice", async () => {
    await submitMergeJob(ctx, owner.actor, { yaml: recipe({ method: "dare_ties", params: { density: 0.5 } }) });
    const first = await runNext_(owner);
    await submitMergeJob(ctx, owner.actor, { yaml: recipe({ method: "dare_ties", params: { density: 0.5 } }) });
    const second = await runNext_(owner);
    expect(first.status).toBe("done");
    expect(second.result!.sha256).toBe(first.result!.sha256);
    expect(second.id).not.toBe(first.id);
  });

  it("fail with the reason when an entitlement is revoked between submit and run", async () => {
    const ent = await grantEntitlement(ctx, owner.actor, { vectorId: paidVectorId, userEmail: buyer.email });
    const job = await submitMergeJob(ctx, buyer.actor, { yaml: recipe() });
    await revokeEntitlement(ctx, owner.actor, ent.id);
    const ran = await runNext();
    expect(ran.id).toBe(job.id);
    expect(ran.status).toBe("failed");
    expect(ran.error).toMatch(/entitlement check before running: acme\/paid@1.0.0 is not in your library/);
    expect(ran.result).toBeNull();
  });

  it("fail with the reason when the merge cannot run", async () => {
    await submitMergeJob(ctx, owner.actor, { yaml: recipe() });
    const weights = join(t.modelsDir, "tiny-base.safetensors");
    await rename(weights, `${weights}.away`);
    try {
      const ran = await runNext_(owner);
      expect(ran.status).toBe("failed");
      expect(ran.error).toBe('the weights of foundation "tiny-base" are missing on the server');
    } finally {
      await rename(`${weights}.away`, weights);
    }
  });

  it("are cancelled at once when queued, and stop when running", async () => {
    const queued = await submitMergeJob(ctx, owner.actor, { yaml: recipe() });
    expect((await cancelMergeJob(ctx, owner.actor, queued.id)).status).toBe("cancelled");
    await expect(cancelMergeJob(ctx, owner.actor, queued.id)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await claimNextJob(ctx, RUNNER)).toBeNull();

    const running = await submitMergeJob(ctx, owner.actor, { yaml: recipe() });
    const id = await claimNextJob(ctx, RUNNER);
    expect((await cancelMergeJob(ctx, owner.actor, running.id)).cancelRequested).toBe(true);
    await runClaimedJob(ctx, id!, RUNNER);
    const after = await getMergeJob(ctx, owner.actor, running.id);
    expect(after.status).toBe("cancelled");
    expect(after.result).toBeNull();
  });

  it("are requeued when a worker's lease runs out", async () => {
    const job = await submitMergeJob(ctx, owner.actor, { yaml: recipe() });
    expect(await claimNextJob(ctx, { workerId: "dead-worker", leaseMs: 1 })).toBe(job.id);
    await new Promise((r) => setTimeout(r, 20));
    const ran = await runNext_(owner);
    expect(ran.id).toBe(job.id);
    expect(ran.status).toBe("done");
    expect(ran.attempts).toBe(2);
  });

  it("run through the embedded worker with a concurrency limit", async () => {
    const jobs = [await submitMergeJob(ctx, owner.actor, { yaml: recipe() }), await submitMergeJob(ctx, owner.actor, { yaml: recipe() })];
    const worker = new MergeWorker(ctx, { concurrency: 1, pollMs: 50 });
    worker.start();
    try {
      for (let i = 0; i < 200; i++) {
        const states = await Promise.all(jobs.map((j) => getMergeJob(ctx, owner.actor, j.id)));
        expect(states.filter((s) => s.status === "running").length).toBeLessThanOrEqual(1);
        if (states.every((s) => s.status === "done")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await worker.stop();
    }
    for (const j of jobs) expect((await getMergeJob(ctx, owner.actor, j.id)).status).toBe("done");
  });
});

async function runNext_(user: { actor: { userId: string } }): Promise<JobInfo> {
  const id = await claimNextJob(ctx, RUNNER);
  expect(id).not.toBeNull();
  await runClaimedJob(ctx, id!, RUNNER);
  return getMergeJob(ctx, user.actor, id!);
}
