/**
 * `pnpm bench:merge`: times the merge engine against the I/O floor on
 * synthetic Llama-shaped BF16 checkpoints (a base and three fine-tunes) at
 * two sizes, and prints wall time, ratio to the floor and peak RSS.
 *
 *   pnpm bench:merge [--sizes 1,4] [--dir data/bench]
 *
 * Size 1 is ~1.1 GB per checkpoint (8 layers); size 4 has 4× the layers with
 * the same largest tensor, showing that memory does not grow with the model.
 * Generated checkpoints are kept for later runs; outputs are deleted.
 *
 * Each merge runs twice: first with an empty tensor hash cache, so every
 * input byte is hashed for the fingerprints ("inputs hashed"), then again
 * with the hashes that run remembered ("hashes remembered"), as when a base
 * is merged again.
 *
 * Wall times on a shared or virtual machine vary by a fifth from run to run:
 * every job runs `--runs` times, interleaved with the others, and the table
 * shows its best time and its highest peak RSS.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { llamaTensors, totalBytes, writeSynthetic, type LlamaShape } from "./synthetic";

const opts = new Command()
  .option("--sizes <list>", "model sizes, in multiples of the 1 GB configuration", "1,4")
  .option("--dir <dir>", "where checkpoints are generated", "data/bench")
  .option("--runs <n>", "runs of every job (best time, highest RSS)", "3")
  .parse()
  .opts<{ sizes: string; dir: string; runs: string }>();
const runs = Math.max(1, Number(opts.runs) || 1);

const root = resolve(opts.dir);
const MB = 1024 * 1024;

interface Row {
  size: string;
  job: string;
  seconds: number;
  ratio: number;
  /** ties: time over task_arithmetic's in the same hash-cache state. */
  vsTaskArithmetic?: number;
  rssMb: number;
  budgetMb: number;
}

function runJob(args: string[]): { seconds: number; maxRssBytes: number } {
  const out = execFileSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, "run-one.ts"), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!);
}

const rows: Row[] = [];
for (const size of opts.sizes.split(",").map(Number)) {
  const cfg: LlamaShape = { hidden: 2048, intermediate: 5632, layers: 8 * size, vocab: 32000 };
  const tensors = llamaTensors(cfg);
  const bytes = totalBytes(tensors);
  const largest = Math.max(...tensors.map((t) => t.shape.reduce((a, b) => a * b, 1) * 2));
  const dir = join(root, `llama-${size}x`);
  mkdirSync(dir, { recursive: true });
  const names = ["base", "ft1", "ft2", "ft3"];
  process.stderr.write(`size ${size}: ${(bytes / 1e9).toFixed(2)} GB per checkpoint, largest tensor ${(largest / MB).toFixed(0)} MiB; generating…\n`);
  for (let v = 0; v < names.length; v++) await writeSynthetic(join(dir, names[v]!), tensors, v, 500_000_000);

  const recipe = (method: string, extra: string) =>
    [
      `merge_method: ${method}`,
      "base_model: ./base",
      "models:",
      ...names.slice(1).map((n) => `  - model: ./${n}\n    parameters: { weight: 0.5${extra} }`),
      "dtype: bfloat16",
      "random_seed: 1",
    ].join("\n");
  writeFileSync(join(dir, "task_arithmetic.yml"), recipe("task_arithmetic", ""));
  writeFileSync(join(dir, "ties.yml"), recipe("ties", ", density: 0.2"));

  const out = join(dir, "out");
  const budget = (3 * largest + 200 * MB) / MB;
  const floorArgs = ["floor", out, ...names.map((n) => join(dir, n))];
  const hashCache = join(dir, "hash-cache");
  const jobs = [
    { method: "floor", cache: "" },
    ...["task_arithmetic", "ties"].flatMap((method) => ["inputs hashed", "hashes remembered"].map((cache) => ({ method, cache }))),
  ].map((job) => ({ ...job, seconds: Infinity, maxRssBytes: 0 }));
  for (let run = 1; run <= runs; run++) {
    for (const job of jobs) {
      process.stderr.write(`size ${size}, run ${run}/${runs}: ${job.method}${job.cache ? `, ${job.cache}` : ""}…\n`);
      if (job.cache === "inputs hashed") rmSync(hashCache, { recursive: true, force: true });
      const result = runJob(job.method === "floor" ? floorArgs : ["merge", join(dir, `${job.method}.yml`), out, hashCache]);
      job.seconds = Math.min(job.seconds, result.seconds);
      job.maxRssBytes = Math.max(job.maxRssBytes, result.maxRssBytes);
    }
  }
  const [floor, ...merges] = jobs;
  rows.push({ size: `${size}× (${(bytes / 1e9).toFixed(1)} GB)`, job: "I/O floor", seconds: floor!.seconds, ratio: 1, rssMb: floor!.maxRssBytes / MB, budgetMb: budget });
  for (const r of merges) {
    const taskArithmetic = merges.find((m) => m.method === "task_arithmetic" && m.cache === r.cache)!;
    rows.push({
      size: "",
      job: `${r.method === "ties" ? "ties (density 0.2)" : r.method}, ${r.cache}`,
      seconds: r.seconds,
      ratio: r.seconds / floor!.seconds,
      vsTaskArithmetic: r.method === "ties" ? r.seconds / taskArithmetic.seconds : undefined,
      rssMb: r.maxRssBytes / MB,
      budgetMb: budget,
    });
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(hashCache, { recursive: true, force: true });
}

const header = ["size", "job", "wall s", "× floor", "× task_arithmetic", "peak RSS MiB", "RSS budget MiB"];
const body = rows.map((r) => [r.size, r.job, r.seconds.toFixed(2), r.ratio.toFixed(2), r.vsTaskArithmetic?.toFixed(2) ?? "", r.rssMb.toFixed(0), r.budgetMb.toFixed(0)]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const b of body) console.log(line(b));
console.log(`\nBest wall time and highest peak RSS of ${runs} run(s) per job.`);
console.log("Targets: task_arithmetic ≤ 1.3× floor; ties ≤ 2× task_arithmetic; peak RSS ≤ 3 × largest tensor + 200 MiB.");
