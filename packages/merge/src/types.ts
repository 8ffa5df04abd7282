/**
 * The contracts between the merge library's modules. Each module owns its
 * implementation; these shapes are what the engine, the CLI and the web app
 * rely on.
 */

/** safetensors dtype strings, exactly as they appear in file headers. */
export type DType =
  | "F64" | "F32" | "F16" | "BF16"
  | "I64" | "I32" | "I16" | "I8"
  | "U64" | "U32" | "U16" | "U8"
  | "BOOL";

export interface TensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** dtype size × product(shape) */
  byteLength: number;
}

/** Read access to the tensors of one checkpoint (single file or shards). */
export interface TensorReader {
  /** Tensors in a stable order (sorted by name). */
  readonly tensors: readonly TensorInfo[];
  /** `__metadata__` of the (first) file; string → string. */
  readonly metadata: Readonly<Record<string, string>>;
  has(name: string): boolean;
  info(name: string): TensorInfo;
  /** The raw little-endian bytes of one tensor, read on demand. */
  readBytes(name: string): Promise<Uint8Array>;
  /** One float tensor decoded to F32 (F16/BF16/F64 converted). Throws for integer/bool dtypes. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

/** A seeded deterministic random source (documented algorithm, same bytes on every machine). */
export interface Prng {
  /** Uniform float in [0, 1). */
  next(): number;
}

/** Parameter value after per-tensor resolution (gradients and filters applied). */
export type ParamValue = number | boolean | string;

/**
 * One tensor of one input model, as seen by a merge method. `weights()` is the
 * model's full tensor, `delta()` its difference to the base; whichever is
 * native is returned directly and the other computed lazily once.
 */
export interface ModelTensor {
  weights(): Float32Array;
  delta(): Float32Array;
  /**
   * The stored BF16 weights of the whole chunk, as raw bytes beside the
   * decoded base in WebAssembly memory, when this input is such a checkpoint
   * chunk: a SIMD kernel can then compute the delta itself instead of
   * reading `delta()`.
   */
  bf16Weights?(): Uint8Array | null;
}

export interface TensorMergeInput {
  name: string;
  shape: number[];
  /** Base tensor; null when the recipe has no base_model. */
  base: Float32Array | null;
  models: ModelTensor[];
  /** Resolved per-model parameters, parallel to `models` (defaults filled in). */
  modelParams: Record<string, ParamValue>[];
  /** Resolved global parameters (defaults filled in). */
  params: Record<string, ParamValue>;
  /** Seeded per tensor from random_seed and the tensor name. */
  rng: Prng;
}

export interface ParameterDef {
  name: string;
  type: "number" | "boolean" | "string";
  /** undefined means required */
  default?: ParamValue;
  description: string;
}

export interface MergeMethod {
  name: string;
  description: string;
  /** Whether base_model must be given. */
  requiresBase: boolean;
  /** Minimum number of models (excluding the base). */
  minModels?: number;
  /** Exact number of models, when fixed (slerp: 2 including base handling, see method doc). */
  maxModels?: number;
  globalParameters: ParameterDef[];
  modelParameters: ParameterDef[];
  /** Merge one tensor; returns a new Float32Array of the same length. */
  mergeTensor(input: TensorMergeInput): Float32Array;
}

// ---------------------------------------------------------------------------
// Streaming kernels. The engine never holds whole tensors of every input at
// once: it feeds a method's kernel contiguous element ranges ("chunks") of all
// inputs together. Methods that need whole-tensor statistics first (a top-k
// threshold, an L1 norm, a dot product) declare scan passes; the engine runs
// them over the same chunks before the merge pass. Chunks arrive in increasing
// offset order in every pass, so a kernel can replay a per-tensor PRNG stream.

/** A contiguous range [offset, offset + length) of one tensor, for every input. */
export interface MergeChunk {
  offset: number;
  length: number;
  /** The base's values in this range; null when the recipe has no base_model. */
  base: Float32Array | null;
  /** Each model's values in this range (weights or delta, lazily). */
  models: ModelTensor[];
}

export interface TensorContext {
  name: string;
  shape: number[];
  numel: number;
  /** Resolved global parameters (defaults filled in). */
  params: Record<string, ParamValue>;
  /** Resolved per-model parameters, parallel to the models. */
  modelParams: Record<string, ParamValue>[];
  /** random_seed of the recipe (0 when absent). */
  seed: number;
}

export interface TensorKernel {
  /**
   * Statistic passes over the whole tensor before merging (0 for element-wise
   * methods). It may drop after `endScan(pass)` when that pass made the later
   * ones unnecessary, so callers re-read it after every pass.
   */
  readonly scanPasses: number;
  scan?(pass: number, chunk: MergeChunk): void;
  /** Called after every chunk of a scan pass has been seen. */
  endScan?(pass: number): void;
  /** Writes the merged values of the chunk into `out` (same length). */
  merge(chunk: MergeChunk, out: Float32Array): void;
}

export interface StreamingMergeMethod extends Omit<MergeMethod, "mergeTensor"> {
  /** When true, chunk boundaries fall on whole rows of the last dimension. */
  rowAligned?: boolean;
  createKernel(ctx: TensorContext): TensorKernel;
}
