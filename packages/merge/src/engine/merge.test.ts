/**
 * End-to-end merges through runMerge on real files: small Llama-shaped
 * checkpoints (F32 and BF16 weights, an I64 buffer) and task-vector files in
 * a temp dir. Expected values are computed here from the fixture's values with
 * the plain formulas (base + Σ wᵢ·τᵢ, …), never from the engine's output.
 */
import { readFile, readdir, writeFile, mkdir, cp } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fingerprintCheckpoint,
  GraftError,
  methodNames,
  openCheckpoint,
  openSafetensors,
  openTaskVector,
  parseRecipe,
  planMerge,
  runMerge,
  TensorHashCache,
  type GraftErrorCode,
  type MergeOptions,
  type MergeResult,
} from "../index";
import { setSimdKernels } from "../simd/ops";
import { retention } from "./execute";
import {
  CONFIG_JSON,
  decodeValues,
  encodeSafetensors,
  finetune,
  INT_TENSOR,
  LLAMA_SPEC,
  makeBase,
  makeTempDir,
  readAllTensors,
  rawTensors,
  TOKENIZER_JSON,
  writeModelDir,
  writeTaskVector,
  type FixtureModel,
  type ReadTensor,
} from "./merge.fixture";

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let root: string;
let outCounter = 0;

const base = makeBase(1);
const ftA = finetune(base, 11);
const ftB = finetune(base, 12);
const ftC = finetune(base, 13);
/** Same structure as `base`, other values: another foundation. */
const other = makeBase(2);
const otherFt = finetune(other, 21);

beforeAll(async () => {
  tmp = await makeTempDir("graft-merge-");
  root = tmp.dir;
  await writeModelDir(join(root, "base"), base);
  await writeModelDir(join(root, "ftA"), ftA, false);
  await writeModelDir(join(root, "ftB"), ftB, false);
  await writeModelDir(join(root, "ftC"), ftC, false);
  await writeModelDir(join(root, "other"), other);
  await writeModelDir(join(root, "otherFt"), otherFt, false);
  for (const [name, dir] of [["tvA", "ftA"], ["tvB", "ftB"], ["tvC", "ftC"]] as const) {
    await writeTaskVector(join(root, "base"), join(root, dir), join(root, `${name}.safetensors`));
  }
  await writeTaskVector(join(root, "other"), join(root, "otherFt"), join(root, "tvOther.safetensors"));
  // ftA with different integer data: the merge must still carry the base's.
  const ftInts: FixtureModel = { ...ftA, ints: new Map([[INT_TENSOR, base.ints.get(INT_TENSOR)!.map((v) => v + 7n)]]) };
  await writeModelDir(join(root, "ftIntsDiffer"), ftInts, false);
  // base with its tensor DATA corrupted and its header intact: any step that
  // reads base data before validating would trip over the task vectors'
  // per-tensor sha256 (FINGERPRINT_MISMATCH) instead of the expected error.
  await mkdir(join(root, "baseCorrupt"));
  const bytes = new Uint8Array(await readFile(join(root, "base", "model.safetensors")));
  const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  for (let i = headerEnd; i < bytes.length; i++) bytes[i] ^= 0x5a;
  await writeFile(join(root, "baseCorrupt", "model.safetensors"), bytes);
});

afterAll(async () => {
  await tmp?.cleanup();
});

// ---------------------------------------------------------------------------
// helpers

async function merge(yaml: string, extra: Partial<MergeOptions> = {}): Promise<{ out: string; result: MergeResult; tensors: Map<string, ReadTensor> }> {
  const out = join(root, `out-${++outCounter}`);
  const result = await runMerge(parseRecipe(yaml), { baseDir: root, outDir: out, ...extra });
  return { out, result, tensors: await readAllTensors(out) };
}

async function mergeError(yaml: string, extra: Partial<MergeOptions> = {}): Promise<{ error: GraftError; out: string }> {
  const out = join(root, `out-${++outCounter}`);
  let error: unknown;
  try {
    await runMerge(parseRecipe(yaml), { baseDir: root, outDir: out, ...extra });
  } catch (e) {
    error = e;
  }
  expect(error, "expected the merge to fail").toBeInstanceOf(GraftError);
  return { error: error as GraftError, out };
}

async function expectNoOutput(out: string): Promise<void> {
  const names = await readdir(root);
  const outName = out.slice(root.length + 1);
  expect(names.filter((n) => n === outName || n.startsWith(`${outName}.`))).toEqual([]);
  expect(names.filter((n) => n.includes(".partial-"))).toEqual([]);
}

/** Σ-formula over floats: f(name, i) for every element of every float tensor. */
function expected(f: (name: string, i: number) => number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, values] of base.floats) out.set(name, values.map((_, i) => f(name, i)));
  return out;
}

/** base + Σ wᵢ·(mᵢ − base), in float64 from the fixture's values. */
function taskArithmetic(terms: [number, FixtureModel][], from: FixtureModel = base): Map<string, number[]> {
  return expected((name, i) => {
    const b = from.floats.get(name)![i]!;
    return terms.reduce((acc, [w, m]) => acc + w * (m.floats.get(name)![i]! - b), b);
  });
}

/** Float tensors within the rounding of their stored dtype; integer tensors byte-identical to the base. */
function expectTensors(got: Map<string, ReadTensor>, want: Map<string, number[]>, intsFrom: FixtureModel = base): void {
  expect([...got.keys()].sort()).toEqual(LLAMA_SPEC.map((t) => t.name).sort());
  for (const t of LLAMA_SPEC) {
    const g = got.get(t.name)!;
    expect(g.shape, t.name).toEqual(t.shape);
    if (t.dtype === "I64") {
      expect(g.dtype).toBe("I64");
      expect(Buffer.from(g.bytes).equals(Buffer.from(rawTensors(intsFrom).find((r) => r.name === t.name)!.bytes)), `${t.name} bytes`).toBe(true);
      continue;
    }
    expectClose(t.name, g, want.get(t.name)!);
  }
}

function expectClose(name: string, g: ReadTensor, want: number[]): void {
  const values = decodeValues(g.dtype, g.bytes);
  expect(values.length, name).toBe(want.length);
  // F32: 1e-6 absolute (values are O(1)); half types: half an ulp of the result.
  const rel = g.dtype === "BF16" ? 2 ** -8 : g.dtype === "F16" ? 2 ** -11 : 0;
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-6 + rel * Math.abs(want[i]!);
    if (!(Math.abs(values[i]! - want[i]!) <= tol)) {
      expect.fail(`${name}[${i}] (${g.dtype}): got ${values[i]}, expected ${want[i]} ± ${tol}`);
    }
  }
}

function dataOf(tensors: Map<string, ReadTensor>): Map<string, Buffer> {
  return new Map([...tensors].map(([k, v]) => [k, Buffer.from(v.bytes)]));
}

// ---------------------------------------------------------------------------

describe("task arithmetic on real checkpoints and task-vector files", () => {
  it("adds the weighted differences of fine-tuned checkpoints to the base", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: ftA
    parameters: { weight: 0.5 }
  - model: ftB
    parameters: { weight: -0.3 }
`);
    expectTensors(tensors, taskArithmetic([[0.5, ftA], [-0.3, ftB]]));
    // float tensors keep their input dtype when the recipe has no dtype
    for (const t of LLAMA_SPEC) expect(tensors.get(t.name)!.dtype).toBe(t.dtype);
  });

  it("adds the weighted task vectors stored in task-vector files", async () => {
    const { tensors, result } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters: { weight: 0.5 }
  - model: tvB.safetensors
    parameters: { weight: -0.3 }
  - model: tvC.safetensors
    parameters: { weight: 1.25 }
`);
    expectTensors(tensors, taskArithmetic([[0.5, ftA], [-0.3, ftB], [1.25, ftC]]));
    expect(result.inputs.map((i) => i.kind)).toEqual(["checkpoint", "task-vector", "task-vector", "task-vector"]);
  });

  it("mixes checkpoints and task vectors in one recipe and scales the sum by lambda", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
parameters: { lambda: 0.5 }
models:
  - model: ftA
    parameters: { weight: 1 }
  - model: tvB.safetensors
    parameters: { weight: 2 }
`);
    expectTensors(tensors, taskArithmetic([[0.5, ftA], [1, ftB]]));
  });

  it("negation: a task vector added and then subtracted (weight −1) gives back the base", async () => {
    for (const models of [
      ["ftA", "tvA.safetensors"],
      ["tvA.safetensors", "tvA.safetensors"],
    ]) {
      const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: ${models[0]}
    parameters: { weight: 1 }
  - model: ${models[1]}
    parameters: { weight: -1 }
`);
      expectTensors(tensors, expected((name, i) => base.floats.get(name)![i]!));
    }
  });

  it("negation alone moves the base away from the fine-tune: base − τ", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters: { weight: -1 }
`);
    expectTensors(tensors, expected((name, i) => 2 * base.floats.get(name)![i]! - ftA.floats.get(name)![i]!));
  });

  it("analogy: with A as base and C, B at weight 1 the result is C + B − A", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: ftA
models:
  - model: ftC
    parameters: { weight: 1 }
  - model: ftB
    parameters: { weight: 1 }
`);
    expectTensors(
      tensors,
      expected((name, i) => ftC.floats.get(name)![i]! + ftB.floats.get(name)![i]! - ftA.floats.get(name)![i]!),
    );
  });

  it("analogy with task vectors: base + τC + τB − τA", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvC.safetensors
    parameters: { weight: 1 }
  - model: tvB.safetensors
    parameters: { weight: 1 }
  - model: tvA.safetensors
    parameters: { weight: -1 }
`);
    expectTensors(tensors, taskArithmetic([[1, ftC], [1, ftB], [-1, ftA]]));
  });

  it("carries integer tensors through from the base byte for byte, even when a model's differ", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: ftIntsDiffer
    parameters: { weight: 1 }
`);
    expectTensors(tensors, taskArithmetic([[1, ftA]]), base);
    expect(tensors.get(INT_TENSOR)!.dtype).toBe("I64");
  });

  it("writes every float tensor in the recipe's dtype, integer tensors unchanged", async () => {
    for (const [dtype, st] of [["bfloat16", "BF16"], ["float16", "F16"], ["float32", "F32"]] as const) {
      const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
dtype: ${dtype}
models:
  - model: tvA.safetensors
    parameters: { weight: 0.75 }
`);
      for (const t of LLAMA_SPEC) expect(tensors.get(t.name)!.dtype, `${dtype} ${t.name}`).toBe(t.dtype === "I64" ? "I64" : st);
      expectTensors(tensors, taskArithmetic([[0.75, ftA]]));
    }
  });

  it("out_dtype takes precedence over dtype for the output", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
dtype: float32
out_dtype: bfloat16
models:
  - model: ftA
    parameters: { weight: 1 }
`);
    for (const t of LLAMA_SPEC) expect(tensors.get(t.name)!.dtype).toBe(t.dtype === "I64" ? "I64" : "BF16");
  });

  it("resolves a weight gradient [0, 1] per layer: embeddings and layer 0 get 0, layer 1 and the head get 1", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters:
      weight: [0, 1]
`);
    const weightOf = (name: string) => (name.startsWith("model.embed_tokens") || name.startsWith("model.layers.0.") ? 0 : 1);
    expect(["lm_head.weight", "model.norm.weight", "model.layers.1.mlp.up_proj.weight"].map(weightOf)).toEqual([1, 1, 1]);
    expectTensors(
      tensors,
      expected((name, i) => {
        const b = base.floats.get(name)![i]!;
        return b + weightOf(name) * (ftA.floats.get(name)![i]! - b);
      }),
    );
  });

  it("applies filter lists per tensor, first match wins, and a model's own setting beats the global one", async () => {
    const { tensors } = await merge(`
merge_method: task_arithmetic
base_model: base
parameters:
  weight:
    - filter: self_attn
      value: -1
    - value: 0
models:
  - model: tvA.safetensors
    parameters:
      weight:
        - filter: mlp
          value: 0.5
        - filter: layers.1
          value: 2
  - model: tvB.safetensors
`);
    // tvA: mlp → 0.5; other layer-1 tensors → 2; everything else falls back to the global list.
    const global = (name: string) => (name.includes("self_attn") ? -1 : 0);
    const wA = (name: string) => (name.includes("mlp") ? 0.5 : name.includes("layers.1") ? 2 : global(name));
    expectTensors(
      tensors,
      expected((name, i) => {
        const b = base.floats.get(name)![i]!;
        return b + wA(name) * (ftA.floats.get(name)![i]! - b) + global(name) * (ftB.floats.get(name)![i]! - b);
      }),
    );
  });
});

describe("sparse and low-rank task-vector files", () => {
  it("merge as the deltas they store, chunk by chunk as well as whole", async () => {
    await writeTaskVector(join(root, "base"), join(root, "ftA"), join(root, "tvA-sparse.safetensors"), { kind: "sparse", density: 0.3 });
    await writeTaskVector(join(root, "base"), join(root, "ftB"), join(root, "tvB-lowrank.safetensors"), { kind: "lowrank", rank: 2 });
    const stored = async (file: string) => {
      const tv = await openTaskVector(join(root, file));
      try {
        const out = new Map<string, Float32Array | null>();
        for (const t of LLAMA_SPEC) if (t.dtype !== "I64") out.set(t.name, await tv.readDelta(t.name));
        return { out, encoding: tv.encoding, covered: tv.coveredTensors.length };
      } finally {
        await tv.close();
      }
    };
    const sparse = await stored("tvA-sparse.safetensors");
    const lowrank = await stored("tvB-lowrank.safetensors");
    expect([sparse.encoding, lowrank.encoding]).toEqual(["sparse", "lowrank"]);
    // the sparse file really is sparse: about 30% of each delta survives
    const kept = [...sparse.out.values()].reduce((a, d) => a + (d ? d.filter((v) => v !== 0).length : 0), 0);
    expect(kept).toBeLessThan(0.35 * 408);
    expect(kept).toBeGreaterThan(0.2 * 408);

    const yaml = `
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA-sparse.safetensors
    parameters: { weight: 0.5 }
  - model: tvB-lowrank.safetensors
    parameters: { weight: -2 }
`;
    const want = expected((name, i) => {
      const b = base.floats.get(name)![i]!;
      return b + 0.5 * (sparse.out.get(name)?.[i] ?? 0) - 2 * (lowrank.out.get(name)?.[i] ?? 0);
    });
    const whole = await merge(yaml);
    expectTensors(whole.tensors, want);
    const chunked = await merge(yaml, { chunkElements: 5, retainBytes: 0 });
    expectTensors(chunked.tensors, want);
  });
});

describe("TIES and the random sparsifiers", () => {
  it("ties with density 1 and one model writes exactly what task_arithmetic writes", async () => {
    const cases = [
      ["", "1"], // ties normalizes by the weight: only weight 1 is the same sum
      ["parameters: { normalize: false }", "0.7"],
    ];
    for (const [globals, weight] of cases) {
      const body = `
base_model: base
${globals}
models:
  - model: tvA.safetensors
    parameters: { weight: ${weight}, density: 1 }
`;
      const ties = await merge(`merge_method: ties\n${body}`);
      const ta = await merge(`merge_method: task_arithmetic\n${body}`);
      expect(dataOf(ties.tensors)).toEqual(dataOf(ta.tensors));
      expectTensors(ta.tensors, taskArithmetic([[Number(weight), ftA]]));
    }
  });

  for (const method of ["dare_ties", "della"]) {
    it(`${method} with random_seed writes identical bytes on two runs and different bytes with another seed`, async () => {
      const recipe = (seed: number) => `
merge_method: ${method}
base_model: base
random_seed: ${seed}
models:
  - model: ftA
    parameters: { weight: 0.6, density: 0.5 }
  - model: tvB.safetensors
    parameters: { weight: 0.4, density: 0.5 }
`;
      const first = await merge(recipe(42));
      const second = await merge(recipe(42));
      const third = await merge(recipe(43));
      const file = (out: string) => readFile(join(out, "model.safetensors"));
      expect((await file(first.out)).equals(await file(second.out))).toBe(true);
      const a = dataOf(first.tensors);
      const c = dataOf(third.tensors);
      const differing = [...a.keys()].filter((k) => !a.get(k)!.equals(c.get(k)!));
      expect(differing.length).toBeGreaterThan(0);
      expect(differing).not.toContain(INT_TENSOR);
    });
  }
});

/** One recipe per method; the test below fails when a method has none. */
/**
 * A retain budget between the fixture's tensor sizes: norms and the BF16 MLP
 * fit decoded, lm_head and the attention matrices only as stored bytes, the
 * F32 embedding not at all.
 */
const STORED_RETAIN = 1200;

const STREAMING_RECIPES: Record<string, string> = {
  linear: `
merge_method: linear
models:
  - model: ftA
    parameters: { weight: 0.3 }
  - model: ftB
    parameters: { weight: 0.7 }
  - model: base
    parameters: { weight: 0.2 }
`,
  slerp: `
merge_method: slerp
base_model: base
parameters:
  t: [0.2, 0.9]
models:
  - model: base
  - model: ftA
`,
  model_stock: `
merge_method: model_stock
base_model: base
models:
  - model: ftA
  - model: ftB
  - model: ftC
`,
  model_stock_filter_wise: `
merge_method: model_stock
base_model: base
parameters: { filter_wise: true }
models:
  - model: ftA
  - model: tvB.safetensors
`,
};
const SPARSIFIED: Record<string, string> = {
  task_arithmetic: "",
  ties: "density: 0.6",
  dare_linear: "density: 0.6",
  dare_ties: "density: 0.6",
  breadcrumbs: "density: 0.7, gamma: 0.1",
  breadcrumbs_ties: "density: 0.7, gamma: 0.1",
  della: "density: 0.5, epsilon: 0.1",
  della_linear: "density: 0.5, epsilon: 0.1",
};
for (const [method, extra] of Object.entries(SPARSIFIED)) {
  const p = extra ? `, ${extra}` : "";
  STREAMING_RECIPES[method] = `
merge_method: ${method}
base_model: base
random_seed: 5
models:
  - model: ftA
    parameters: { weight: 0.6${p} }
  - model: tvB.safetensors
    parameters: { weight: -0.4${p} }
  - model: tvC.safetensors
    parameters: { weight: 0.9${p} }
`;
}

describe("streaming equals whole-tensor merging", () => {
  it("has a streaming recipe for every registered method", () => {
    const covered = new Set(Object.keys(STREAMING_RECIPES).map((k) => parseRecipe(STREAMING_RECIPES[k]!).mergeMethod));
    expect(methodNames().filter((m) => !covered.has(m))).toEqual([]);
  });

  /** Kept decoded (the default budget), some kept decoded and some as stored bytes, all re-read on every scan pass. */
  const RETAIN_BUDGETS = [undefined, STORED_RETAIN, 0];

  it(`a budget of ${STORED_RETAIN} bytes keeps some tensors decoded, some as stored bytes and re-reads others`, async () => {
    const plan = await planMerge(parseRecipe(STREAMING_RECIPES.ties!), { baseDir: root });
    const kinds = new Set(plan.tensors.filter((t) => t.action === "merge").map((t) => retention(plan, t, STORED_RETAIN)));
    expect([...kinds].sort()).toEqual(["decoded", "none", "stored"]);
  });

  for (const [label, yaml] of Object.entries(STREAMING_RECIPES)) {
    it(`${label}: 7-element chunks write the same file as whole tensors, whatever scan passes keep`, async () => {
      const whole = await merge(yaml);
      const file = (out: string) => readFile(join(out, "model.safetensors"));
      const a = dataOf(whole.tensors);
      for (const retainBytes of RETAIN_BUDGETS) {
        const chunked = await merge(yaml, { chunkElements: 7, retainBytes });
        const b = dataOf(chunked.tensors);
        expect([...b.keys()].filter((k) => !a.get(k)!.equals(b.get(k)!))).toEqual([]);
        expect((await file(whole.out)).equals(await file(chunked.out))).toBe(true);
      }
    });
  }

  it("checkpoints mixed from their stored BF16 weights write the bytes of the JavaScript path, which decodes every delta", async () => {
    for (const [method, extra] of [["task_arithmetic", ""], ["ties", ", density: 0.6"], ["dare_ties", ", density: 0.6"]]) {
      const yaml = `
merge_method: ${method}
base_model: base
random_seed: 3
models:
${["ftA", "ftB", "ftC"].map((m, i) => `  - model: ${m}\n    parameters: { weight: ${[0.6, -0.4, 0.9][i]}${extra} }`).join("\n")}
`;
      for (const retainBytes of RETAIN_BUDGETS) {
        const simd = await merge(yaml, { chunkElements: 7, retainBytes });
        setSimdKernels(false);
        let js: Awaited<ReturnType<typeof merge>>;
        try {
          js = await merge(yaml, { chunkElements: 7, retainBytes });
        } finally {
          setSimdKernels(true);
        }
        const file = (out: string) => readFile(join(out, "model.safetensors"));
        expect((await file(simd.out)).equals(await file(js.out))).toBe(true);
      }
    }
  });

  it("linear with normalize computes Σ wᵢ·Wᵢ / Σ wᵢ (the base listed as a model)", async () => {
    const { tensors } = await merge(STREAMING_RECIPES.linear!);
    expectTensors(
      tensors,
      expected((name, i) => (0.3 * ftA.floats.get(name)![i]! + 0.7 * ftB.floats.get(name)![i]! + 0.2 * base.floats.get(name)![i]!) / 1.2),
    );
  });
});

describe("output layout and provenance", () => {
  const yaml = `
merge_method: task_arithmetic
base_model: base
models:
  - model: ftA
    parameters: { weight: 0.5 }
  - model: tvB.safetensors
    parameters: { weight: 0.5 }
  - model: ftIntsDiffer
    parameters: { weight: -0.25 }
`;

  it("splits a small maxShardBytes output into shards plus an index that openCheckpoint reads back", async () => {
    const single = await merge(yaml);
    const sharded = await merge(yaml, { maxShardBytes: 300 });
    const names = (await readdir(sharded.out)).sort();
    const shards = names.filter((n) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(n));
    expect(shards.length).toBeGreaterThan(1);
    expect(names).toEqual(["config.json", "model.safetensors.index.json", ...shards, "tokenizer.json"].sort());
    const index = JSON.parse(await readFile(join(sharded.out, "model.safetensors.index.json"), "utf8"));
    expect(Object.keys(index.weight_map).sort()).toEqual(LLAMA_SPEC.map((t) => t.name).sort());
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(shards));
    const totalBytes = [...single.tensors.values()].reduce((a, t) => a + t.bytes.byteLength, 0);
    expect(index.metadata.total_size).toBe(totalBytes);
    for (const shard of shards) {
      const f = await openSafetensors(join(sharded.out, shard));
      try {
        // at most 300 bytes of tensors per shard, except a larger tensor alone in its own
        const bytes = f.tensors.reduce((a, t) => a + t.byteLength, 0);
        if (f.tensors.length > 1) expect(bytes).toBeLessThanOrEqual(300);
        expect(f.metadata["graft.recipe"]).toBeDefined();
        expect(f.metadata["graft.inputs"]).toBeDefined();
      } finally {
        await f.close();
      }
    }
    // sharded or not, the same tensors
    expect(dataOf(sharded.tensors)).toEqual(dataOf(single.tensors));
    expectTensors(single.tensors, taskArithmetic([[0.5, ftA], [0.5, ftB], [-0.25, ftA]]));
  });

  it("copies config.json and tokenizer.json from the base directory", async () => {
    const { out } = await merge(yaml);
    expect(await readFile(join(out, "config.json"), "utf8")).toBe(CONFIG_JSON);
    expect(await readFile(join(out, "tokenizer.json"), "utf8")).toBe(TOKENIZER_JSON);
    const { out: bare } = await merge(yaml, { copyAuxiliaryFiles: false });
    expect((await readdir(bare)).sort()).toEqual(["model.safetensors"]);
  });

  it("records the recipe and every input's fingerprint in the metadata", async () => {
    const { out, result } = await merge(yaml, { maxShardBytes: 400 });
    const reader = await openCheckpoint(out);
    let metadata: Record<string, string>;
    try {
      metadata = { ...reader.metadata };
    } finally {
      await reader.close();
    }
    expect(metadata["graft.kind"]).toBe("merged-model");
    expect(parseRecipe(metadata["graft.recipe"]!)).toEqual(parseRecipe(yaml));

    const fp = async (dir: string) => {
      const r = await openCheckpoint(join(root, dir));
      try {
        return (await fingerprintCheckpoint(r)).fingerprint;
      } finally {
        await r.close();
      }
    };
    const baseFp = await fp("base");
    const inputs = JSON.parse(metadata["graft.inputs"]!) as { role: string; ref: string; kind: string; fingerprint: string }[];
    expect(inputs.map(({ role, ref, kind }) => ({ role, ref, kind }))).toEqual([
      { role: "base", ref: "base", kind: "checkpoint" },
      { role: "model", ref: "ftA", kind: "checkpoint" },
      { role: "model", ref: "tvB.safetensors", kind: "task-vector" },
      { role: "model", ref: "ftIntsDiffer", kind: "checkpoint" },
    ]);
    expect(inputs[0]!.fingerprint).toBe(baseFp);
    expect(inputs[1]!.fingerprint).toBe(await fp("ftA"));
    expect(inputs[2]!.fingerprint).toBe(baseFp); // a task vector records the foundation it targets
    expect(inputs[3]!.fingerprint).toBe(await fp("ftIntsDiffer"));
    expect(result.baseFingerprint).toBe(baseFp);
    expect(result.inputs.map((i) => i.fingerprint)).toEqual(inputs.map((i) => i.fingerprint));
  });

  it("has room in the header for the provenance of long input paths and many parameters", async () => {
    const long = `${"deeply-nested-directory-name-".repeat(5)}end`;
    await mkdir(join(root, long), { recursive: true });
    for (const name of ["base", "ftA", "ftB", "ftC"]) await cp(join(root, name), join(root, long, name), { recursive: true });
    const filters = Array.from({ length: 12 }, (_, i) => `        - filter: no-such-tensor-${i}\n          value: ${i}`).join("\n");
    const { tensors, out } = await merge(`
merge_method: task_arithmetic
base_model: ${long}/base
models:
  - model: ${long}/ftA
    parameters:
      weight:
${filters}
        - value: 1
  - model: ${long}/ftB
    parameters: { weight: 0 }
  - model: ${long}/ftC
    parameters: { weight: 0 }
`);
    expectTensors(tensors, taskArithmetic([[1, ftA]]));
    const reader = await openCheckpoint(out);
    try {
      expect(JSON.parse(reader.metadata["graft.inputs"]!)).toHaveLength(4);
    } finally {
      await reader.close();
    }
  });
});

describe("tensor hashes remembered between merges", () => {
  const yaml = `
merge_method: task_arithmetic
base_model: base
models:
  - model: ftA
    parameters: { weight: 0.5 }
  - model: tvB.safetensors
    parameters: { weight: 0.5 }
`;
  const checkpointsOnly = `
merge_method: task_arithmetic
base_model: base
models:
  - model: ftA
    parameters: { weight: 0.5 }
`;
  let caches = 0;
  /** A cache of its own that trusts the fixture's files, however recently written. */
  const freshCache = () => {
    const dir = join(root, `hash-cache-${++caches}`);
    return { dir, hashCache: new TensorHashCache(dir, { settleMs: 0 }) };
  };
  const filesOf = async (dir: string) =>
    new Map(await Promise.all((await readdir(dir)).map(async (n) => [n, await readFile(join(dir, n))] as const)));

  it("a merge from remembered hashes writes the same files, fingerprints included", async () => {
    const { dir, hashCache } = freshCache();
    const plain = await merge(yaml);
    const first = await merge(yaml, { hashCache });
    // base and ftA, one file each; a task vector's bytes are not fingerprinted by the merge
    expect(await readdir(dir)).toHaveLength(2);
    const second = await merge(yaml, { hashCache });
    for (const run of [first, second]) {
      expect(run.result.inputs).toEqual(plain.result.inputs);
      expect(await filesOf(run.out)).toEqual(await filesOf(plain.out));
    }
  });

  it("uses an unchanged file's remembered hashes instead of reading it, and checks them like computed ones", async () => {
    const { dir, hashCache } = freshCache();
    await merge(yaml, { hashCache });
    // Forge the base's entry while the file stays as it was: its identity still matches.
    const entries = await Promise.all((await readdir(dir)).map(async (n) => ({ path: join(dir, n), entry: JSON.parse(await readFile(join(dir, n), "utf8")) })));
    const baseEntry = entries.find((e) => e.entry.path === join(root, "base", "model.safetensors"))!;
    const floatTensor = LLAMA_SPEC.find((t) => t.dtype !== "I64")!.name;
    baseEntry.entry.tensors[floatTensor] = "0".repeat(64);
    await writeFile(baseEntry.path, JSON.stringify(baseEntry.entry));

    // the task vector's record of its foundation catches the forged hash
    const { error } = await mergeError(yaml, { hashCache });
    expect(error.code).toBe("FINGERPRINT_MISMATCH");
    expect(error.message).toContain(floatTensor);
    // with checkpoints only, the forged hash shows in the recorded fingerprint: the bytes were not hashed again
    const forged = await merge(checkpointsOnly, { hashCache });
    const honest = await merge(checkpointsOnly);
    expect(forged.result.inputs[0]!.fingerprint).not.toBe(honest.result.inputs[0]!.fingerprint);
    expect(forged.result.inputs[1]!.fingerprint).toBe(honest.result.inputs[1]!.fingerprint);
    expect(dataOf(forged.tensors)).toEqual(dataOf(honest.tensors));
  });
});

describe("validation happens before any tensor data is read", () => {
  async function badModel(): Promise<void> {
    // shape, dtype, missing and extra tensor differences against the base
    const spec = LLAMA_SPEC.filter((t) => t.name !== "model.norm.weight").map((t) =>
      t.name === "model.layers.0.self_attn.q_proj.weight"
        ? { ...t, shape: [4, 16] }
        : t.name === "model.layers.1.input_layernorm.weight"
          ? { ...t, dtype: "BF16" as const }
          : t,
    );
    spec.push({ name: "model.extra.weight", dtype: "F32", shape: [3] });
    await writeModelDir(join(root, "mismatched"), makeBase(5, spec), false);
  }

  it("reports every name, shape and dtype difference as MISMATCH", async () => {
    await badModel();
    const { error, out } = await mergeError(`
merge_method: task_arithmetic
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
  - model: mismatched
    parameters: { weight: 1 }
`);
    expect(error.code).toBe("MISMATCH");
    const details = error.details as string[];
    expect(details).toHaveLength(4);
    for (const needle of ["model.norm.weight", "model.extra.weight", "model.layers.0.self_attn.q_proj.weight", "model.layers.1.input_layernorm.weight"]) {
      expect(error.message).toContain(needle);
      expect(details.some((d) => d.includes(needle))).toBe(true);
    }
    expect(error.message).toMatch(/4 difference/);
    expect(error.message).not.toContain("\n");
    await expectNoOutput(out);
  });

  it("refuses an unknown merge method, listing the accepted names", async () => {
    const { error, out } = await mergeError(`
merge_method: tie
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`);
    expect(error.code).toBe("INVALID_RECIPE");
    expect(error.message).toContain('"tie"');
    for (const name of methodNames()) expect(error.message).toContain(name);
    await expectNoOutput(out);
  });

  it("refuses an unknown parameter, listing the accepted names", async () => {
    for (const [where, yaml] of [
      [
        "per model",
        `
merge_method: ties
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1, densty: 0.5 }
`,
      ],
      [
        "global",
        `
merge_method: ties
base_model: baseCorrupt
parameters: { lamda: 2 }
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`,
      ],
    ]) {
      const { error, out } = await mergeError(yaml!);
      expect(error.code, where).toBe("INVALID_RECIPE");
      expect(error.message).toMatch(/densty|lamda/);
      for (const name of ["weight", "density", "lambda", "normalize"]) expect(error.message).toContain(name);
      await expectNoOutput(out);
    }
  });

  it("refuses a model count the method cannot take", async () => {
    const { error } = await mergeError(`
merge_method: slerp
base_model: baseCorrupt
parameters: { t: 0.5 }
models:
  - model: ftA
  - model: ftB
`);
    expect(error.code).toBe("INVALID_RECIPE");
    expect(error.message).toMatch(/at most 1/);
  });

  it("a task vector made against another foundation of the same structure: FINGERPRINT_MISMATCH and no output", async () => {
    const before = await tmp.list();
    const { error, out } = await mergeError(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvOther.safetensors
    parameters: { weight: 1 }
`);
    expect(error.code).toBe("FINGERPRINT_MISMATCH");
    expect(error.message).toContain("tvOther.safetensors");
    await expectNoOutput(out);
    expect(await tmp.list()).toEqual(before);
  });

  it("a base that differs in its first tensor fails cleanly while later tensors are still streaming", async () => {
    // The per-tensor sha256 check of tensor 1 completes while tensor 2 (large,
    // in many small chunks) is being merged: the failure must surface as the
    // merge's own rejection, never as an unhandled rejection (which crashes a
    // CLI process with a stack trace and skips the cleanup).
    const dir = join(root, "late-check");
    const n = 1 << 20;
    const model = (first: number, second: number) =>
      encodeSafetensors([
        { name: "a.weight", dtype: "F32", shape: [16], bytes: new Uint8Array(new Float32Array(16).map((_, i) => i + first).buffer) },
        { name: "b.weight", dtype: "F32", shape: [n], bytes: new Uint8Array(new Float32Array(n).map((_, i) => (i % 97) / 100 + second).buffer) },
      ]);
    for (const [name, first, second] of [["base", 0, 0], ["ft", 0.5, 1], ["wrongBase", 9, 0]] as const) {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, "model.safetensors"), model(first, second));
    }
    await writeTaskVector(join(dir, "base"), join(dir, "ft"), join(dir, "tv.safetensors"));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    let error: unknown;
    try {
      await runMerge(parseRecipe(`merge_method: task_arithmetic\nbase_model: wrongBase\nmodels:\n  - model: tv.safetensors\n    parameters: { weight: 1 }\n`), {
        baseDir: dir,
        outDir: join(dir, "out"),
        chunkElements: 4096,
      });
    } catch (e) {
      error = e;
    }
    await new Promise((r) => setTimeout(r, 50));
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled.map(String)).toEqual([]);
    expect((error as GraftError).code).toBe("FINGERPRINT_MISMATCH");
    expect((error as GraftError).message).toContain('"a.weight"');
    expect((await readdir(dir)).sort()).toEqual(["base", "ft", "tv.safetensors", "wrongBase"]);
  });

  it("the same is caught from the headers when the base fingerprint is known up front", async () => {
    const reader = await openCheckpoint(join(root, "other"));
    const otherFp = (await fingerprintCheckpoint(reader)).fingerprint;
    await reader.close();
    await expect(
      planMerge(
        parseRecipe(`
merge_method: task_arithmetic
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`),
        { baseDir: root, expectedBaseFingerprint: otherFp },
      ),
    ).rejects.toMatchObject({ code: "FINGERPRINT_MISMATCH" });
  });

  it("task vectors made against two different foundations fail at plan time", async () => {
    const recipe = parseRecipe(`
merge_method: task_arithmetic
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
  - model: tvOther.safetensors
    parameters: { weight: 1 }
`);
    let error: unknown;
    try {
      await planMerge(recipe, { baseDir: root });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraftError);
    expect((error as GraftError).code).toBe("FINGERPRINT_MISMATCH");
    // the plan-time message names both vectors (not a per-tensor data check)
    expect((error as GraftError).message).toContain("tvOther.safetensors");
    expect((error as GraftError).message).toContain("tvA.safetensors");
    expect((error as GraftError).message).not.toMatch(/tensor "/);
    const { error: viaRun, out } = await mergeError(`
merge_method: task_arithmetic
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
  - model: tvOther.safetensors
    parameters: { weight: 1 }
`);
    expect(viaRun.message).toBe((error as GraftError).message);
    await expectNoOutput(out);
  });

  it("the corrupted base is indeed caught once data is read (the control for the tests above)", async () => {
    const { error, out } = await mergeError(`
merge_method: task_arithmetic
base_model: baseCorrupt
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`);
    expect(error.code).toBe("FINGERPRINT_MISMATCH");
    expect(error.message).toMatch(/tensor "/);
    await expectNoOutput(out);
  });

  it("task vectors need a base_model; a task vector cannot be the base", async () => {
    const cases: [string, GraftErrorCode][] = [
      [`merge_method: linear\nmodels:\n  - model: tvA.safetensors\n    parameters: { weight: 1 }\n`, "INVALID_RECIPE"],
      [`merge_method: task_arithmetic\nbase_model: tvA.safetensors\nmodels:\n  - model: ftA\n    parameters: { weight: 1 }\n`, "INVALID_RECIPE"],
    ];
    for (const [yaml, code] of cases) {
      const { error, out } = await mergeError(yaml);
      expect(error.code).toBe(code);
      await expectNoOutput(out);
    }
  });
});

describe("cancellation and existing outputs", () => {
  it("an abort after the first tensor ends in CANCELLED and leaves nothing beside the inputs", async () => {
    const before = await tmp.list();
    const ac = new AbortController();
    const seen: number[] = [];
    const { error, out } = await mergeError(
      `
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`,
      {
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p.tensorsDone);
          if (p.tensorsDone === 1) ac.abort();
        },
      },
    );
    expect(error.code).toBe("CANCELLED");
    expect(seen).toEqual([1]);
    await expectNoOutput(out);
    expect(await tmp.list()).toEqual(before);
  });

  it("refuses a non-empty output directory without overwrite and leaves it intact; overwrite replaces it", async () => {
    const out = join(root, "existing-out");
    await mkdir(out);
    await writeFile(join(out, "keep.txt"), "precious");
    const recipe = parseRecipe(`
merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters: { weight: 1 }
`);
    let error: unknown;
    try {
      await runMerge(recipe, { baseDir: root, outDir: out });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GraftError);
    expect((error as GraftError).code).toBe("INVALID_ARGUMENT");
    expect((error as GraftError).message).toContain(out);
    expect(await readdir(out)).toEqual(["keep.txt"]);
    expect(await readFile(join(out, "keep.txt"), "utf8")).toBe("precious");
    expect((await readdir(root)).filter((n) => n.includes(".partial-") || n.includes(".old-"))).toEqual([]);

    // a merge that fails half-way leaves the old directory as it was, even with overwrite
    let failed: unknown;
    try {
      await runMerge(parseRecipe(`merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: tvOther.safetensors\n    parameters: { weight: 1 }\n`), {
        baseDir: root,
        outDir: out,
        overwrite: true,
      });
    } catch (e) {
      failed = e;
    }
    expect((failed as GraftError).code).toBe("FINGERPRINT_MISMATCH");
    expect(await readdir(out)).toEqual(["keep.txt"]);

    await runMerge(recipe, { baseDir: root, outDir: out, overwrite: true });
    expect((await readdir(out)).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    expectTensors(await readAllTensors(out), taskArithmetic([[1, ftA]]));
    expect((await readdir(root)).filter((n) => n.includes(".partial-") || n.includes(".old-"))).toEqual([]);
  });
});
