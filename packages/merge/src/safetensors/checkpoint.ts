/**
 * Opens whatever a user points at as a model checkpoint — one .safetensors
 * file, a Hugging Face model directory, or a sharded index — and presents it
 * as a single TensorReader. Shard indexes are untrusted too: every shard must
 * exist beside the index, and the weight_map must agree exactly with the
 * tensors the shards really contain. Pickle checkpoints are refused.
 */
import { open, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { GraftError } from "../errors";
import type { TensorInfo, TensorReader } from "../types";
import { findDuplicateKey } from "./json-keys";
import { ioError, errnoCode } from "./io";
import { compareNames } from "./order";
import { hasPickleExtension, looksLikePickle, unsafeFormatError } from "./pickle";
import { openSafetensors, type SafetensorsFile } from "./reader";

export const SINGLE_FILE_NAME = "model.safetensors";
export const INDEX_FILE_NAME = "model.safetensors.index.json";
const INDEX_SUFFIX = ".safetensors.index.json";
const MAX_INDEX_BYTES = 100_000_000;

/** A checkpoint opened for reading, single-file or sharded. */
export interface CheckpointReader extends TensorReader {
  /** The path the checkpoint was opened from. */
  readonly path: string;
  /** The safetensors files backing it (one, or the shards in name order). */
  readonly files: readonly string[];
  /** The file that holds a tensor. */
  fileOf(name: string): SafetensorsFile;
  /** Bytes [byteStart, byteStart + byteLength) of one tensor's data. */
  readBytesRange(name: string, byteStart: number, byteLength: number, into?: Uint8Array): Promise<Uint8Array>;
  /** Elements [start, start + count) of one float tensor, decoded to F32. */
  readFloat32Range(name: string, start: number, count: number): Promise<Float32Array>;
}

export async function openCheckpoint(path: string): Promise<CheckpointReader> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (e) {
    throw ioError(e, path);
  }
  if (isDirectory) return openDirectory(path);
  if (path.endsWith(INDEX_SUFFIX)) return openIndex(path);
  // pytorch_model.bin, or its shard index pytorch_model.bin.index.json
  if (hasPickleExtension(path.replace(/\.index\.json$/, ""))) throw unsafeFormatError(path);
  return openSingle(path);
}

async function openDirectory(dir: string): Promise<CheckpointReader> {
  const names = await readdir(dir).catch((e) => {
    throw ioError(e, dir);
  });
  if (names.includes(INDEX_FILE_NAME)) return openIndex(join(dir, INDEX_FILE_NAME));
  if (names.includes(SINGLE_FILE_NAME)) return openSingle(join(dir, SINGLE_FILE_NAME));
  const safetensors = names.filter((n) => n.endsWith(".safetensors") || n.endsWith(INDEX_SUFFIX)).sort();
  if (safetensors.length === 0 && names.some(hasPickleExtension)) throw unsafeFormatError(dir);
  const found = safetensors.length > 0 ? ` (found: ${safetensors.join(", ")})` : "";
  throw new GraftError("NOT_FOUND", `${dir}: no ${SINGLE_FILE_NAME} or ${INDEX_FILE_NAME} in this directory${found}`);
}

async function openSingle(path: string): Promise<CheckpointReader> {
  try {
    const file = await openSafetensors(path);
    return new ShardedReader(path, [file], new Map(file.tensors.map((t) => [t.name, file])));
  } catch (e) {
    if (e instanceof GraftError && e.code === "INVALID_SAFETENSORS" && (await startsLikePickle(path))) {
      throw unsafeFormatError(path);
    }
    throw e;
  }
}

/** A renamed .bin fails the safetensors parser; say what it really is. */
async function startsLikePickle(path: string): Promise<boolean> {
  try {
    const fh = await open(path, "r");
    try {
      const head = new Uint8Array(4);
      const { bytesRead } = await fh.read(head, 0, 4, 0);
      return looksLikePickle(head.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

function invalidIndex(indexPath: string, what: string): GraftError {
  return new GraftError("INVALID_SAFETENSORS", `${indexPath}: ${what}`);
}

/** Parses an HF shard index into tensor name → shard file name. */
async function readWeightMap(indexPath: string): Promise<Map<string, string>> {
  let text: string;
  try {
    const size = (await stat(indexPath)).size;
    if (size > MAX_INDEX_BYTES) throw invalidIndex(indexPath, `index is ${size} bytes, over the ${MAX_INDEX_BYTES}-byte limit`);
    text = await readFile(indexPath, "utf8");
  } catch (e) {
    throw ioError(e, indexPath);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalidIndex(indexPath, `not valid JSON (${(e as Error).message})`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== null) throw invalidIndex(indexPath, `duplicate key "${duplicate}"`);
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw invalidIndex(indexPath, `"weight_map" must be an object of tensor name → shard file name`);
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") throw invalidIndex(indexPath, `weight_map entry for "${name}" must be a string, got ${JSON.stringify(shard)}`);
    if (!isPlainFileName(shard)) throw invalidIndex(indexPath, `weight_map shard name ${JSON.stringify(shard)} must be a plain file name beside the index`);
    map.set(name, shard);
  }
  if (map.size === 0) throw invalidIndex(indexPath, "weight_map is empty");
  return map;
}

/** No directories, no traversal: shards must live next to their index. */
function isPlainFileName(name: string): boolean {
  return name !== "" && name !== "." && name !== ".." && !/[/\\\0]/.test(name) && !/^[A-Za-z]:/.test(name);
}

async function openIndex(indexPath: string): Promise<CheckpointReader> {
  const weightMap = await readWeightMap(indexPath);
  const dir = dirname(indexPath);
  const shardNames = [...new Set(weightMap.values())].sort(compareNames);
  const shards: SafetensorsFile[] = [];
  try {
    for (const shardName of shardNames) {
      try {
        shards.push(await openSafetensors(join(dir, shardName)));
      } catch (e) {
        if (errnoCode(e) === "ENOENT" || (e instanceof GraftError && e.code === "NOT_FOUND")) {
          throw new GraftError("NOT_FOUND", `${indexPath}: shard "${shardName}" listed in weight_map does not exist`);
        }
        throw e;
      }
    }
    // Every tensor of every shard must be in the weight_map, pointing at that shard, exactly once.
    const owner = new Map<string, SafetensorsFile>();
    for (const shard of shards) {
      const shardName = basename(shard.path);
      for (const t of shard.tensors) {
        const other = owner.get(t.name);
        if (other) throw invalidIndex(indexPath, `tensor "${t.name}" is in both ${basename(other.path)} and ${shardName}`);
        const mapped = weightMap.get(t.name);
        if (mapped === undefined) throw invalidIndex(indexPath, `tensor "${t.name}" in ${shardName} is missing from weight_map`);
        if (mapped !== shardName) throw invalidIndex(indexPath, `tensor "${t.name}" is in ${shardName} but weight_map says ${mapped}`);
        owner.set(t.name, shard);
      }
    }
    for (const [name, shardName] of weightMap) {
      if (!owner.has(name)) throw invalidIndex(indexPath, `weight_map lists tensor "${name}" in ${shardName}, which does not contain it`);
    }
    return new ShardedReader(indexPath, shards, owner);
  } catch (e) {
    await Promise.all(shards.map((s) => s.close().catch(() => {})));
    throw e;
  }
}

/** One reader over several files; a single-file checkpoint is the one-shard case. */
class ShardedReader implements CheckpointReader {
  readonly tensors: readonly TensorInfo[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly files: readonly string[];

  constructor(
    readonly path: string,
    private readonly shards: readonly SafetensorsFile[],
    private readonly owner: ReadonlyMap<string, SafetensorsFile>,
  ) {
    this.tensors = shards
      .flatMap((s) => s.tensors)
      .map(({ name, dtype, shape, byteLength }) => ({ name, dtype, shape, byteLength }))
      .sort((a, b) => compareNames(a.name, b.name));
    this.metadata = shards[0]?.metadata ?? {};
    this.files = shards.map((s) => s.path);
  }

  fileOf(name: string): SafetensorsFile {
    const shard = this.owner.get(name);
    if (!shard) throw new GraftError("NOT_FOUND", `${this.path}: no tensor named "${name}"`);
    return shard;
  }

  has(name: string): boolean {
    return this.owner.has(name);
  }

  info(name: string): TensorInfo {
    return this.fileOf(name).info(name);
  }

  async readBytes(name: string): Promise<Uint8Array> {
    return this.fileOf(name).readBytes(name);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    return this.fileOf(name).readFloat32(name);
  }

  async readBytesRange(name: string, byteStart: number, byteLength: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.fileOf(name).readBytesRange(name, byteStart, byteLength, into);
  }

  async readFloat32Range(name: string, start: number, count: number): Promise<Float32Array> {
    return this.fileOf(name).readFloat32Range(name, start, count);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }
}

/** Whether a file name is one of the non-weight files a merged HF model directory needs. */
export function isAuxiliaryFileName(name: string): boolean {
  return (
    name === "config.json" ||
    name === "generation_config.json" ||
    name === "special_tokens_map.json" ||
    name === "tokenizer.model" ||
    name === "merges.txt" ||
    (name.startsWith("tokenizer") && name.endsWith(".json")) ||
    name.startsWith("vocab.") ||
    name.endsWith(".tiktoken") ||
    name.startsWith("chat_template")
  );
}

/**
 * Full paths (sorted) of the config/tokenizer files in an HF model directory,
 * to be copied next to a merge's output. A path that is not a directory (a
 * lone .safetensors file) has none.
 */
export async function listAuxiliaryFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    if (!(await stat(dir)).isDirectory()) return [];
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw ioError(e, dir);
  }
  return entries
    .filter((e) => e.isFile() && isAuxiliaryFileName(e.name))
    .map((e) => e.name)
    .sort(compareNames)
    .map((name) => join(dir, name));
}
