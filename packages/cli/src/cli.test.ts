/**
 * The `graft` CLI as a user runs it: a child process (node --import tsx
 * packages/cli/src/main.ts …) in a temp working directory, on real files.
 * Checks what it prints (text and --json), what it writes, and its failure
 * contract: exit code ≠ 0 and exactly one stderr line "graft: …" naming the
 * culprit, never a stack trace. Each process costs about a second of CPU,
 * so the tests are independent of each other and run concurrently.
 */
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { fingerprintCheckpoint, openCheckpoint, openTaskVector } from "@graft/merge";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeValues,
  finetune,
  LLAMA_SPEC,
  makeBase,
  makeTempDir,
  numel,
  readAllTensors,
  writeModelDir,
  writeTaskVector,
  type FixtureModel,
} from "../../merge/src/engine/merge.fixture";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let cwd: string;

const base = makeBase(31);
const ftA = finetune(base, 32);
const ftB = finetune(base, 33);
const other = makeBase(34);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** At most this many CLI processes at once: more only thrash a small machine. */
const MAX_PROCESSES = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function graft(...args: string[]): Promise<Run> {
  return graftWithEnv({}, ...args);
}

async function graftWithEnv(extraEnv: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  if (running >= MAX_PROCESSES) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await spawnGraft(args, extraEnv);
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnGraft(args: string[], extraEnv: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, GRAFT_CONFIG_DIR: join(cwd, ".graft-config"), HOME: cwd, NO_COLOR: "1", ...extraEnv };
    delete env.GRAFT_URL;
    delete env.GRAFT_TOKEN;
    const child = spawn(process.execPath, ["--import", TSX, MAIN, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function json<T = Record<string, unknown>>(r: Run): T {
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** The failure contract: non-zero exit, one stderr line "graft: …" containing every needle, no stack trace. */
function expectOneLineError(r: Run, ...needles: string[]): void {
  expect(r.code, r.stderr).not.toBe(0);
  expect(r.code).not.toBeNull();
  expect(r.stderr.endsWith("\n"), JSON.stringify(r.stderr)).toBe(true);
  const lines = r.stderr.slice(0, -1).split("\n");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^graft: \S/);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  for (const n of needles) expect(lines[0]).toContain(n);
}

async function libFingerprint(path: string): Promise<string> {
  const r = await openCheckpoint(path);
  try {
    return (await fingerprintCheckpoint(r)).fingerprint;
  } finally {
    await r.close();
  }
}

const PARAMS = LLAMA_SPEC.reduce((a, t) => a + numel(t.shape), 0);
const BYTES = LLAMA_SPEC.reduce((a, t) => a + numel(t.shape) * { F32: 4, BF16: 2, F16: 2, I64: 8 }[t.dtype], 0);
const RECIPE = `merge_method: task_arithmetic
base_model: base
models:
  - model: tvA.safetensors
    parameters:
      weight: 0.5
  - model: ftB
    parameters:
      weight: -1
`;

beforeAll(async () => {
  tmp = await makeTempDir("graft-cli-");
  cwd = tmp.dir;
  await writeModelDir(join(cwd, "base"), base);
  await writeModelDir(join(cwd, "ftA"), ftA, false);
  await writeModelDir(join(cwd, "ftB"), ftB, false);
  await writeModelDir(join(cwd, "other"), other, false);
  await writeModelDir(join(cwd, "otherFt"), finetune(other, 35), false);
  // made with the library; the CLI's own extract is tested below
  await writeTaskVector(join(cwd, "base"), join(cwd, "ftA"), join(cwd, "tvA.safetensors"));
  await writeTaskVector(join(cwd, "base"), join(cwd, "ftB"), join(cwd, "tvB.safetensors"));
  await writeTaskVector(join(cwd, "other"), join(cwd, "otherFt"), join(cwd, "tvOther.safetensors"));
  await writeFile(join(cwd, "recipe.yaml"), RECIPE);
  await writeFile(join(cwd, "garbage.safetensors"), "this is not a safetensors file at all");
  await writeFile(join(cwd, "model.bin"), new Uint8Array([0x80, 0x02, 0x7d, 0x71]));
});

afterAll(async () => {
  await tmp?.cleanup();
});

describe.concurrent("graft merge", () => {
  it("--dry-run prints the plan and writes nothing", async () => {
    const [text, asJson] = await Promise.all([graft("merge", "recipe.yaml", "--dry-run", "-o", "dry-out"), graft("merge", "recipe.yaml", "--dry-run", "--json")]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("plan: task_arithmetic of 2 model(s) onto base");
    expect(text.stdout).toMatch(/task-vector\s+tvA\.safetensors/);
    expect(text.stdout).toMatch(/checkpoint\s+ftB/);
    expect(text.stdout).toContain(`${LLAMA_SPEC.length} tensors (9 merged, 1 carried through)`);
    expect(json(asJson)).toEqual({
      method: "task_arithmetic",
      base: "base",
      models: [
        { ref: "tvA.safetensors", kind: "task-vector" },
        { ref: "ftB", kind: "checkpoint" },
      ],
      tensors: LLAMA_SPEC.length,
      merged: 9,
      copied: 1,
      outputBytes: BYTES,
      foundationFingerprint: await libFingerprint(join(cwd, "base")),
    });
    expect((await readdir(cwd)).filter((n) => n.startsWith("dry-out"))).toEqual([]);
  });

  it("remembers the inputs' tensor hashes in $GRAFT_HASH_CACHE, unless --no-hash-cache", async () => {
    // The cache records only files whose times are old enough to show a later write (2 s).
    const newest = Math.max(...(await Promise.all(["base", "ftB"].map(async (d) => (await stat(join(cwd, d, "model.safetensors"))).ctimeMs))));
    await sleep(Math.max(0, newest + 2100 - Date.now()));
    const env = { GRAFT_HASH_CACHE: join(cwd, "hash-cache") };
    const uncached = json<{ inputs: unknown[] }>(await graftWithEnv(env, "merge", "recipe.yaml", "-o", "merged-uncached", "--json", "--no-hash-cache"));
    await expect(readdir(env.GRAFT_HASH_CACHE)).rejects.toThrow(/ENOENT/);
    for (const out of ["merged-cached-1", "merged-cached-2"]) {
      const cached = json<{ inputs: unknown[] }>(await graftWithEnv(env, "merge", "recipe.yaml", "-o", out, "--json"));
      expect(cached.inputs).toEqual(uncached.inputs);
    }
    const entries = await Promise.all((await readdir(env.GRAFT_HASH_CACHE)).map(async (n) => JSON.parse(await readFile(join(env.GRAFT_HASH_CACHE, n), "utf8")).path));
    expect(entries.sort()).toEqual([join(cwd, "base", "model.safetensors"), join(cwd, "ftB", "model.safetensors")]);
  });

  it("writes the merged model (base + 0.5·τA − τB), refuses to overwrite it without --overwrite", async () => {
    const r = await graft("merge", "recipe.yaml", "-o", "merged", "--json");
    const result = json<{ outDir: string; tensors: number; inputs: { role: string; ref: string; kind: string; fingerprint: string }[] }>(r);
    expect(result.outDir).toBe("merged");
    expect(result.tensors).toBe(LLAMA_SPEC.length);
    expect(result.inputs.map((i) => `${i.role}:${i.kind}:${i.ref}`)).toEqual(["base:checkpoint:base", "model:task-vector:tvA.safetensors", "model:checkpoint:ftB"]);
    expect(result.inputs[2]!.fingerprint).toBe(await libFingerprint(join(cwd, "ftB")));
    expect((await readdir(join(cwd, "merged"))).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);

    const got = await readAllTensors(join(cwd, "merged"));
    const want = (m: FixtureModel, name: string, i: number) => m.floats.get(name)![i]!;
    for (const t of LLAMA_SPEC) {
      const g = got.get(t.name)!;
      expect(g.dtype).toBe(t.dtype);
      if (t.dtype === "I64") continue;
      const values = decodeValues(g.dtype, g.bytes);
      values.forEach((v, i) => {
        const b = want(base, t.name, i);
        const e = b + 0.5 * (want(ftA, t.name, i) - b) - (want(ftB, t.name, i) - b);
        expect(Math.abs(v - e)).toBeLessThanOrEqual(1e-6 + (t.dtype === "BF16" ? 2 ** -8 * Math.abs(e) : 0));
      });
    }

    const again = await graft("merge", "recipe.yaml", "-o", "merged");
    expectOneLineError(again, "merged", "--overwrite");
    const a = await readAllTensors(join(cwd, "merged"));
    const replaced = await graft("merge", "recipe.yaml", "-o", "merged", "--overwrite", "--shard-size", "300B");
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/^wrote merged: 10 tensors/);
    const names = await readdir(join(cwd, "merged"));
    expect(names).toContain("model.safetensors.index.json");
    expect(names).not.toContain("model.safetensors");
    expect(names.filter((n) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(n)).length).toBeGreaterThan(1);
    const b = await readAllTensors(join(cwd, "merged"));
    for (const [name, t] of a) expect(Buffer.from(b.get(name)!.bytes).equals(Buffer.from(t.bytes)), name).toBe(true);
    // config and tokenizer come from the base directory
    for (const f of ["config.json", "tokenizer.json"]) {
      expect(await readFile(join(cwd, "merged", f), "utf8")).toBe(await readFile(join(cwd, "base", f), "utf8"));
    }
  });
});

describe.concurrent("graft inspect and fingerprint", () => {
  it("inspect prints the tensor count, parameter count, size and dtypes, as text and as JSON", async () => {
    const [text, asJson] = await Promise.all([graft("inspect", "base", "--tensors", "3"), graft("inspect", "base/model.safetensors", "--json", "--fingerprint")]);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe("");
    expect(text.stdout).toMatch(/^base: checkpoint, 1 file\(s\)/);
    expect(text.stdout).toMatch(/size\s+\S+ KiB/);
    expect(text.stdout).toMatch(/dtypes\s+.*BF16×3/);
    expect(text.stdout).toMatch(new RegExp(`tensors\\s+${LLAMA_SPEC.length}\\n`));
    expect(text.stdout).toMatch(new RegExp(`parameters\\s+\\S+ \\(${PARAMS}\\)`));
    // the first 3 tensors in name order, then how many more there are
    const sorted = LLAMA_SPEC.map((t) => t.name).sort();
    for (const name of sorted.slice(0, 3)) expect(text.stdout).toContain(name);
    expect(text.stdout).not.toContain(sorted[3]);
    expect(text.stdout).toContain(`… ${LLAMA_SPEC.length - 3} more`);

    const v = json<{ kind: string; fingerprint: string; tensors: number; parameters: number; sizeBytes: number; dtypes: Record<string, number>; tensorList: { name: string; dtype: string; shape: number[]; bytes: number }[]; metadata: Record<string, string> }>(asJson);
    expect(v.kind).toBe("checkpoint");
    expect(v.tensors).toBe(LLAMA_SPEC.length);
    expect(v.parameters).toBe(PARAMS);
    expect(v.parameters).toBe(420); // 80 + 80 + 2·(8 + 48 + 64) + 8 + 12
    expect(v.sizeBytes).toBe(BYTES);
    expect(v.dtypes).toEqual({ BF16: 3, F32: 6, I64: 1 });
    expect(v.metadata).toEqual({ format: "pt" });
    expect(v.fingerprint).toBe(await libFingerprint(join(cwd, "base")));
    expect(v.tensorList.map((t) => t.name).sort()).toEqual(LLAMA_SPEC.map((t) => t.name).sort());
    const ids = v.tensorList.find((t) => t.name === "model.position_ids")!;
    expect(ids).toEqual({ name: "model.position_ids", dtype: "I64", shape: [1, 12], bytes: 96 });
  });

  it("fingerprint prints the same fingerprint as the library, for a directory and its file", async () => {
    const expected = await libFingerprint(join(cwd, "base"));
    expect(expected).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [dir, asJson] = await Promise.all([graft("fingerprint", "base"), graft("fingerprint", "base/model.safetensors", "--json")]);
    expect(dir.stderr).toBe("");
    expect(dir.stdout).toBe(`${expected}\n`);
    expect(json(asJson)).toEqual({ path: "base/model.safetensors", fingerprint: expected });
  });
});

describe.concurrent("graft extract", () => {
  it("writes a task vector that inspect describes as such", async () => {
    const extracted = json<{ out: string; fingerprint: string; tensors: number; deltaDtype: string; relativeError: number }>(
      await graft("extract", "--base", "base", "--finetuned", "ftA", "-o", "tv-cli.safetensors", "--json"),
    );
    const baseFp = await libFingerprint(join(cwd, "base"));
    expect(extracted.out).toBe("tv-cli.safetensors");
    expect(extracted.fingerprint).toBe(baseFp);
    expect(extracted.tensors).toBe(LLAMA_SPEC.length - 1); // every float tensor; the I64 one carries no delta
    expect(extracted.deltaDtype).toBe("F32"); // mixed F32/BF16 base
    expect(extracted.relativeError).toBe(0);

    const [text, asJson, sparse] = await Promise.all([
      graft("inspect", "tv-cli.safetensors"),
      graft("inspect", "tv-cli.safetensors", "--json"),
      graft("extract", "--base", "base", "--finetuned", "ftA", "-o", "tv-sparse.safetensors", "--encoding", "sparse", "--density", "0.25"),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^tv-cli\.safetensors: task vector\n/);
    expect(text.stdout).toContain(baseFp);
    const v = json<{ kind: string; foundationFingerprint: string; encoding: string; coveredTensors: number; foundationTensors: number; deltaDtype: string }>(asJson);
    expect(v).toMatchObject({ kind: "task-vector", foundationFingerprint: baseFp, encoding: "dense", coveredTensors: 9, foundationTensors: 10, deltaDtype: "F32" });

    expect(sparse.code, sparse.stderr).toBe(0);
    expect(sparse.stdout).toMatch(/^wrote tv-sparse\.safetensors\n/);
    expect(sparse.stdout).toMatch(/encoding\s+sparse/);
    const tv = await openTaskVector(join(cwd, "tv-sparse.safetensors"));
    try {
      expect(tv.encoding).toBe("sparse");
      expect(tv.encodingParams.density).toBe(0.25);
    } finally {
      await tv.close();
    }
  });
});

describe.concurrent("graft interference", () => {
  it("--json reports the vectors, the pair's figures and a verdict; cosine is the plain formula", async () => {
    const report = json<{
      fingerprint: string;
      topFraction: number;
      vectors: { index: number; path: string; label: string; encoding: string; coveredTensors: number; norm: number; maskSize: number }[];
      tensors: number;
      pairs: { a: number; b: number; label: string; cosine: number; overlap: number; jaccard: number; signConflictRate: number; verdict: { level: string; message: string }; layers: unknown[] }[];
      overall: { level: string; message: string; pairs: string[] };
    }>(await graft("interference", "tvA.safetensors", "tvB.safetensors", "--json", "--top", "0.3"));
    expect(report.fingerprint).toBe(await libFingerprint(join(cwd, "base")));
    expect(report.topFraction).toBe(0.3);
    expect(report.tensors).toBe(9);
    expect(report.vectors.map((v) => [v.index, v.path, v.label, v.encoding, v.coveredTensors])).toEqual([
      [0, "tvA.safetensors", "tvA.safetensors", "dense", 9],
      [1, "tvB.safetensors", "tvB.safetensors", "dense", 9],
    ]);
    expect(report.pairs).toHaveLength(1);
    const pair = report.pairs[0]!;
    expect([pair.a, pair.b]).toEqual([0, 1]);
    for (const k of ["cosine", "overlap", "jaccard", "signConflictRate"] as const) expect(typeof pair[k]).toBe("number");
    expect(pair.overlap).toBeGreaterThanOrEqual(0);
    expect(pair.overlap).toBeLessThanOrEqual(1);
    expect(pair.jaccard).toBeLessThanOrEqual(pair.overlap);
    expect(["independent", "aligned", "partial", "conflicting"]).toContain(pair.verdict.level);
    expect(pair.layers.length).toBeGreaterThan(0);
    expect(report.overall.level).toBe(pair.verdict.level);

    // cosine and norms from the fixture values: τ = ft − base over every float tensor
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (const [name, b] of base.floats) {
      b.forEach((bv, i) => {
        const ta = ftA.floats.get(name)![i]! - bv;
        const tb = ftB.floats.get(name)![i]! - bv;
        dot += ta * tb;
        na += ta * ta;
        nb += tb * tb;
      });
    }
    expect(pair.cosine).toBeCloseTo(dot / Math.sqrt(na * nb), 5);
    expect(report.vectors[0]!.norm).toBeCloseTo(Math.sqrt(na), 5);
    expect(report.vectors[1]!.norm).toBeCloseTo(Math.sqrt(nb), 5);
  });
});

describe.concurrent("failures: one stderr line, non-zero exit, no stack trace", () => {
  it("names the missing or broken file", async () => {
    const runs = await Promise.all([
      graft("inspect", "missing.safetensors"),
      graft("inspect", "garbage.safetensors"),
      graft("fingerprint", "model.bin"),
      graft("merge", "no-recipe.yaml", "--dry-run"),
      graft("interference", "tvA.safetensors", "tvOther.safetensors"),
    ]);
    expectOneLineError(runs[0]!, "missing.safetensors");
    expectOneLineError(runs[1]!, "garbage.safetensors");
    expectOneLineError(runs[2]!, "model.bin", "pickle");
    expectOneLineError(runs[3]!, "no-recipe.yaml");
    expectOneLineError(runs[4]!, "tvOther.safetensors");
  });

  it("names the bad recipe key, parameter or option", async () => {
    await mkdir(join(cwd, "recipes"), { recursive: true });
    await writeFile(join(cwd, "recipes", "unknown-param.yaml"), RECIPE.replace("weight: -1", "weight: -1\n      densty: 0.5").replace(/model: /g, "model: ../"));
    await writeFile(join(cwd, "recipes", "unknown-key.yaml"), `${RECIPE}slices: []\n`);
    await writeFile(join(cwd, "recipes", "missing-model.yaml"), RECIPE.replace(/model: /g, "model: ../").replace("ftB", "ftZ"));
    await writeFile(join(cwd, "recipes", "yaml-error.yaml"), "merge_method: [unclosed\n");
    const runs = await Promise.all([
      graft("merge", "recipes/unknown-param.yaml", "--dry-run"),
      graft("merge", "recipes/unknown-key.yaml", "--dry-run"),
      graft("merge", "recipes/missing-model.yaml", "--dry-run"),
      graft("merge", "recipes/yaml-error.yaml", "--dry-run"),
      graft("merge", "recipe.yaml", "-o", "out-x", "--shard-size", "lots"),
      graft("merge", "recipe.yaml"),
      graft("extract", "--base", "base", "--finetuned", "ftA", "-o", "y.safetensors", "--encoding", "zip"),
      graft("interference", "tvA.safetensors", "tvB.safetensors", "--top", "0"),
    ]);
    expectOneLineError(runs[0]!, "densty");
    expectOneLineError(runs[1]!, "slices");
    expectOneLineError(runs[2]!, "ftZ");
    expectOneLineError(runs[3]!, "yaml-error.yaml");
    expectOneLineError(runs[4]!, "lots");
    expectOneLineError(runs[5]!, "--out");
    expectOneLineError(runs[6]!, "--encoding", "zip");
    expectOneLineError(runs[7]!, "--top");
    const names = await readdir(cwd);
    expect(names.filter((n) => n.startsWith("out-x") || n === "y.safetensors")).toEqual([]);
  });

  it("pull and publish without a login say so in one line", async () => {
    const [pull, publish] = await Promise.all([
      graft("pull", "team/vector"),
      graft("publish", "tvA.safetensors", "--team", "team", "--foundation", "llama", "--vector", "vec", "--version", "1.0.0"),
    ]);
    expectOneLineError(pull, "not logged in");
    expectOneLineError(publish, "not logged in");
  });

  it("usage errors (commander) exit with 2 and print one line naming the missing option", async () => {
    const r = await graft("extract", "--base", "base");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("graft: required option '--finetuned <path>' not specified\n");
  });

  it("an unknown command exits with 2 and one line", async () => {
    const r = await graft("frobnicate");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("graft: unknown command 'frobnicate'\n");
  });
});
