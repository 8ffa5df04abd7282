/**
 * Shard-wise execution: every output shard computed on its own (as separate
 * workers would) and then assembled gives the same bytes as one whole run.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleShards, executePlan, executeShard, GraftError, listAuxiliaryFiles, parseRecipe, planMerge, planOutputShards, type ShardPart } from "../index";
import { finetune, makeBase, makeTempDir, writeModelDir, writeTaskVector } from "./merge.fixture";

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let root: string;
const base = makeBase(1);
const other = makeBase(2);

beforeAll(async () => {
  tmp = await makeTempDir("graft-shards-");
  root = tmp.dir;
  await writeModelDir(join(root, "base"), base);
  await writeModelDir(join(root, "other"), other);
  await writeModelDir(join(root, "ftA"), finetune(base, 11), false);
  await writeModelDir(join(root, "ftB"), finetune(base, 12), false);
  await writeTaskVector(join(root, "base"), join(root, "ftB"), join(root, "tvB.safetensors"));
});
afterAll(async () => {
  await tmp?.cleanup();
});

const recipe = (method: string, baseModel = "base") => `
merge_method: ${method}
base_model: ${baseModel}
random_seed: 7
models:
  - model: ftA
    parameters: { weight: 0.6, density: 0.5 }
  - model: tvB.safetensors
    parameters: { weight: 0.4, density: 0.5 }
`;

const MAX_SHARD = 300;
const metadata = { "graft.extra": "registry view" };

async function plan(yaml: string) {
  return planMerge(parseRecipe(yaml), { baseDir: root });
}

/** Every shard computed by its own executeShard call, each with a fresh plan (as on another worker). */
async function shardParts(yaml: string, name: string): Promise<ShardPart[]> {
  const p = await plan(yaml);
  const count = planOutputShards(p, MAX_SHARD).length;
  await p.close();
  const parts: ShardPart[] = [];
  for (let shardIndex = count - 1; shardIndex >= 0; shardIndex--) {
    const own = await plan(yaml);
    try {
      parts.push(await executeShard(own, { shardIndex, outFile: join(root, `${name}-part-${shardIndex}.safetensors`), maxShardBytes: MAX_SHARD, metadata, chunkElements: 7 }));
    } finally {
      await own.close();
    }
  }
  return parts;
}

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const names = (await readdir(dir)).sort();
  return new Map(await Promise.all(names.map(async (n) => [n, await readFile(join(dir, n))] as const)));
}

describe("shard-wise execution", () => {
  for (const method of ["task_arithmetic", "ties", "dare_ties", "breadcrumbs_ties"]) {
    it(`${method}: shards computed one by one and assembled equal executePlan byte for byte`, async () => {
      const yaml = recipe(method);
      const whole = await plan(yaml);
      const copyFiles = await listAuxiliaryFiles(whole.base!.path);
      const wholeOut = join(root, `${method}-whole`);
      const expected = await executePlan(whole, { outDir: wholeOut, maxShardBytes: MAX_SHARD, copyFiles, metadata });
      await whole.close();

      const parts = await shardParts(yaml, method);
      expect(parts.length).toBeGreaterThan(2);
      const assembled = join(root, `${method}-assembled`);
      const p = await plan(yaml);
      const result = await assembleShards(p, parts, assembled, { maxShardBytes: MAX_SHARD, copyFiles, metadata });
      await p.close();

      expect(result.inputs).toEqual(expected.inputs);
      expect(result.baseFingerprint).toBe(expected.baseFingerprint);
      const want = await filesOf(wholeOut);
      const got = await filesOf(assembled);
      expect([...got.keys()]).toEqual([...want.keys()]);
      expect([...want.keys()]).toContain("model.safetensors.index.json");
      for (const [name, bytes] of want) expect(got.get(name)!.equals(bytes), name).toBe(true);
    });
  }

  it("a single-shard output is one part written as model.safetensors", async () => {
    const yaml = recipe("ties");
    const whole = await plan(yaml);
    const wholeOut = join(root, "single-whole");
    await executePlan(whole, { outDir: wholeOut, metadata });
    expect(planOutputShards(whole).length).toBe(1);
    const part = await executeShard(whole, { shardIndex: 0, outFile: join(root, "single-part.safetensors"), metadata });
    await assembleShards(whole, [part], join(root, "single-assembled"), { metadata });
    await whole.close();
    expect((await filesOf(join(root, "single-assembled"))).get("model.safetensors")!.equals((await filesOf(wholeOut)).get("model.safetensors")!)).toBe(true);
  });

  it("refuses a missing part, a base other than the task vectors' foundation, and publishes nothing when interrupted", async () => {
    const yaml = recipe("task_arithmetic");
    const parts = await shardParts(yaml, "refuse");
    const p = await plan(yaml);
    try {
      const listing = async () => (await readdir(root)).filter((n) => n.startsWith("refused") || n.includes(".partial-"));
      await expect(assembleShards(p, parts.slice(1), join(root, "refused-1"), { maxShardBytes: MAX_SHARD })).rejects.toThrow(/shard \d+ is missing|one part per shard/);
      // A copy that fails midway (after the shard files were written): nothing appears.
      await expect(
        assembleShards(p, parts, join(root, "refused-2"), { maxShardBytes: MAX_SHARD, copyFiles: [join(root, "base", "config.json"), join(root, "no-such-file.json")] }),
      ).rejects.toThrow();
      expect(await listing()).toEqual([]);
    } finally {
      await p.close();
    }
    // Parts computed from another base: the assembled fingerprint gives it away.
    const wrong = await shardParts("merge_method: task_arithmetic\nbase_model: other\nmodels:\n  - model: ftA\n    parameters: { weight: 0.6 }\n  - model: ftB\n    parameters: { weight: 0.4 }\n", "wrong");
    const q = await plan(yaml);
    try {
      const swapped = parts.map((part, i) => ({ ...part, hashes: [wrong[i]!.hashes[0]!, ...part.hashes.slice(1)] }));
      const error = await assembleShards(q, swapped, join(root, "refused-3"), { maxShardBytes: MAX_SHARD }).catch((e) => e);
      expect(error).toBeInstanceOf(GraftError);
      expect((error as GraftError).code).toBe("FINGERPRINT_MISMATCH");
    } finally {
      await q.close();
    }
    expect((await readdir(root)).filter((n) => n.startsWith("refused"))).toEqual([]);
  });
});
