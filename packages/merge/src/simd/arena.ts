/**
 * A WebAssembly memory that holds a merge's chunk buffers, so the SIMD
 * kernels (kernels.wat) decode and encode them in place. Copying data in and
 * out of WebAssembly memory would cost as much as decoding; instead, reads
 * land directly in arena slots and the kernels' float32 arrays are views of
 * the same memory, which plain JavaScript reads and writes as usual.
 *
 * The arena is sized once per merge (views stay valid: the memory never
 * grows). Its memory is shared, so that a helper thread (helper.ts) can take
 * part of each large kernel call (`split`). Where WebAssembly SIMD is
 * unavailable, create() returns null and the engine uses the JavaScript
 * paths.
 *
 * The arithmetic kernels (ops.ts) accept any arrays: `call` runs a kernel on
 * the arena that owns the first of them, copying the others into a small
 * staging region; arrays that belong to no arena go through a shared scratch
 * arena, copied in and out.
 */
import { KernelHelper, MAX_PIECES, resolveArgs, type SplitArg } from "./helper";
import { KERNELS_WASM_BASE64 } from "./kernels.wasm";

export interface KernelExports {
  bf16_decode(src: number, out: number, n: number): void;
  bf16_decode_minus(src: number, minus: number, out: number, n: number): void;
  bf16_encode(src: number, out: number, n: number): void;
  gta_mix(out: number, base: number, ptrs: number, weights: number, m: number, from: number, n: number, scale: number, mode: number, normalize: number, acc: number, floors: number): void;
  count_key(src: number, n: number, key: number): number;
  count_key_bf16(src: number, base: number, n: number, key: number): number;
  nth_key(src: number, n: number, key: number, k: number): number;
  nth_key_bf16(src: number, base: number, n: number, key: number, k: number): number;
  sum_u32(src: number, n: number): number;
  rank_probe(src: number, n: number, key: number, acc: number): void;
  /** gta_mix for 1-4 models, unrolled (mix-unrolled.ts). */
  gta_mix_1: KernelExports["gta_mix"];
  gta_mix_2: KernelExports["gta_mix"];
  gta_mix_3: KernelExports["gta_mix"];
  gta_mix_4: KernelExports["gta_mix"];
  /** gta_mix_<m> reading BF16 weights at `ptrs` and subtracting the base itself. */
  gta_mix_1_bf16: KernelExports["gta_mix"];
  gta_mix_2_bf16: KernelExports["gta_mix"];
  gta_mix_3_bf16: KernelExports["gta_mix"];
  gta_mix_4_bf16: KernelExports["gta_mix"];
  /** rank_probe_bf16 for 1-4 models at once (probe-unrolled.ts). */
  rank_probe_1_bf16(ptrs: number, keys: number, base: number, from: number, n: number, acc: number): void;
  rank_probe_2_bf16: KernelExports["rank_probe_1_bf16"];
  rank_probe_3_bf16: KernelExports["rank_probe_1_bf16"];
  rank_probe_4_bf16: KernelExports["rank_probe_1_bf16"];
  hist_high(bits: number, n: number, histA: number, histB: number, lo: number, bins: number): void;
  hist_high_bf16(src: number, base: number, n: number, histA: number, histB: number, lo: number, bins: number): void;
  hist_window(bits: number, n: number, lo: number, bins: number, hist: number, spare: number): void;
  keep_top(src: number, out: number, n: number, key: number, seen: number, quota: number): number;
}

export type KernelName = keyof KernelExports;
const KERNEL_NAMES: readonly KernelName[] = [
  "bf16_decode",
  "bf16_decode_minus",
  "bf16_encode",
  "gta_mix",
  "gta_mix_1",
  "gta_mix_2",
  "gta_mix_3",
  "gta_mix_4",
  "gta_mix_1_bf16",
  "gta_mix_2_bf16",
  "gta_mix_3_bf16",
  "gta_mix_4_bf16",
  "count_key",
  "count_key_bf16",
  "nth_key",
  "nth_key_bf16",
  "sum_u32",
  "rank_probe",
  "rank_probe_1_bf16",
  "rank_probe_2_bf16",
  "rank_probe_3_bf16",
  "rank_probe_4_bf16",
  "hist_high",
  "hist_high_bf16",
  "hist_window",
  "keep_top",
];

/** Calls over fewer elements than two pieces run whole, on the calling thread. */
const PIECE_ELEMENTS = 32768;

/** Each piece's result, and the piece size (one piece: the call was not split). */
export interface SplitResult {
  results: Int32Array;
  pieceElements: number;
}

/** One argument of a kernel call: an array, or working memory for the kernel alone. */
export type KernelArg =
  | {
      view: ArrayBufferView;
      /** The kernel writes it: a staged copy is copied back. */
      output?: boolean;
    }
  | { scratchBytes: number };

// Node provides WebAssembly at run time; the ES library types used here do
// not declare it, so the few constructors needed are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new wasm.Module(Buffer.from(KERNELS_WASM_BASE64, "base64"));
    } catch {
      compiled = null; // no SIMD support in this runtime
    }
  }
  return compiled;
}

const PAGE = 65536;
const LANES = 8; // kernels process 8 elements per step; the tail is done here
/** Room for copies of small arguments (histograms, pointer tables) next to in-place data. */
const STAGING_BYTES = 1 << 20;
/** Kernels may read up to this many bytes past an array's end (never write). */
const SLACK = 16;

const owners = new WeakMap<ArrayBufferLike, SimdArena>();
let shared: SimdArena | null = null;

export class SimdArena {
  private used = 0;
  private readonly staging: { start: number; end: number };
  private readonly scratch: Float32Array[] = [];
  /** Borrowed regions by offset (until reset), and those given back, by size, for the next borrower. */
  private readonly lent = new Map<number, Uint8Array>();
  private readonly returned = new Map<number, Uint8Array[]>();

  private constructor(
    private readonly memory: WasmMemory,
    private readonly kernels: KernelExports,
    stagingBytes: number,
    private readonly helper: { thread: KernelHelper; memoryId: number } | null,
  ) {
    const region = this.bytes(stagingBytes);
    this.staging = { start: region?.byteOffset ?? 0, end: (region?.byteOffset ?? 0) + (region?.byteLength ?? 0) };
  }

  /**
   * An arena of `bytes` (plus staging room). With a `helper`, large kernel
   * calls on it are shared with the helper's thread; call `release` when done.
   */
  static create(bytes: number, options: { stagingBytes?: number; helper?: KernelHelper | null } = {}): SimdArena | null {
    const module = kernelModule();
    if (!module) return null;
    const stagingBytes = options.stagingBytes ?? STAGING_BYTES;
    // Shared (a SharedArrayBuffer) so that a helper thread can work on it; it never grows.
    const pages = Math.ceil((bytes + stagingBytes) / PAGE) + 1;
    const memory = new wasm.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new wasm.Instance(module, { env: { memory } });
    const helper = options.helper ? { thread: options.helper, memoryId: options.helper.register(module, memory) } : null;
    const arena = new SimdArena(memory, instance.exports as unknown as KernelExports, stagingBytes, helper);
    owners.set(memory.buffer, arena);
    return arena;
  }

  /** A helper thread for the kernels of arenas created with it; null where WebAssembly SIMD is unavailable. */
  static startHelper(): KernelHelper | null {
    return kernelModule() ? KernelHelper.start(KERNEL_NAMES) : null;
  }

  /** Lets the helper thread free this arena's memory; the arena must not be used again. */
  release(): void {
    this.helper?.thread.forget(this.helper.memoryId);
    owners.delete(this.memory.buffer);
  }

  /**
   * Runs kernel `name` over elements [0, n): in pieces taken by this thread
   * and the helper when there is one and n is large, else in one call.
   * Arguments are resolved per piece (see SplitArg); `alone` values apply
   * when the call is not split.
   */
  split(name: KernelName, n: number, args: readonly SplitArg[]): SplitResult {
    const kernels = this.kernels as unknown as Record<string, (...a: number[]) => number>;
    if (this.helper && n >= 2 * PIECE_ELEMENTS) {
      const pieceElements = Math.max(PIECE_ELEMENTS, Math.ceil(n / MAX_PIECES / 1024) * 1024);
      return { results: this.helper.thread.run(kernels, this.helper.memoryId, name, n, pieceElements, args), pieceElements };
    }
    return { results: Int32Array.of(kernels[name]!(...resolveArgs(args, 0, n)) | 0), pieceElements: Math.max(n, 1) };
  }

  /**
   * Runs a kernel with the byte offsets of `args` in one arena: the arena
   * owning the first argument, with the others staged beside it when they
   * fit, else a shared scratch arena with every argument copied. Returns null
   * where WebAssembly SIMD is unavailable.
   */
  static call<T>(args: readonly KernelArg[], run: (kernels: KernelExports, ptrs: number[], heap: ArrayBuffer, arena: SimdArena) => T): T | null {
    const first = args[0];
    const home = first && "view" in first ? owners.get(first.view.buffer) : undefined;
    if (home) {
      const result = home.callStaged(args, run);
      if (result.ran) return result.value;
    }
    const need = args.reduce((a, arg) => a + aligned(byteLength(arg) + SLACK), 0);
    if (!shared || shared.staging.end - shared.staging.start < need) {
      shared = SimdArena.create(0, { stagingBytes: Math.max(need, 2 * (shared ? shared.staging.end - shared.staging.start : 0), STAGING_BYTES) });
      if (!shared) return null;
    }
    const result = shared.callStaged(args, run);
    return result.ran ? result.value : null;
  }

  /** Runs with arguments in this arena used in place and the others copied to staging (and back); ran: false if they do not fit. */
  private callStaged<T>(args: readonly KernelArg[], run: (kernels: KernelExports, ptrs: number[], heap: ArrayBuffer, arena: SimdArena) => T): { ran: true; value: T } | { ran: false } {
    const heap = new Uint8Array(this.memory.buffer);
    let next = this.staging.start;
    const copies: { view: ArrayBufferView; output: boolean; at: number }[] = [];
    const ptrs = args.map((arg) => {
      if ("view" in arg && this.owns(arg.view)) return arg.view.byteOffset;
      const at = next;
      next += aligned(byteLength(arg) + SLACK);
      if ("view" in arg) copies.push({ view: arg.view, output: arg.output ?? false, at });
      return at;
    });
    if (next > this.staging.end) return { ran: false };
    for (const { view, at } of copies) heap.set(bytesOf(view), at);
    const value = run(this.kernels, ptrs, this.memory.buffer, this);
    for (const { view, output, at } of copies) if (output) bytesOf(view).set(heap.subarray(at, at + view.byteLength));
    return { ran: true, value };
  }

  /** A 16-byte aligned region of the arena, or null when it is full. */
  bytes(length: number): Uint8Array | null {
    const start = this.used;
    if (start + length > this.memory.buffer.byteLength) return null;
    this.used = start + Math.ceil(length / 16) * 16;
    return new Uint8Array(this.memory.buffer, start, length);
  }

  floats(length: number): Float32Array | null {
    const b = this.bytes(length * 4);
    return b && new Float32Array(b.buffer, b.byteOffset, length);
  }

  /** Bytes the arena can hand out in all. */
  get capacity(): number {
    return this.memory.buffer.byteLength - this.staging.end;
  }

  /** Takes back every region handed out (their views must no longer be used), keeping the memory. */
  reset(): void {
    this.used = this.staging.end;
    this.scratch.length = 0;
    this.lent.clear();
    this.returned.clear();
  }

  /**
   * A zeroed region for state that kernels update across calls (a
   * selector's histograms), so it stays beside the data instead of being
   * copied in and out on every call. Give it back with `giveBack`; null if
   * the arena is full.
   */
  borrow(length: number): Uint8Array | null {
    const region = this.returned.get(length)?.pop() ?? this.bytes(length);
    if (!region) return null;
    region.fill(0);
    this.lent.set(region.byteOffset, region);
    return region;
  }

  /** Returns a borrowed region (or any view of all of it) for reuse; ignored after a reset, which took it back already. */
  giveBack(view: ArrayBufferView): void {
    const region = this.owns(view) ? this.lent.get(view.byteOffset) : undefined;
    if (!region || region.byteLength !== view.byteLength) return;
    this.lent.delete(view.byteOffset);
    const list = this.returned.get(region.byteLength);
    if (list) list.push(region);
    else this.returned.set(region.byteLength, [region]);
  }

  /**
   * Reusable working buffer number `slot`, of `length` floats: the same memory
   * on every call while it is large enough, so kernels that fill it every
   * chunk allocate once. Null if the arena is full.
   */
  scratchFloats(slot: number, length: number): Float32Array | null {
    let s = this.scratch[slot];
    if (!s || s.length < length) {
      const fresh = this.floats(length);
      if (!fresh) return null;
      s = this.scratch[slot] = fresh;
    }
    return s.subarray(0, length);
  }

  /** The arena whose memory holds `view`, if any. */
  static owning(view: ArrayBufferView): SimdArena | null {
    return owners.get(view.buffer) ?? null;
  }

  owns(view: ArrayBufferView): boolean {
    return view.buffer === this.memory.buffer;
  }

  /** out[i] = float32(bf16 src[i]); src and out must be arena views. */
  decodeBf16(src: Uint8Array, out: Float32Array, n: number): void {
    const main = n - (n % LANES);
    this.split("bf16_decode", main, [{ ptr: src.byteOffset, stride: 2 }, { ptr: out.byteOffset, stride: 4 }, "count"]);
    const halves = new Uint16Array(src.buffer, src.byteOffset, n);
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = main; i < n; i++) bits[i] = halves[i]! << 16;
  }

  /** out[i] = float32(bf16 src[i]) - minus[i]; all arena views. */
  decodeBf16Minus(src: Uint8Array, minus: Float32Array, out: Float32Array, n: number): void {
    const main = n - (n % LANES);
    this.split("bf16_decode_minus", main, [{ ptr: src.byteOffset, stride: 2 }, { ptr: minus.byteOffset, stride: 4 }, { ptr: out.byteOffset, stride: 4 }, "count"]);
    const halves = new Uint16Array(src.buffer, src.byteOffset, n);
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = main; i < n; i++) {
      bits[i] = halves[i]! << 16;
      out[i] -= minus[i]!;
    }
  }

  /** out = bf16 bytes of src (round to nearest even); both arena views. */
  encodeBf16(src: Float32Array, out: Uint8Array, n: number): void {
    const main = n - (n % LANES);
    this.split("bf16_encode", main, [{ ptr: src.byteOffset, stride: 4 }, { ptr: out.byteOffset, stride: 2 }, "count"]);
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    const halves = new Uint16Array(out.buffer, out.byteOffset, n);
    for (let i = main; i < n; i++) {
      const x = bits[i]!;
      halves[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
}

function aligned(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function byteLength(arg: KernelArg): number {
  return "view" in arg ? arg.view.byteLength : arg.scratchBytes;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
