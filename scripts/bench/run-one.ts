/**
 * One benchmark job in its own process, so its peak RSS is its own:
 *   floor <out> <input...>      read every input, write an output of the base's size (plain streams)
 *   merge <recipe.yml> <out>    run the merge engine
 * Prints one JSON line: {seconds, maxRssBytes}.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { loadRecipeFile, runMerge } from "@graft/merge";

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
  await rm(out, { recursive: true, force: true });
  const { mkdir } = await import("node:fs/promises");
  await mkdir(out, { recursive: true });
  for (const model of models) for (const f of await shards(model)) await drain(f);
  for (const f of await shards(base!)) {
    await pipeline(createReadStream(f, { highWaterMark: 4 << 20 }), createWriteStream(join(out, f.split("/").pop()!)));
  }
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  const started = process.hrtime.bigint();
  if (mode === "floor") await floor(args[0]!, args.slice(1));
  else if (mode === "merge") {
    const { recipe, baseDir } = await loadRecipeFile(args[0]!);
    await runMerge(recipe, { baseDir, outDir: args[1]!, maxShardBytes: 500_000_000, overwrite: true, chunkElements: process.env.CHUNK ? Number(process.env.CHUNK) : undefined });
  } else throw new Error(`unknown mode ${mode}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

await main();
