/**
 * One benchmark job in its own process, so its peak RSS is its own:
 *   floor <out> <input...>      read every input, write an output of the base's size (plain streams)
 *   merge <recipe.yml> <out> [hash-cache-dir]
 *                               run the merge engine (remembering tensor hashes in the directory, when given)
 * Prints one JSON line: {seconds, maxRssBytes}. CHUNK and RETAIN in the
 * environment override the engine's chunkElements and retainBytes.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { loadRecipeFile, runMerge, TensorHashCache } from "@graft/merge";

async function shards(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith(".safetensors")).sort().map((f) => join(dir, f));
}

async function drain(file: string): Promise<void> {
  for await (const _ of createReadStream(file, { highWaterMark: 4 << 20 })) {
    // read and discard
  }
}

async function floor(out: string, inputs: string[]): Promise<void> {
  const [base, ...models] = inputs;
  await mkdir(out, { recursive: true });
  for (const model of models) for (const f of await shards(model)) await drain(f);
  for (const f of await shards(base!)) {
    await pipeline(createReadStream(f, { highWaterMark: 4 << 20 }), createWriteStream(join(out, f.split("/").pop()!)));
  }
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  // Every job starts without an output: the memory a previous output held is
  // then free for this one's page cache, the same for every job.
  await rm(mode === "floor" ? args[0]! : args[1]!, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  if (mode === "floor") await floor(args[0]!, args.slice(1));
  else if (mode === "merge") {
    const { recipe, baseDir } = await loadRecipeFile(args[0]!);
    const hashCache = args[2] ? new TensorHashCache(args[2]) : null;
    await runMerge(recipe, { baseDir, outDir: args[1]!, maxShardBytes: 500_000_000, overwrite: true, hashCache, retainBytes: process.env.RETAIN ? Number(process.env.RETAIN) : undefined, chunkElements: process.env.CHUNK ? Number(process.env.CHUNK) : undefined });
  } else throw new Error(`unknown mode ${mode}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

await main();
