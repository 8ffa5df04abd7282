/**
 * Writes a whole Hugging Face style checkpoint directory: `model.safetensors`
 * when everything fits in one shard, otherwise `model-0000i-of-0000N.safetensors`
 * shards plus `model.safetensors.index.json`, and optionally the config and
 * tokenizer files copied from an input. Everything is built in a temporary
 * sibling directory and renamed into place only when complete, so a failed or
 * cancelled merge never leaves a plausible-looking but broken model behind.
 */
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { GraftError } from "../errors";
import { INDEX_FILE_NAME, SINGLE_FILE_NAME } from "./checkpoint";
import { errnoCode, ioError } from "./io";
import { checkTensorNames, tensorByteLength, type TensorSpec } from "./layout";
import { compareNames } from "./order";
import { createSafetensorsWriter, rewriteMetadata, syncDirectory, type SafetensorsWriter, type TensorSink } from "./writer";

/** Hugging Face's default `max_shard_size` ("5GB"). */
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;

export interface CheckpointWriterOptions {
  /** Upper bound on tensor bytes per shard; a larger single tensor gets a shard of its own. */
  maxShardBytes?: number;
  /** `__metadata__` written into every shard (e.g. {format: "pt"}). */
  metadata?: Readonly<Record<string, string>>;
  /** Replace a non-empty existing outDir (only once the new one is complete). */
  overwrite?: boolean;
  /** Files copied into the output under their base names (see listAuxiliaryFiles). */
  copyFiles?: readonly string[];
  /** Extra header room per shard for metadata passed to finish(). */
  reserveMetadataBytes?: number;
}

export interface ShardPlan {
  fileName: string;
  tensors: TensorSpec[];
  byteLength: number;
}

export interface CheckpointWriter extends TensorSink {
  readonly outDir: string;
  readonly shards: readonly ShardPlan[];
}

function shardFileName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/** Splits tensors, in order, into shards of at most maxShardBytes of tensor data. */
export function planShards(tensors: readonly TensorSpec[], maxShardBytes: number): ShardPlan[] {
  const groups: { tensors: TensorSpec[]; byteLength: number }[] = [];
  let current: { tensors: TensorSpec[]; byteLength: number } | null = null;
  for (const spec of tensors) {
    const bytes = tensorByteLength(spec);
    if (current === null || (current.tensors.length > 0 && current.byteLength + bytes > maxShardBytes)) {
      current = { tensors: [], byteLength: 0 };
      groups.push(current);
    }
    current.tensors.push(spec);
    current.byteLength += bytes;
  }
  if (groups.length <= 1) {
    return [{ fileName: SINGLE_FILE_NAME, tensors: groups[0]?.tensors ?? [], byteLength: groups[0]?.byteLength ?? 0 }];
  }
  return groups.map((g, i) => ({ fileName: shardFileName(i, groups.length), ...g }));
}

/** The shard index, HF layout: {"metadata": {"total_size": n}, "weight_map": {...}}, keys sorted, 2-space indent. */
export function shardIndexJson(shards: readonly ShardPlan[]): string {
  const totalSize = shards.reduce((sum, s) => sum + s.byteLength, 0);
  const entries = shards.flatMap((s) => s.tensors.map((t) => [t.name, s.fileName] as const));
  entries.sort((a, b) => compareNames(a[0], b[0]));
  const weightMap = entries.map(([name, file]) => `    ${JSON.stringify(name)}: ${JSON.stringify(file)}`);
  return `{\n  "metadata": {\n    "total_size": ${totalSize}\n  },\n  "weight_map": {\n${weightMap.join(",\n")}\n  }\n}\n`;
}

/** Throws unless outDir is absent, empty, or (with overwrite) a directory. Returns whether it exists with content. */
async function checkOutDir(outDir: string, overwrite: boolean): Promise<boolean> {
  let entries: string[];
  try {
    if (!(await stat(outDir)).isDirectory()) throw new GraftError("INVALID_ARGUMENT", `${outDir}: output path exists and is not a directory`);
    entries = await readdir(outDir);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw ioError(e, outDir);
  }
  if (entries.length > 0 && !overwrite) {
    throw new GraftError("INVALID_ARGUMENT", `${outDir}: output directory already exists and is not empty (--overwrite replaces it once the new one is complete)`);
  }
  return entries.length > 0;
}

async function checkCopyFiles(files: readonly string[], reserved: Set<string>, outDir: string): Promise<void> {
  const names = new Set(reserved);
  for (const file of files) {
    let isFile: boolean;
    try {
      isFile = (await stat(file)).isFile();
    } catch (e) {
      throw ioError(e, file);
    }
    if (!isFile) throw new GraftError("INVALID_ARGUMENT", `${file}: not a regular file, cannot copy it into ${outDir}`);
    const name = basename(file);
    if (names.has(name)) throw new GraftError("INVALID_ARGUMENT", `${file}: a file named "${name}" is already part of ${outDir}`);
    names.add(name);
  }
}

export async function createCheckpointWriter(
  outDir: string,
  tensors: readonly TensorSpec[],
  options: CheckpointWriterOptions = {},
): Promise<CheckpointWriter> {
  const target = resolve(outDir);
  const maxShardBytes = options.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new GraftError("INVALID_ARGUMENT", `maxShardBytes must be a positive integer, got ${maxShardBytes}`);
  }
  checkTensorNames(tensors, target);
  const shards = planShards(tensors, maxShardBytes);
  const copyFiles = options.copyFiles ?? [];
  await checkCopyFiles(copyFiles, new Set([INDEX_FILE_NAME, ...shards.map((s) => s.fileName)]), target);
  await checkOutDir(target, options.overwrite ?? false);

  const tmpDir = `${target}.partial-${randomBytes(6).toString("hex")}`;
  try {
    await mkdir(dirname(target), { recursive: true });
    await mkdir(tmpDir);
  } catch (e) {
    throw ioError(e, tmpDir);
  }
  const writer = new DirectoryWriter(target, tmpDir, shards, options.metadata, copyFiles, options.overwrite ?? false, options.reserveMetadataBytes ?? 0);
  try {
    await writer.openShard(0);
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return writer;
}

class DirectoryWriter implements CheckpointWriter {
  private shardIndex = 0;
  private tensorIndex = 0; // within the current shard
  private current: SafetensorsWriter | null = null;
  /** The previous shard being made durable (fsynced) while the next one is written. */
  private closing: Promise<void> = Promise.resolve();
  private busy = false;
  private state: "open" | "finished" | "aborted" = "open";

  constructor(
    readonly outDir: string,
    private readonly tmpDir: string,
    readonly shards: readonly ShardPlan[],
    private readonly metadata: Readonly<Record<string, string>> | undefined,
    private readonly copyFiles: readonly string[],
    private readonly overwrite: boolean,
    private readonly reserveMetadataBytes: number,
  ) {}

  async openShard(index: number): Promise<void> {
    const shard = this.shards[index];
    this.shardIndex = index;
    this.tensorIndex = 0;
    this.partial = 0;
    this.current = await createSafetensorsWriter(join(this.tmpDir, shard.fileName), shard.tensors, this.metadata, {
      reserveMetadataBytes: this.reserveMetadataBytes,
    });
  }

  /** Bytes of the current tensor received so far through writeChunk. */
  private partial = 0;

  async write(name: string, bytes: Uint8Array): Promise<void> {
    await this.guarded(async () => {
      const expected = this.expect(name);
      const byteLength = tensorByteLength(expected);
      if (this.partial !== 0 || bytes.byteLength !== byteLength) {
        throw new GraftError(
          "INVALID_ARGUMENT",
          `${this.outDir}: tensor "${name}" (${expected.dtype} ${JSON.stringify(expected.shape)}) needs ${byteLength} bytes, got ${bytes.byteLength}`,
        );
      }
      await this.current!.write(name, bytes);
      await this.tensorDone();
    });
  }

  async writeChunk(name: string, bytes: Uint8Array): Promise<void> {
    await this.guarded(async () => {
      const byteLength = tensorByteLength(this.expect(name));
      await this.current!.writeChunk(name, bytes);
      this.partial += bytes.byteLength;
      if (this.partial === byteLength) await this.tensorDone();
    });
  }

  private expect(name: string): TensorSpec {
    const expected = this.shards[this.shardIndex].tensors[this.tensorIndex];
    if (!expected) throw new GraftError("INVALID_ARGUMENT", `${this.outDir}: write("${name}") after all tensors were written`);
    if (name !== expected.name) throw new GraftError("INVALID_ARGUMENT", `${this.outDir}: expected tensor "${expected.name}" next, got "${name}"`);
    return expected;
  }

  private async tensorDone(): Promise<void> {
    this.partial = 0;
    this.tensorIndex++;
    if (this.tensorIndex === this.shards[this.shardIndex].tensors.length && this.shardIndex + 1 < this.shards.length) {
      await this.closing; // the shard before: long since durable, or its failure surfaces now
      this.closing = this.current!.finish();
      this.closing.catch(() => {}); // awaited at the next shard, finish() or abort()
      await this.openShard(this.shardIndex + 1);
    }
  }

  async finish(metadata?: Readonly<Record<string, string>>): Promise<void> {
    await this.guarded(async () => {
      const shard = this.shards[this.shardIndex];
      const missing = shard.tensors[this.tensorIndex];
      if (missing) throw new GraftError("INVALID_ARGUMENT", `${this.outDir}: finish() before tensor "${missing.name}" was written`);
      await this.closing;
      await this.current!.finish(metadata);
      if (metadata) {
        for (const earlier of this.shards.slice(0, this.shardIndex)) {
          await rewriteMetadata(join(this.tmpDir, earlier.fileName), earlier.tensors, metadata);
        }
      }
      if (this.shards.length > 1) await writeFile(join(this.tmpDir, INDEX_FILE_NAME), shardIndexJson(this.shards));
      for (const file of this.copyFiles) await copyFile(file, join(this.tmpDir, basename(file)));
      await syncDirectory(this.tmpDir);
      await this.moveIntoPlace();
      this.state = "finished";
    });
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    await this.closing.catch(() => {});
    await this.current?.abort();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  private async moveIntoPlace(): Promise<void> {
    const hasContent = await checkOutDir(this.outDir, this.overwrite); // re-checked: it may have appeared meanwhile
    if (!hasContent) {
      await rmdir(this.outDir).catch((e) => {
        if (errnoCode(e) !== "ENOENT") throw e;
      });
      await rename(this.tmpDir, this.outDir);
    } else {
      const old = `${this.outDir}.old-${randomBytes(6).toString("hex")}`;
      await rename(this.outDir, old);
      try {
        await rename(this.tmpDir, this.outDir);
      } catch (e) {
        await rename(old, this.outDir).catch(() => {}); // put the previous output back
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    }
    await syncDirectory(dirname(this.outDir));
  }

  /** Runs one operation, refusing overlap and aborting on any failure. */
  private async guarded(operation: () => Promise<void>): Promise<void> {
    if (this.state !== "open") throw new GraftError("INVALID_ARGUMENT", `${this.outDir}: writer is already ${this.state}`);
    if (this.busy) throw new GraftError("INVALID_ARGUMENT", `${this.outDir}: a previous write() has not completed`);
    this.busy = true;
    try {
      await operation();
    } catch (e) {
      await this.abort();
      throw ioError(e, this.outDir);
    } finally {
      this.busy = false;
    }
  }
}
