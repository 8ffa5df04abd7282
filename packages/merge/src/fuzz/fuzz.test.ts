/**
 * Bounded-time fuzzing of everything that reads untrusted files: valid small
 * checkpoints, a sharded checkpoint and task-vector files (dense, sparse,
 * low-rank) are mutated at random (bit flips, header bytes, the length
 * prefix, truncation, appended bytes, duplicate JSON keys, shuffled offsets,
 * edited tensor entries and metadata, manifests re-fingerprinted to look
 * legitimate, broken shard indexes) and opened and read with openSafetensors,
 * openCheckpoint, openTaskVector (+ readStored/readDelta of every covered
 * tensor), isTaskVectorFile and planMerge (sometimes executed). Each must
 * succeed or throw a GraftError with a known code — never another error,
 * never a hang.
 *
 * The loop runs in a child process (fuzz-runner.fixture.ts) that reports
 * every case before running it; a case that stops reporting for WATCHDOG_MS
 * is a hang, whether a promise never settles or a synchronous loop spins.
 * Deterministic: case i depends only on (seed, i). GRAFT_FUZZ_SEED and
 * GRAFT_FUZZ_MS override the seed and the time budget; a reported case can
 * be replayed with
 *   node --import tsx packages/merge/src/fuzz/fuzz-runner.fixture.ts /tmp/fz <seed> 0 0 <case>
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintFromManifest, GraftError, openTaskVector, planMerge, parseRecipe } from "../index";
import { encodeSafetensors, finetune, makeBase, makeTempDir, writeModelDir, writeTaskVector } from "../engine/merge.fixture";

const SEED = Number(process.env.GRAFT_FUZZ_SEED ?? 20_240_611);
const BUDGET_MS = Number(process.env.GRAFT_FUZZ_MS ?? 4000);
const MAX_CASES = 3000;
const WATCHDOG_MS = 15_000;

const RUNNER = fileURLToPath(new URL("./fuzz-runner.fixture.ts", import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

interface Line {
  case?: number;
  target?: string;
  mutation?: string;
  anomaly?: { case: number; seed: number; target: string; mutation: string; detail: string };
  done?: { seed: number; cases: number; millis: number; total: { ok: number; graft: number; anomalies: number }; counts: Record<string, Record<string, number>> };
  fatal?: string;
}

interface RunResult {
  lines: Line[];
  code: number | null;
  killedAfterSilence: boolean;
  lastLine: string;
  stderr: string;
}

/** Runs a command, killing it when it prints no line for `silenceMs`. */
function runWatched(args: string[], silenceMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const lines: Line[] = [];
    let pending = "";
    let lastLine = "";
    let stderr = "";
    let killedAfterSilence = false;
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        killedAfterSilence = true;
        child.kill("SIGKILL");
      }, silenceMs);
    };
    arm();
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      arm();
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop()!;
      for (const part of parts) {
        if (!part.trim()) continue;
        lastLine = part;
        try {
          lines.push(JSON.parse(part) as Line);
        } catch {
          lines.push({ fatal: `unparsable output: ${part.slice(0, 200)}` });
        }
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ lines, code, killedAfterSilence, lastLine, stderr });
    });
  });
}

let tmp: Awaited<ReturnType<typeof makeTempDir>>;

beforeAll(async () => {
  tmp = await makeTempDir("graft-fuzz-");
});
afterAll(async () => {
  await tmp?.cleanup();
});

describe("fuzzing the readers and the planner with mutated files", () => {
  it("the watchdog catches a process that stops reporting (even in a synchronous loop)", async () => {
    const r = await runWatched(["-e", 'console.log(JSON.stringify({case: 0})); for (;;) {}'], 500);
    expect(r.killedAfterSilence).toBe(true);
    expect(r.lines).toEqual([{ case: 0 }]);
  });

  it(`every mutated input opens and reads, or fails with a GraftError (seed ${SEED}, ${BUDGET_MS} ms or ${MAX_CASES} cases)`, async () => {
    const r = await runWatched(["--import", TSX, RUNNER, join(tmp.dir, "work"), String(SEED), String(BUDGET_MS), String(MAX_CASES)], WATCHDOG_MS);
    const fatal = r.lines.filter((l) => l.fatal).map((l) => l.fatal);
    expect(fatal, r.stderr).toEqual([]);
    expect(r.killedAfterSilence, `hang: no progress for ${WATCHDOG_MS} ms after ${r.lastLine}`).toBe(false);
    expect(r.code, r.stderr).toBe(0);

    const anomalies = r.lines.filter((l) => l.anomaly).map((l) => l.anomaly!);
    expect(anomalies, "operations that threw something other than a GraftError, or hung").toEqual([]);

    const done = r.lines.find((l) => l.done)?.done;
    expect(done).toBeDefined();
    const { total, counts, cases } = done!;
    // Record the outcome counts in the test output.
    console.info(`fuzz seed ${SEED}: ${cases} cases in ${done!.millis} ms; ${total.ok} ok, ${total.graft} GraftError;`, JSON.stringify(counts));
    expect(cases).toBeGreaterThanOrEqual(50);
    expect(total.anomalies).toBe(0);
    // both outcomes occurred: the mutations are neither all harmless nor all fatal
    expect(total.ok).toBeGreaterThan(0);
    expect(total.graft).toBeGreaterThan(0);
    for (const op of ["openSafetensors", "openTaskVector", "planMerge"]) {
      const c = counts[op] ?? {};
      expect(c.ok ?? 0, `${op} succeeded at least once`).toBeGreaterThan(0);
      expect(Object.keys(c).filter((k) => k.startsWith("graft:")).length, `${op} refused at least once`).toBeGreaterThan(0);
    }
  });
});

/**
 * Hand-made hostile task vectors: every header field consistent, the
 * foundation fingerprint recomputed from the edited manifest, and a manifest
 * entry for a tensor too large to materialise. Random mutation rarely builds
 * these, so they are spelled out.
 */
describe("crafted task vectors whose manifest claims an enormous tensor", () => {
  let meta: Record<string, string>;
  let root: string;

  beforeAll(async () => {
    root = join(tmp.dir, "crafted");
    await mkdir(root, { recursive: true });
    const base = makeBase(3);
    await writeModelDir(join(root, "base"), base);
    await writeModelDir(join(root, "ft"), finetune(base, 4), false);
    await writeTaskVector(join(root, "base"), join(root, "ft"), join(root, "tv.safetensors"), { kind: "sparse", density: 0.25 });
    const tv = await openTaskVector(join(root, "tv.safetensors"));
    meta = { ...tv.metadata };
    await tv.close();
  });

  async function craft(label: string, tensors: Parameters<typeof encodeSafetensors>[0], shape: number[]): Promise<string> {
    const manifest = { w: ["F32", shape, "0".repeat(64)] as const };
    const m: Record<string, string> = { ...meta, "graft.foundation.manifest": JSON.stringify(manifest) };
    m["graft.foundation.fingerprint"] = fingerprintFromManifest({ w: { dtype: "F32", shape, sha256: "0".repeat(64) } });
    const path = join(root, `${label}.safetensors`);
    await writeFile(path, encodeSafetensors(tensors, m));
    return path;
  }

  async function readAll(path: string): Promise<unknown> {
    try {
      const tv = await openTaskVector(path);
      try {
        for (const name of tv.coveredTensors) await tv.readDelta(name);
      } finally {
        await tv.close();
      }
      return "ok";
    } catch (e) {
      return e;
    }
  }

  const cases: [string, Parameters<typeof encodeSafetensors>[0], number[]][] = [
    [
      "sparse, I64 indices, 2^40 elements",
      [
        { name: "w::indices", dtype: "I64", shape: [1], bytes: new Uint8Array(new BigInt64Array([5n]).buffer) },
        { name: "w::values", dtype: "F32", shape: [1], bytes: new Uint8Array(new Float32Array([1]).buffer) },
      ],
      [2 ** 40],
    ],
    [
      "low-rank of rank 0, 2^20 × 2^20",
      [
        { name: "w::up", dtype: "F32", shape: [2 ** 20, 0], bytes: new Uint8Array(0) },
        { name: "w::down", dtype: "F32", shape: [0, 2 ** 20], bytes: new Uint8Array(0) },
      ],
      [2 ** 20, 2 ** 20],
    ],
  ];
  for (const [label, tensors, shape] of cases) {
    it(`${label}: readDelta fails with a GraftError, not a RangeError`, async () => {
      const path = await craft(label.replace(/\W+/g, "-"), tensors, shape);
      const outcome = await readAll(path);
      expect(outcome, `got ${String(outcome)}`).toBeInstanceOf(GraftError);
    });
  }

  it("the planner refuses such a vector against a real base without reading it (MISMATCH)", async () => {
    const [, tensors, shape] = cases[0]!;
    const path = await craft("plan-sparse", tensors, shape);
    await expect(
      planMerge(parseRecipe(`merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: ${JSON.stringify(path)}\n    parameters: { weight: 1 }\n`), { baseDir: root }),
    ).rejects.toMatchObject({ code: "MISMATCH" });
  });
});
