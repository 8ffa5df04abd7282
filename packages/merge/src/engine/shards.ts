/**
 * Shard-wise execution, for merges spread over several workers: each worker
 * computes one output shard (the same split as a whole run) into a file of
 * its own and returns the input hashes it saw; assembly combines the hashes
 * into the input fingerprints, patches the final metadata into every shard and
 * publishes the directory. The result is byte-identical to executePlan's.
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { GraftError } from "../errors";
import { createSafetensorsWriter, DEFAULT_MAX_SHARD_BYTES, INDEX_FILE_NAME, planShards, rewriteMetadata, shardIndexJson, syncDirectory, type ShardPlan } from "../safetensors";
import { checkBaseFingerprint, inputRecords, outputMetadata, planInputs, streamTensors, type MergeResult, type StreamOptions, type TensorHashes } from "./execute";
import type { MergePlan } from "./plan";

/** The output shards of a plan, as executePlan would write them. */
export function planOutputShards(plan: MergePlan, maxShardBytes = DEFAULT_MAX_SHARD_BYTES): ShardPlan[] {
  return planShards(plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })), maxShardBytes);
}

export interface ShardOptions extends StreamOptions {
  shardIndex: number;
  /** Where the shard file is written (created only when complete). */
  outFile: string;
  maxShardBytes?: number;
  /** Extra `__metadata__` entries, as given to executePlan (they size the header). */
  metadata?: Record<string, string>;
}

/** One computed shard: its file and the sha256 of every input tensor that streamed by. */
export interface ShardPart {
  shardIndex: number;
  file: string;
  hashes: TensorHashes;
}

export async function executeShard(plan: MergePlan, options: ShardOptions): Promise<ShardPart> {
  const shards = planOutputShards(plan, options.maxShardBytes);
  const shard = shards[options.shardIndex];
  if (!Number.isInteger(options.shardIndex) || !shard) {
    throw new GraftError("INVALID_ARGUMENT", `shard ${options.shardIndex} does not exist: the output has ${shards.length} shard(s)`);
  }
  const first = plan.tensors.findIndex((t) => t.name === shard.tensors[0]?.name);
  const tensors = shard.tensors.length === 0 ? [] : plan.tensors.slice(first, first + shard.tensors.length);
  const { reserveMetadataBytes } = outputMetadata(plan, options.metadata);
  const writer = await createSafetensorsWriter(options.outFile, shard.tensors, { format: "pt" }, { reserveMetadataBytes });
  try {
    const hashes = await streamTensors(plan, tensors, writer, options);
    await writer.finish();
    return { shardIndex: options.shardIndex, file: options.outFile, hashes };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

export interface AssembleOptions {
  maxShardBytes?: number;
  /** Config/tokenizer files copied into the output (from the base directory). */
  copyFiles?: readonly string[];
  metadata?: Record<string, string>;
}

/**
 * Builds the output directory from every shard's part: the files are copied
 * (the parts stay untouched) into a `.partial-*` sibling that is renamed into
 * place only when complete; outDir must not exist yet.
 */
export async function assembleShards(plan: MergePlan, parts: readonly ShardPart[], outDir: string, options: AssembleOptions = {}): Promise<MergeResult> {
  const shards = planOutputShards(plan, options.maxShardBytes);
  const byIndex = new Map(parts.map((p) => [p.shardIndex, p]));
  const missing = shards.findIndex((_, i) => !byIndex.has(i));
  if (missing >= 0 || parts.length !== shards.length) {
    throw new GraftError("INVALID_ARGUMENT", `assembly needs one part per shard (${shards.length}), ${missing >= 0 ? `shard ${missing} is missing` : "got extra parts"}`);
  }
  const hashes: TensorHashes = planInputs(plan).map((_, i) => {
    const all = parts.map((p) => p.hashes[i]);
    return all.some((h) => h === null || h === undefined) ? null : Object.assign({}, ...all);
  });
  const records = inputRecords(plan, hashes);
  const baseFingerprint = checkBaseFingerprint(plan, records);
  const metadata = outputMetadata(plan, options.metadata).final(records);

  const target = resolve(outDir);
  await stat(target).then(
    () => {
      throw new GraftError("INVALID_ARGUMENT", `${target}: output directory already exists`);
    },
    () => {},
  );
  const tmpDir = `${target}.partial-${randomBytes(6).toString("hex")}`;
  await mkdir(dirname(target), { recursive: true });
  await mkdir(tmpDir);
  try {
    for (const [i, shard] of shards.entries()) {
      const file = join(tmpDir, shard.fileName);
      await copyFile(byIndex.get(i)!.file, file);
      await rewriteMetadata(file, shard.tensors, metadata);
    }
    if (shards.length > 1) await writeFile(join(tmpDir, INDEX_FILE_NAME), shardIndexJson(shards));
    for (const file of options.copyFiles ?? []) await copyFile(file, join(tmpDir, basename(file)));
    await syncDirectory(tmpDir);
    await rename(tmpDir, target);
    await syncDirectory(dirname(target));
  } catch (e) {
    await rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  return { outDir, tensors: plan.tensors.length, bytesWritten: plan.totalOutBytes, baseFingerprint, inputs: records };
}
