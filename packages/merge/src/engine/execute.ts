/**
 * Plan-then-execute, step two: streams every tensor of a validated plan
 * through the method's kernel into a checkpoint writer.
 *
 * Memory is bounded by the chunk size, not the model: each tensor is read in
 * element ranges ("chunks") of every input at once. When a method scans a
 * tensor before merging it, what the later passes need is kept if it fits in
 * `retainBytes`: its decoded chunks, or else its stored bytes; a larger
 * tensor is re-read per pass (from the page cache, which still holds it).
 * The next chunks (READ_AHEAD) are read while the kernel computes the
 * current one, so I/O and arithmetic overlap.
 */
import { GraftError } from "../errors";
import { fingerprintFromManifest } from "../fingerprint";
import type { TensorHashCache } from "../hash-cache";
import { recipeToYaml } from "../recipe";
import { createCheckpointWriter, dtypeSize } from "../safetensors";
import type { MergeChunk, TensorKernel } from "../types";
import { SELECTOR_TABLE_BYTES } from "../methods/select";
import { SimdArena } from "../simd/arena";
import type { KernelHelper } from "../simd/helper";
import { ChunkBuffers, OutputBuffer, READ_AHEAD, READ_SLOT_SETS } from "./chunk-buffers";
import { TensorHasher } from "./hasher";
import { InputHashes } from "./input-hashes";
import type { InputModel, RawChunk } from "./inputs";
import type { MergePlan, PlannedTensor } from "./plan";

export interface MergeProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  tensor: string;
}

export interface ExecuteOptions {
  outDir: string;
  maxShardBytes?: number;
  overwrite?: boolean;
  /** Config/tokenizer files copied into the output (from the base directory). */
  copyFiles?: readonly string[];
  /** Elements per chunk; default 1 Mi (4 MiB of float32 per buffer). */
  chunkElements?: number;
  /** What a method's scan passes keep of a tensor, instead of reading it again: its decoded chunks when they fit here with its stored bytes, else its stored bytes when they fit. Default 200 MiB. */
  retainBytes?: number;
  onProgress?: (p: MergeProgress) => void;
  signal?: AbortSignal;
  /** Extra `__metadata__` entries (e.g. the registry's version ids). */
  metadata?: Record<string, string>;
  /** Where checkpoint inputs' tensor hashes are remembered between merges; without one, every input byte is hashed. */
  hashCache?: TensorHashCache | null;
}

export interface MergeResult {
  outDir: string;
  tensors: number;
  bytesWritten: number;
  baseFingerprint: string | null;
  inputs: InputRecord[];
}

export interface InputRecord {
  role: "base" | "model";
  ref: string;
  kind: InputModel["kind"];
  /** base/checkpoints: content fingerprint computed while streaming; task vectors: the foundation they target. */
  fingerprint: string | null;
}

export const DEFAULT_CHUNK = 1 << 20;
/**
 * Larger tensors are re-read for each pass: from the page cache, that costs
 * less than the memory (measured with `pnpm bench:merge`, where keeping
 * 300 MiB tensors decoded gained nothing but 300 MiB of RSS).
 */
const DEFAULT_RETAIN = 200 << 20;

export async function executePlan(plan: MergePlan, options: ExecuteOptions): Promise<MergeResult> {
  const meta = outputMetadata(plan, options.metadata);
  const writer = await createCheckpointWriter(
    options.outDir,
    plan.tensors.map((t) => ({ name: t.name, dtype: t.outDtype, shape: t.shape })),
    {
      maxShardBytes: options.maxShardBytes,
      overwrite: options.overwrite,
      copyFiles: options.copyFiles,
      reserveMetadataBytes: meta.reserveMetadataBytes,
      metadata: { format: "pt" },
    },
  );
  try {
    const hashes = await streamTensors(plan, plan.tensors, writer, options);
    const records = inputRecords(plan, hashes);
    const baseFingerprint = checkBaseFingerprint(plan, records);
    await writer.finish(meta.final(records));
    return { outDir: options.outDir, tensors: plan.tensors.length, bytesWritten: plan.totalOutBytes, baseFingerprint, inputs: records };
  } catch (e) {
    await writer.abort();
    throw e;
  }
}

/** Every input of a plan, base first (the order of InputRecord lists and TensorHashes). */
export function planInputs(plan: MergePlan): InputModel[] {
  return [plan.base, ...plan.models].filter((m): m is InputModel => m !== null);
}

/** sha256 of every tensor of each checkpoint input that streamed by (null for task vectors), in planInputs order. */
export type TensorHashes = (Record<string, { dtype: string; shape: number[]; sha256: string }> | null)[];

/** The input records of a finished merge: checkpoint fingerprints come from the tensor hashes. */
export function inputRecords(plan: MergePlan, hashes: TensorHashes): InputRecord[] {
  return planInputs(plan).map((input, i) => ({
    role: input === plan.base ? "base" : "model",
    ref: input.ref,
    kind: input.kind,
    fingerprint: input.kind === "checkpoint" ? fingerprintFromManifest(hashes[i]!) : (input.fingerprint ?? null),
  }));
}

/** The base's fingerprint, refused unless it is the one the task vectors were made against. */
export function checkBaseFingerprint(plan: MergePlan, records: InputRecord[]): string | null {
  const baseFingerprint = plan.base ? records[0]!.fingerprint : null;
  if (plan.foundationFingerprint && baseFingerprint !== plan.foundationFingerprint) {
    throw new GraftError("FINGERPRINT_MISMATCH", `base ${plan.base!.ref} is ${baseFingerprint}, but the task vectors were made against ${plan.foundationFingerprint}`);
  }
  return baseFingerprint;
}

/** The output's final `__metadata__`, and the header room it needs before the fingerprints are known. */
export function outputMetadata(plan: MergePlan, extra?: Record<string, string>) {
  const final = (records: InputRecord[]): Record<string, string> => ({
    format: "pt",
    "graft.kind": "merged-model",
    "graft.recipe": recipeToYaml(plan.recipe),
    "graft.inputs": JSON.stringify(records),
    ...extra,
  });
  // Input fingerprints are only known once every byte has streamed by; the
  // header reserves room for the final metadata (every checkpoint fingerprint
  // is "sha256:" + 64 hex digits, so its size is known now) and is patched in
  // at the end. The recipe and the refs can be long: they are measured, not guessed.
  const placeholder = `sha256:${"0".repeat(64)}`;
  const provisional = planInputs(plan).map((input) => ({
    role: input === plan.base ? "base" : "model",
    ref: input.ref,
    kind: input.kind,
    fingerprint: input.kind === "checkpoint" ? placeholder : (input.fingerprint ?? null),
  })) as InputRecord[];
  return { final, reserveMetadataBytes: 512 + Buffer.byteLength(JSON.stringify(final(provisional))) };
}

export type StreamOptions = Pick<ExecuteOptions, "chunkElements" | "retainBytes" | "onProgress" | "signal" | "hashCache">;

/**
 * Streams `tensors` (a run of plan.tensors, in order) into `writer`, hashing
 * every checkpoint input's bytes on the way (unless the hash cache knows
 * them); progress counts against the given tensors only.
 */
export async function streamTensors(plan: MergePlan, tensors: readonly PlannedTensor[], writer: ChunkWriter, options: StreamOptions): Promise<TensorHashes> {
  const chunkElements = options.chunkElements ?? DEFAULT_CHUNK;
  const retainBytes = options.retainBytes ?? DEFAULT_RETAIN;
  const inputs = planInputs(plan);
  const fingerprints = new Map<InputModel, Record<string, { dtype: string; shape: number[]; sha256: string }>>();
  for (const input of inputs) if (input.kind === "checkpoint") fingerprints.set(input, {});
  const bytesTotal = tensors.reduce((a, t) => a + t.outBytes, 0);
  const record = (input: InputModel, name: string, sha256: string) => {
    const info = input.info(name);
    fingerprints.get(input)![name] = { dtype: info.dtype, shape: info.shape, sha256 };
    if (input === plan.base && plan.foundationFingerprint) verifyBaseTensor(plan, name, sha256);
  };

  const known = await InputHashes.open(inputs, tensors.map((t) => t.name), options.hashCache);
  const hasher = new TensorHasher();
  const slotTickets = new Array<number>(READ_SLOT_SETS).fill(0);
  // The second core hashes, and shares the SIMD kernels' work on large chunks when hashing leaves it time.
  const helper = SimdArena.startHelper();
  const arena = SimdArena.create(arenaBytes(plan.models.length, chunkElements), { helper });
  const buffers = new ChunkBuffers(plan.models.length, arena, chunkElements);
  const keptMemory = new KeptMemory(
    () => Math.max(...tensors.map((t) => (t.action === "merge" ? keptArenaBytes(retention(plan, t, retainBytes), t, [plan.base, ...plan.models], chunkLength(plan.method, t, chunkElements)) : 0))),
    helper,
    hasher,
  );
  let checks: Promise<unknown> = Promise.resolve();
  let bytesDone = 0;
  try {
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      if (options.signal?.aborted) throw new GraftError("CANCELLED", "merge cancelled");
      const hashes = new Map<InputModel, ByteHash>();
      const hashing: TensorHashing = {
        byInput: hashes,
        slotTickets,
        settled: (ticket) => hasher.settled(ticket),
        room: () => hasher.room(),
      };
      inputs.forEach((input, index) => {
        if (!fingerprints.has(input) || !input.has(t.name)) return;
        const sha256 = known.get(input, t.name);
        if (sha256) {
          record(input, t.name, sha256);
        } else {
          const key = `${index}:${t.name}`;
          hashes.set(input, { key, update: (bytes, transfer) => hasher.update(key, bytes, transfer) });
        }
      });
      if (t.action === "copy") {
        await copyTensor(plan.base ?? plan.models[0]!, t, writer, hashing, chunkElements);
      } else {
        await mergeTensor(plan, t, writer, hashing, buffers, keptMemory, chunkElements, retainBytes, options.signal);
      }
      // Digests arrive from the hashing thread; the previous tensor's are
      // checked now, so hashing overlaps the next tensor's arithmetic.
      await checks;
      checks = Promise.all(
        [...hashes].map(async ([input, hash]) => {
          const sha256 = await hasher.digest(hash.key);
          record(input, t.name, sha256);
          known.add(input, t.name, sha256);
        }),
      );
      // Awaited at the next tensor (or after the loop); until then a failed
      // check must not count as an unhandled rejection, which would crash the
      // process before the writer is aborted.
      checks.catch(() => {});
      bytesDone += t.outBytes;
      options.onProgress?.({ tensorsDone: i + 1, tensorsTotal: tensors.length, bytesDone, bytesTotal, tensor: t.name });
    }
    await checks;
    await known.save();
    return inputs.map((input) => fingerprints.get(input) ?? null);
  } catch (e) {
    await checks.catch(() => {});
    throw e;
  } finally {
    arena?.release();
    keptMemory.release();
    await Promise.all([hasher.close(), helper?.close()]);
  }
}

/** WebAssembly memory for one chunk of every buffer: floats (base, out, weights, deltas and a kernel's scratch per model), read slots (READ_SLOT_SETS sets), encoded output; and a kernel's counting tables. */
function arenaBytes(models: number, chunkElements: number): number {
  const perBuffer = Math.ceil((chunkElements * 4) / 16) * 16;
  return perBuffer * (2 + 3 * models + READ_SLOT_SETS * (models + 1) + 2) + kernelTableBytes(models);
}

/** Tables a kernel keeps beside the data it counts (a magnitude selector's per model), pages touched only when used. */
function kernelTableBytes(models: number): number {
  return models * SELECTOR_TABLE_BYTES;
}

/** Stored dtypes read through the SIMD path are at most 4 bytes per element. */
const maxElementBytes = 4;

/** Bytes per element of a tensor as an input stores it (at most: a task vector may store its deltas in another dtype than the foundation's). */
function storedElementBytes(input: InputModel | null, name: string): number {
  return input?.kind === "checkpoint" ? dtypeSize(input.info(name).dtype) : maxElementBytes;
}

/**
 * One memory for what scan passes keep of a tensor (its decoded chunks, or
 * its stored bytes), reused from tensor to tensor and sized once, for the
 * largest: a memory that two threads have used is freed only when both
 * collect their garbage.
 */
class KeptMemory {
  private arena: SimdArena | null = null;

  constructor(
    private readonly largest: () => number,
    private readonly helper: KernelHelper | null,
    private readonly hasher: TensorHasher,
  ) {}

  /** The memory, emptied for the next tensor (null where WebAssembly SIMD is unavailable). */
  async take(): Promise<SimdArena | null> {
    if (!this.arena) this.arena = SimdArena.create(this.largest(), { helper: this.helper });
    else {
      await this.hasher.settled(this.hasher.latest); // the last tensor's bytes there may still be being hashed
      this.arena.reset();
    }
    return this.arena;
  }

  release(): void {
    this.arena?.release();
  }
}

/** What a tensor's scan passes keep for the passes after them (see mergeTensor). */
export type Retention = "decoded" | "stored" | "none";

/**
 * Decoded chunks when the stored bytes and the decoded float32 data (base and
 * deltas) fit in `retainBytes`; else the stored bytes alone when they fit.
 */
export function retention(plan: MergePlan, t: PlannedTensor, retainBytes: number): Retention {
  const storedBytes = planInputs(plan).reduce((a, m) => a + (m.has(t.name) ? m.info(t.name).byteLength : 0), 0);
  if (storedBytes + t.numel * 4 * (plan.models.length + 1) <= retainBytes) return "decoded";
  return storedBytes <= retainBytes ? "stored" : "none";
}

/**
 * Room for what is kept of a tensor: the stored bytes of every input, with
 * base, weights, deltas and scratch per model for every chunk (decoded) or
 * for one chunk at a time (stored); a kernel's tables; one chunk's output.
 */
function keptArenaBytes(keep: Retention, t: PlannedTensor, inputs: readonly (InputModel | null)[], chunkLength: number): number {
  const models = inputs.length - 1;
  if (keep === "none") return 0;
  const chunks = Math.max(1, Math.ceil(t.numel / chunkLength));
  const floats = 4 * (1 + 3 * models);
  const perElement = inputs.reduce((a, input) => a + storedElementBytes(input, t.name), 0) + (keep === "decoded" ? floats : 0);
  const perChunk = keep === "stored" ? chunkLength * floats + 16 * (1 + 3 * models) : 0;
  const output = chunkLength * (4 + 2) + 2 * 16; // float32 values and BF16 bytes, each 16-byte aligned
  return t.numel * perElement + chunks * 16 * (4 * models + 4) + perChunk + kernelTableBytes(models) + output;
}

/** An input's running content hash for the current tensor (computed on the hashing thread). */
interface ByteHash {
  key: string;
  /** Returns the update's ticket (see TensorHasher.update). With `transfer`, bytes outside shared memory are handed over and must not be used again. */
  update(bytes: Uint8Array, transfer: boolean): number;
}

/** The current tensor's running hashes, by input, and waits for the hashing thread to catch up. */
interface TensorHashing {
  byInput: Map<InputModel, ByteHash>;
  /** Bounds the bytes waiting to be hashed. */
  room(): Promise<void>;
  /** Resolves once the bytes of every update up to `ticket` are hashed, and may be overwritten. */
  settled(ticket: number): Promise<void>;
  /** The latest ticket of the bytes in each set of read slots (ChunkBuffers.slot), by chunk number modulo READ_SLOT_SETS. */
  readonly slotTickets: number[];
}

/** Task vectors carry the sha256 of every base tensor: a different base is caught at its first differing tensor. */
function verifyBaseTensor(plan: MergePlan, name: string, sha256: string): void {
  const tv = plan.models.find((m) => m.kind === "task-vector");
  const expected = tv?.expectedBaseSha256?.(name);
  if (expected && expected !== sha256) {
    throw new GraftError(
      "FINGERPRINT_MISMATCH",
      `${plan.base!.ref}: tensor "${name}" differs from the foundation ${tv!.ref} was made against (${plan.foundationFingerprint})`,
    );
  }
}

export interface ChunkWriter {
  writeChunk(name: string, bytes: Uint8Array): Promise<void>;
}

async function copyTensor(source: InputModel, t: PlannedTensor, writer: ChunkWriter, hashing: TensorHashing, chunkElements: number): Promise<void> {
  const size = dtypeSize(t.inDtype);
  for (let offset = 0; offset < t.numel || (t.numel === 0 && offset === 0); offset += chunkElements) {
    const count = Math.min(chunkElements, t.numel - offset);
    const raw = await source.readRaw(t.name, offset * size, count * size);
    // The other checkpoints' copies are not written, but their bytes belong to their fingerprints.
    for (const [input, hash] of hashing.byInput) {
      if (input !== source) hash.update(await input.readRaw(t.name, offset * size, count * size), true);
    }
    await writer.writeChunk(t.name, raw);
    hashing.byInput.get(source)?.update(raw, true);
    await hashing.room();
    if (t.numel === 0) break;
  }
}

/** Hashes a chunk's stored bytes; returns the latest ticket (0: nothing to hash). */
function hashChunk(hashing: TensorHashing, loaded: { base: RawChunk | null; models: (RawChunk | null)[] }, plan: MergePlan, transfer: boolean): number {
  let ticket = 0;
  const each = (input: InputModel | null, raw: RawChunk | null) => {
    const hash = input && raw && "bytes" in raw ? hashing.byInput.get(input) : undefined;
    if (hash) ticket = hash.update((raw as { bytes: Uint8Array }).bytes, transfer);
  };
  each(plan.base, loaded.base);
  plan.models.forEach((m, i) => each(m, loaded.models[i] ?? null));
  return ticket;
}

function chunkLength(method: MergePlan["method"], t: PlannedTensor, chunkElements: number): number {
  if (!method.rowAligned || t.shape.length < 2) return Math.max(1, Math.min(chunkElements, t.numel));
  const row = t.shape[t.shape.length - 1]!;
  return Math.max(row, Math.floor(Math.min(chunkElements, t.numel) / row) * row);
}

async function mergeTensor(
  plan: MergePlan,
  t: PlannedTensor,
  writer: ChunkWriter,
  hashing: TensorHashing,
  buffers: ChunkBuffers,
  keptMemory: KeptMemory,
  chunkElements: number,
  retainBytes: number,
  signal?: AbortSignal,
): Promise<void> {
  const kernel: TensorKernel = plan.method.createKernel({
    name: t.name,
    shape: t.shape,
    numel: t.numel,
    params: t.params,
    modelParams: t.modelParams,
    seed: plan.seed,
  });
  const len = chunkLength(plan.method, t, chunkElements);
  const offsets: number[] = [];
  for (let o = 0; o < t.numel; o += len) offsets.push(o);
  if (t.numel === 0) offsets.push(0);

  // Scan passes see every chunk again. What later passes need is kept when
  // it fits `retainBytes`: the chunks decoded (no I/O, no decoding again), or
  // only their stored bytes (no I/O; decoded again per pass); otherwise the
  // tensor is read again per pass (from the page cache).
  type Loaded = { base: RawChunk | null; models: (RawChunk | null)[] };
  const keep = kernel.scanPasses > 0 ? retention(plan, t, retainBytes) : "none";
  const decoded: { buffers: ChunkBuffers; chunk: MergeChunk }[] | null = keep === "decoded" ? [] : null;
  const stored: Loaded[] | null = keep === "stored" ? [] : null;
  // Kept chunks live in WebAssembly memory of their own (reserved, and
  // committed only as it is written), where the SIMD kernels work in place.
  const retaining = keep !== "none";
  const keptArena = retaining ? await keptMemory.take() : null;
  // Merged beside its inputs, so the kernels read and write one memory without copies.
  const output = keptArena ? new OutputBuffer(keptArena, len) : buffers.output;
  // Chunks of kept stored bytes are decoded beside them, into buffers reused from chunk to chunk.
  const storedBuffers = stored && keptArena ? new ChunkBuffers(plan.models.length, keptArena, len, { readSlots: false }) : buffers;

  const sources = [plan.base, ...plan.models]; // in read-slot order
  const load = async (c: number): Promise<Loaded> => {
    if (decoded?.[c]) return { base: null, models: [] }; // already decoded: nothing to read
    if (stored?.[c]) return stored[c];
    const offset = offsets[c]!;
    const count = Math.min(len, t.numel - offset);
    // Kept chunks need room of their own; the others are read straight
    // into the reusable (WebAssembly) slots.
    const slot = (input: number): Uint8Array | undefined =>
      retaining ? (keptArena?.bytes(count * storedElementBytes(sources[input]!, t.name)) ?? undefined) : buffers.slot(c, input);
    // The slots last held chunk c - READ_SLOT_SETS, whose bytes may still be being hashed.
    if (!retaining) await hashing.settled(hashing.slotTickets[c % READ_SLOT_SETS]!);
    const [base, ...models] = await Promise.all([
      plan.base ? plan.base.readChunk(t.name, offset, count, slot(0)) : null,
      ...plan.models.map((m, i) => m.readChunk(t.name, offset, count, slot(i + 1))),
    ]);
    const loaded = { base: base ?? null, models };
    if (stored) stored[c] = loaded;
    return loaded;
  };

  for (let pass = 0; pass <= kernel.scanPasses; pass++) {
    const merging = pass === kernel.scanPasses;
    // Reads run READ_AHEAD chunks ahead of the computation. A read that
    // fails is reported when its chunk comes up; one behind a failure that
    // stopped the merge must not count as an unhandled rejection (which
    // would crash the process before the writer is aborted).
    const ahead: Promise<Loaded>[] = [];
    const readAhead = (c: number) => {
      const loading = load(c);
      loading.catch(() => {});
      ahead.push(loading);
    };
    for (let c = 0; c < Math.min(READ_AHEAD, offsets.length); c++) readAhead(c);
    for (let c = 0; c < offsets.length; c++) {
      if (signal?.aborted) throw new GraftError("CANCELLED", "merge cancelled");
      const loaded: Loaded = await ahead.shift()!;
      if (c + READ_AHEAD < offsets.length) readAhead(c + READ_AHEAD);
      const count = Math.min(len, t.numel - offsets[c]!);
      let chunk: MergeChunk;
      if (decoded?.[c]) ({ chunk } = decoded[c]!);
      else if (decoded) {
        const chunkBuffers = new ChunkBuffers(plan.models.length, keptArena);
        chunk = chunkBuffers.view(offsets[c]!, count, loaded.base, loaded.models, plan.models);
        decoded[c] = { buffers: chunkBuffers, chunk };
      } else chunk = storedBuffers.view(offsets[c]!, count, loaded.base, loaded.models, plan.models);
      if (!merging) {
        kernel.scan!(pass, chunk);
      } else {
        // Output is never kept: every chunk is merged into one reusable buffer.
        kernel.merge(chunk, output.for(count));
        await writer.writeChunk(t.name, output.encode(t.outDtype));
      }
      // Every byte is hashed once, in the first pass, after its chunk was
      // used: in place when it is in shared memory, else handed over (or
      // copied, when kept).
      if (pass === 0) {
        const ticket = hashChunk(hashing, loaded, plan, !retaining);
        if (!retaining && ticket > 0) hashing.slotTickets[c % READ_SLOT_SETS] = ticket;
        await hashing.room();
      }
    }
    if (!merging) kernel.endScan?.(pass);
  }
}
