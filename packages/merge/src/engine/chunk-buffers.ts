/**
 * The engine's per-chunk working memory: decoded base, weights and deltas of
 * every input and the merged output, reused from chunk to chunk. With a SIMD
 * arena the buffers live in WebAssembly memory, reads land in its slots, and
 * BF16 decoding and encoding run as SIMD kernels; otherwise plain JavaScript.
 */
import { GraftError } from "../errors";
import { decodeInto, decodeMinusInto, encodeFromFloat32 } from "../safetensors";
import type { SimdArena } from "../simd/arena";
import type { DType, MergeChunk, ModelTensor } from "../types";
import type { InputModel, RawChunk } from "./inputs";

/** Chunks read ahead of the one being computed. */
export const READ_AHEAD = 2;
/** Sets of read slots, used in turn by chunk number: the chunk computed and those read ahead. */
export const READ_SLOT_SETS = READ_AHEAD + 1;

/**
 * Reusable float32 buffers for one chunk of every input. A chunk's model
 * views decode weights and compute deltas lazily, once, into these buffers;
 * they are overwritten by the next chunk, so kernels must not keep them.
 */
export class ChunkBuffers {
  // Backing arrays only grow; each chunk gets views of its length. With an
  // arena they start in WebAssembly memory (one chunk's worth each), where
  // the SIMD kernels decode into them and encode from them in place.
  private base: Float32Array;
  private readonly weights: Float32Array[] = [];
  private readonly deltas: Float32Array[] = [];
  /** Where chunks are merged to and encoded. */
  readonly output: OutputBuffer;
  /** Read targets per input, READ_SLOT_SETS sets, by chunk number. */
  private readonly slots: (Uint8Array | null)[][];
  /** Where bytes kept outside the arena (for scan passes) are copied to be decoded by SIMD. */
  private readonly staging: Uint8Array | null;

  /** `readSlots: false`: chunks are never read into these buffers' slots (their bytes are kept elsewhere). */
  constructor(
    models: number,
    private readonly arena: SimdArena | null = null,
    capacity = 0,
    { readSlots = true }: { readSlots?: boolean } = {},
  ) {
    const floats = () => arena?.floats(capacity) ?? new Float32Array(0);
    this.base = floats();
    for (let i = 0; i < models; i++) {
      this.weights.push(floats());
      this.deltas.push(floats());
    }
    this.output = new OutputBuffer(arena, capacity);
    // Stored dtypes are at most 4 bytes (F64 is read through the JS path).
    const readSlot = () => (arena && capacity > 0 && readSlots ? arena.bytes(capacity * 4) : null);
    this.slots = Array.from({ length: READ_SLOT_SETS }, () => Array.from({ length: models + 1 }, readSlot));
    this.staging = arena && capacity > 0 && readSlots ? arena.bytes(capacity * 2) : null;
  }

  /** BF16 bytes where the SIMD kernels can read them: in place, or copied to the staging slot; null if neither. */
  private simdSource(raw: { bytes: Uint8Array; dtype: DType }, ...targets: Float32Array[]): Uint8Array | null {
    const arena = this.arena;
    if (raw.dtype !== "BF16" || !arena || !targets.every((t) => arena.owns(t))) return null;
    if (arena.owns(raw.bytes)) return raw.bytes;
    if (!this.staging || raw.bytes.byteLength > this.staging.byteLength) return null;
    const staged = this.staging.subarray(0, raw.bytes.byteLength);
    staged.set(raw.bytes);
    return staged;
  }

  private fill(raw: RawChunk, target: Float32Array): Float32Array {
    if ("values" in raw) {
      target.set(raw.values);
      return target;
    }
    const src = this.simdSource(raw, target);
    if (src) {
      this.arena!.decodeBf16(src, target, target.length);
      return target;
    }
    return decodeInto(raw.dtype, raw.bytes, target);
  }

  /** Where input `input` (0 = base) of chunk number `chunk` should be read to, if anywhere. */
  slot(chunk: number, input: number): Uint8Array | undefined {
    return this.slots[chunk % READ_SLOT_SETS]![input] ?? undefined;
  }

  /** Decodes one chunk of every input into the buffers and returns the kernel's view of it. */
  view(offset: number, length: number, base: RawChunk | null, models: (RawChunk | null)[], inputs: InputModel[]): MergeChunk {
    const arena = this.arena;
    let baseValues: Float32Array | null = null;
    if (base) {
      this.base = fit(this.arena, this.base, length);
      baseValues = this.fill(base, this.base.subarray(0, length));
    }
    const views = models.map((raw, i): ModelTensor => {
      const isCheckpoint = inputs[i]!.kind === "checkpoint";
      let weights: Float32Array | null = null;
      let delta: Float32Array | null = null;
      const deltaBuf = (this.deltas[i] = fit(this.arena, this.deltas[i]!, length)).subarray(0, length);
      const getWeights = (): Float32Array => {
        if (weights) return weights;
        // Allocated on first use: methods that only need deltas never hold the weights.
        const weightsBuf = (this.weights[i] = fit(this.arena, this.weights[i]!, length)).subarray(0, length);
        weights = isCheckpoint ? this.fill(raw!, weightsBuf) : addInto(baseValues, getDelta(), weightsBuf);
        return weights;
      };
      const getDelta = (): Float32Array => {
        if (delta) return delta;
        if (!isCheckpoint) delta = raw ? this.fill(raw, deltaBuf) : deltaBuf.fill(0);
        else if (weights || !("bytes" in raw!)) delta = subtractInto(getWeights(), baseValues, deltaBuf);
        else {
          if (!baseValues) throw new GraftError("INVALID_RECIPE", "this merge method needs base_model");
          const src = this.simdSource(raw, baseValues, deltaBuf);
          if (src) {
            arena!.decodeBf16Minus(src, baseValues, deltaBuf, length);
            delta = deltaBuf;
          } else delta = decodeMinusInto(raw.dtype, raw.bytes, baseValues, deltaBuf);
        }
        return delta;
      };
      const bf16Weights = (): Uint8Array | null =>
        isCheckpoint && raw && "bytes" in raw && raw.dtype === "BF16" && raw.bytes.byteLength >= 2 * length && arena && baseValues && arena.owns(raw.bytes) && arena.owns(baseValues)
          ? raw.bytes
          : null;
      return { weights: getWeights, delta: getDelta, bf16Weights };
    });
    return { offset, length, base: baseValues, models: views };
  }
}

/** `a` if it holds n floats, else a new buffer (in the arena while it has room). */
function fit(arena: SimdArena | null, a: Float32Array, n: number): Float32Array {
  return a.length >= n ? a : (arena?.floats(n) ?? new Float32Array(n));
}

/**
 * A merged chunk's float32 values and their encoding, reused from chunk to
 * chunk. Kept in the same WebAssembly memory as the chunk's inputs, so the
 * SIMD kernels write and encode it in place.
 */
export class OutputBuffer {
  private backing: Float32Array;
  private readonly bytes: Uint8Array;
  private out: Float32Array = new Float32Array(0);

  constructor(
    private readonly arena: SimdArena | null,
    capacity: number,
  ) {
    this.backing = arena?.floats(capacity) ?? new Float32Array(0);
    // BF16, the one dtype encoded in place, needs 2 bytes per element.
    this.bytes = arena?.bytes(capacity * 2) ?? new Uint8Array(0);
  }

  /** The output buffer for a chunk of `length` elements (valid until the next chunk). */
  for(length: number): Float32Array {
    this.backing = fit(this.arena, this.backing, length);
    this.out = this.backing.subarray(0, length);
    return this.out;
  }

  /** The merged chunk (`for`'s buffer) in `dtype`'s bytes (valid until the next chunk). */
  encode(dtype: DType): Uint8Array {
    const n = this.out.length;
    if (dtype === "BF16" && this.arena?.owns(this.out) && this.bytes.byteLength >= n * 2) {
      const bytes = this.bytes.subarray(0, n * 2);
      this.arena.encodeBf16(this.out, bytes, n);
      return bytes;
    }
    return encodeFromFloat32(dtype, this.out);
  }
}

function subtractInto(weights: Float32Array, base: Float32Array | null, out: Float32Array): Float32Array {
  if (!base) throw new GraftError("INVALID_RECIPE", "this merge method needs base_model");
  const n = out.length;
  for (let j = 0; j < n; j++) out[j] = weights[j]! - base[j]!;
  return out;
}

function addInto(base: Float32Array | null, delta: Float32Array, out: Float32Array): Float32Array {
  if (!base) throw new GraftError("INVALID_RECIPE", "a task vector needs base_model");
  const n = out.length;
  for (let j = 0; j < n; j++) out[j] = base[j]! + delta[j]!;
  return out;
}
