import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { openTaskVector } from "@graft/merge";
import { TooLargeError } from "@graft/storage";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { toDomainError } from "../../errors";
import {
  createTestContext,
  EMBED,
  finetunedTensors,
  makeTaskVectorFile,
  makeTeam,
  makeUser,
  NORM,
  Q_PROJ,
  registerTinyFoundation,
  stageBytes,
  stageFile,
  tinyBaseTensors,
  writeF32Safetensors,
  writeLoraAdapter,
  type TestContext,
} from "../../testing";
import { addMember } from "../teams";
import { publishVersion, type PublishInput } from "./index";

let t: TestContext;
let owner: Awaited<ReturnType<typeof makeUser>>;
let basePath: string;
let fingerprint: string;

beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  await makeTeam(t.ctx, owner.actor, "acme");
  const r = await registerTinyFoundation(t, owner.actor, "acme");
  basePath = r.path;
  fingerprint = r.foundation.fingerprint;
});
afterEach(async () => {
  await t.cleanup();
});

/** A task vector against the registered tiny base (or another base, by seed). */
async function taskVectorFile(name = "tv.safetensors", baseSeed?: number, scale = 0.01): Promise<string> {
  const bp = baseSeed === undefined ? basePath : await writeF32Safetensors(join(t.dir, `base-${baseSeed}.safetensors`), tinyBaseTensors(baseSeed));
  const base = baseSeed === undefined ? tinyBaseTensors() : tinyBaseTensors(baseSeed);
  const ft = await writeF32Safetensors(join(t.dir, `ft-${name}`), finetunedTensors(base, scale));
  return makeTaskVectorFile(bp, ft, join(t.dir, name));
}

function input(upload: PublishInput["upload"], over: Partial<PublishInput> = {}): PublishInput {
  return {
    teamSlug: "acme",
    foundationSlug: "tiny-base",
    vectorSlug: "sentiment",
    name: "Sentiment",
    task: "classification",
    tags: ["English", "reviews"],
    summary: "Positive/negative reviews",
    cardMarkdown: "# Sentiment\nTrained on reviews.",
    version: "1.0.0",
    changelog: "first",
    listing: { kind: "free", licence: "commercial", redistribution: true },
    upload,
    ...over,
  };
}

async function blobFiles(): Promise<string[]> {
  const dirs = await readdir(join(t.blobsDir, "sha256")).catch(() => [] as string[]);
  const out: string[] = [];
  for (const d of dirs) out.push(...(await readdir(join(t.blobsDir, "sha256", d))).map((f) => d + f));
  return out;
}
async function scratchFiles(): Promise<string[]> {
  return readdir(join(t.blobsDir, "tmp")).catch(() => [] as string[]);
}
async function expectNothingStored() {
  expect(await t.ctx.db.vectorVersion.count()).toBe(0);
  expect(await blobFiles()).toEqual([]);
  expect(await scratchFiles()).toEqual([]);
  expect(await t.ctx.db.blob.count()).toBe(0);
}

describe("publishVersion with a task-vector file", () => {
  it("creates the vector and its first version, commits the blob and computes norm stats", async () => {
    const file = await taskVectorFile();
    const staged = await stageFile(t.ctx, file);
    const r = await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged }));
    expect(r.vector).toMatchObject({ slug: "sentiment", teamSlug: "acme", foundationSlug: "tiny-base", created: true });
    expect(r.version).toMatchObject({ version: "1.0.0", sha256: staged.sha256, encoding: "dense", sourceKind: "task-vector", sizeBytes: staged.size, tensorCount: 3, yanked: false });
    expect(await blobFiles()).toEqual([staged.sha256]);
    expect(await scratchFiles()).toEqual([]);

    // Norm stats match the deltas read back independently.
    const tv = await openTaskVector(file);
    let sum = 0;
    let max = 0;
    for (const n of tv.coveredTensors) {
      const d = (await tv.readDelta(n))!;
      let s = 0;
      for (const x of d) {
        s += x * x;
        max = Math.max(max, Math.abs(x));
      }
      expect(r.version.normStats.perTensor[n]).toBeCloseTo(Math.sqrt(s), 10);
      sum += s;
    }
    await tv.close();
    expect(r.version.normStats.l2).toBeCloseTo(Math.sqrt(sum), 10);
    expect(r.version.normStats.maxAbs).toBeCloseTo(max, 10);

    const vector = await t.ctx.db.taskVector.findFirstOrThrow({ include: { tags: true, listing: true } });
    expect(vector.tags.map((x) => x.tag).sort()).toEqual(["english", "reviews"]);
    expect(vector.listing).toMatchObject({ kind: "free", licence: "commercial", redistribution: true, currency: "usd" });
    const actions = (await t.ctx.db.auditLog.findMany({ where: { action: { in: ["vector.create", "vector.publish"] } } })).map((a) => a.action).sort();
    expect(actions).toEqual(["vector.create", "vector.publish"]);
  });

  it("adds later versions and refreshes card, tags and listing", async () => {
    await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, await taskVectorFile("a.safetensors")) }));
    const r = await publishVersion(
      t.ctx,
      owner.actor,
      input({ kind: "task-vector", file: await stageFile(t.ctx, await taskVectorFile("b.safetensors", undefined, 0.02)) }, {
        version: "1.1.0",
        summary: "Better",
        tags: ["reviews", "v2"],
        listing: { kind: "paid", priceCents: 1500, currency: "EUR", licence: "personal", redistribution: false },
      }),
    );
    expect(r.vector.created).toBe(false);
    const vector = await t.ctx.db.taskVector.findFirstOrThrow({ include: { tags: true, listing: true, versions: true } });
    expect(vector.versions.map((v) => v.version).sort()).toEqual(["1.0.0", "1.1.0"]);
    expect(vector.summary).toBe("Better");
    expect(vector.tags.map((x) => x.tag).sort()).toEqual(["reviews", "v2"]);
    expect(vector.listing).toMatchObject({ kind: "paid", priceCents: 1500, currency: "eur" });
  });

  it("requires each version to be greater than the latest, yanked ones included", async () => {
    await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, await taskVectorFile("a.safetensors")) }, { version: "1.2.0" }));
    for (const version of ["1.2.0", "1.1.9", "1.2.0-rc.1"]) {
      const staged = await stageFile(t.ctx, await taskVectorFile(`v${version}.safetensors`, undefined, 0.03));
      await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged }, { version }))).rejects.toMatchObject({ code: "CONFLICT" });
    }
    await expect(
      publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, await taskVectorFile("c.safetensors")) }, { version: "v2" })),
    ).rejects.toMatchObject({ code: "INVALID" });
    expect(await t.ctx.db.vectorVersion.count()).toBe(1);
    expect(await blobFiles()).toHaveLength(1);
    expect(await scratchFiles()).toEqual([]);
  });

  it("dedupes identical content across versions into one blob", async () => {
    const file = await taskVectorFile();
    await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }));
    await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }, { version: "1.0.1" }));
    expect(await blobFiles()).toHaveLength(1);
    expect(await t.ctx.db.blob.count()).toBe(1);
    expect(await scratchFiles()).toEqual([]);
  });
});

describe("publishVersion derives task vectors", () => {
  it("extracts a dense task vector from a fine-tuned checkpoint", async () => {
    const ft = await writeF32Safetensors(join(t.dir, "ft.safetensors"), finetunedTensors(tinyBaseTensors(), 0.05));
    const r = await publishVersion(t.ctx, owner.actor, input({ kind: "finetuned", file: await stageFile(t.ctx, ft) }));
    expect(r.version).toMatchObject({ sourceKind: "finetuned", encoding: "dense", tensorCount: 3 });
    expect(r.version.normStats.maxAbs).toBeCloseTo(0.1, 5);
    const tv = await openTaskVector(await t.ctx.blobs.localPath(r.version.sha256));
    expect(tv.fingerprint).toBe(fingerprint);
    await tv.close();
    expect(await blobFiles()).toEqual([r.version.sha256]);
    expect(await scratchFiles()).toEqual([]);
  });

  it("imports a PEFT LoRA adapter", async () => {
    const { config, weights } = await writeLoraAdapter(join(t.dir, "adapter"));
    const r = await publishVersion(
      t.ctx,
      owner.actor,
      input({ kind: "lora", adapterConfig: await stageFile(t.ctx, config), adapterWeights: await stageFile(t.ctx, weights) }),
    );
    expect(r.version).toMatchObject({ sourceKind: "lora", tensorCount: 1 });
    expect(Object.keys(r.version.normStats.perTensor)).toEqual([Q_PROJ]);
    expect(r.version.normStats.l2).toBeGreaterThan(0);
    const tv = await openTaskVector(await t.ctx.blobs.localPath(r.version.sha256));
    expect(tv.fingerprint).toBe(fingerprint);
    await tv.close();
    expect(await blobFiles()).toEqual([r.version.sha256]);
    expect(await scratchFiles()).toEqual([]);
  });
});

describe("publishVersion rejects bad uploads and stores nothing", () => {
  it("corrupt bytes", async () => {
    const staged = await stageBytes(t.ctx, new TextEncoder().encode("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}"));
    const err = await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged })).catch((e) => e);
    expect(err).toMatchObject({ code: "INVALID" });
    expect(err.message).not.toContain(t.blobsDir);
    await expectNothingStored();
  });

  it("a truncated task vector", async () => {
    const bytes = await readFile(await taskVectorFile());
    const staged = await stageBytes(t.ctx, bytes.subarray(0, bytes.length - 10));
    await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged }))).rejects.toMatchObject({ code: "INVALID" });
    await expectNothingStored();
  });

  it("a plain safetensors file that is not a task vector", async () => {
    const staged = await stageFile(t.ctx, basePath);
    await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged }))).rejects.toMatchObject({ code: "INVALID" });
    await expectNothingStored();
  });

  it("a task vector made against another foundation, naming both fingerprints", async () => {
    const staged = await stageFile(t.ctx, await taskVectorFile("other.safetensors", 7));
    const err = await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged })).catch((e) => e);
    expect(err.code).toBe("INVALID");
    expect(err.message).toMatch(new RegExp(`^made against foundation sha256:[0-9a-f]{64} but tiny-base is ${fingerprint}`));
    expect(err.details).toMatchObject({ expectedFingerprint: fingerprint, mismatches: [] });
    await expectNothingStored();
  });

  it("a task vector of a differently shaped foundation, listing the structural differences", async () => {
    const other = [
      { name: EMBED, shape: [6, 4], values: tinyBaseTensors()[0].values },
      { name: Q_PROJ, shape: [2, 8], values: tinyBaseTensors()[1].values },
      { name: "model.extra.weight", shape: [2], values: [1, 2] },
    ];
    const bp = await writeF32Safetensors(join(t.dir, "other-base.safetensors"), other);
    const fp = await writeF32Safetensors(join(t.dir, "other-ft.safetensors"), finetunedTensors(other));
    const staged = await stageFile(t.ctx, await makeTaskVectorFile(bp, fp, join(t.dir, "other-tv.safetensors")));
    const err = await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged })).catch((e) => e);
    expect(err.code).toBe("INVALID");
    // In tensor-name order: model.extra… < model.layers… < model.norm…
    expect(err.details.mismatches).toEqual(["extra tensor model.extra.weight", `${Q_PROJ}: shape [4,4] vs [2,8]`, `missing tensor ${NORM}`]);
    await expectNothingStored();
  });

  it("a fine-tuned checkpoint whose structure differs, with the exact mismatch list", async () => {
    const base = tinyBaseTensors();
    const ft = await writeF32Safetensors(join(t.dir, "bad-ft.safetensors"), [
      base[0],
      { name: Q_PROJ, shape: [2, 8], values: base[1].values },
    ]);
    const err = await publishVersion(t.ctx, owner.actor, input({ kind: "finetuned", file: await stageFile(t.ctx, ft) })).catch((e) => e);
    expect(err.code).toBe("INVALID");
    expect(err.details).toEqual({ mergeCode: "MISMATCH", mismatches: [`${Q_PROJ}: shape [4,4] vs [2,8]`, `missing tensor ${NORM}`] });
    expect(err.message).not.toContain(t.blobsDir);
    await expectNothingStored();
  });

  it("a LoRA adapter for a module the foundation lacks", async () => {
    const { config, weights } = await writeLoraAdapter(join(t.dir, "adapter"), { module: "model.layers.9.self_attn.q_proj" });
    await expect(
      publishVersion(t.ctx, owner.actor, input({ kind: "lora", adapterConfig: await stageFile(t.ctx, config), adapterWeights: await stageFile(t.ctx, weights) })),
    ).rejects.toMatchObject({ code: "INVALID" });
    await expectNothingStored();
  });

  it("an oversized upload, cut off while streaming or refused by the configured limit", async () => {
    const file = await taskVectorFile();
    const err = await stageFile(t.ctx, file, 64).catch((e) => e);
    expect(err).toBeInstanceOf(TooLargeError);
    expect(toDomainError(err).code).toBe("TOO_LARGE");
    const staged = await stageFile(t.ctx, file);
    t.ctx.config.maxUploadBytes = 64;
    await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: staged }))).rejects.toMatchObject({ code: "TOO_LARGE" });
    await expectNothingStored();
  });

  it("an unknown foundation or a vector registered against another foundation", async () => {
    await expect(
      publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, await taskVectorFile()) }, { foundationSlug: "nope" })),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expectNothingStored();
  });

  it("keeps a blob another version references when a later publish of the same content fails", async () => {
    const file = await taskVectorFile();
    const first = await publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }));
    await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }))).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await blobFiles()).toEqual([first.version.sha256]);
    expect(await scratchFiles()).toEqual([]);
  });
});

describe("publishVersion authorization", () => {
  it("allows team members (sessions and publish tokens) and refuses anonymous, outsiders and read-only tokens", async () => {
    const member = await makeUser(t.ctx, "member");
    const outsider = await makeUser(t.ctx, "outsider");
    await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
    const file = await taskVectorFile();
    const attempt = async (actor: Parameters<typeof publishVersion>[1], version: string) =>
      publishVersion(t.ctx, actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }, { version }));
    await expect(attempt(null, "0.1.0")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(attempt(outsider.actor, "0.1.0")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(attempt({ userId: member.id, scopes: ["read"] }, "0.1.0")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expectNothingStored();
    await expect(attempt(member.actor, "0.1.0")).resolves.toBeTruthy();
    await expect(attempt({ userId: member.id, scopes: ["publish"] }, "0.2.0")).resolves.toBeTruthy();
    await expect(attempt(owner.actor, "0.3.0")).resolves.toBeTruthy();
    expect(await scratchFiles()).toEqual([]);
  });

  it("validates listing terms", async () => {
    const file = await taskVectorFile();
    for (const listing of [
      { kind: "paid" as const, licence: "personal" as const, redistribution: false },
      { kind: "free" as const, priceCents: 100, licence: "personal" as const, redistribution: false },
      { kind: "gift" as "free", licence: "personal" as const, redistribution: false },
    ]) {
      await expect(publishVersion(t.ctx, owner.actor, input({ kind: "task-vector", file: await stageFile(t.ctx, file) }, { listing }))).rejects.toMatchObject({
        code: "INVALID",
      });
    }
    await expectNothingStored();
  });
});


