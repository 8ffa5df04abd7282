/**
 * A WebAssembly memory that holds a merge's chunk buffers, so the SIMD
 * kernels (kernels.wat) decode and encode them in place. Copying data in and
 * out of WebAssembly memory would cost more than the kernels save; instead,
 * reads land directly in arena slots and the kernels' float32 arrays are
 * views of the same memory, which plain JavaScript reads and writes as usual.
 *
 * The arena is sized once per merge (views stay valid: the memory never
 * grows). Where WebAssembly SIMD is unavailable, create() returns null and
 * the engine uses the JavaScript paths.
 */
import { KERNELS_WASM_BASE64 } from "./kernels.wasm";

interface KernelExports {
  bf16_decode(src: number, out: number, n: number): void;
  bf16_decode_minus(src: number, minus: number, out: number, n: number): void;
  bf16_encode(src: number, out: number, n: number): void;
}

// Node provides WebAssembly at run time; the ES library types used here do
// not declare it, so the few constructors needed are typed locally.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
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

export class SimdArena {
  private used = 0;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly kernels: KernelExports,
  ) {}

  static create(bytes: number): SimdArena | null {
    const module = kernelModule();
    if (!module) return null;
    const memory = new wasm.Memory({ initial: Math.ceil(bytes / PAGE) + 1 });
    const instance = new wasm.Instance(module, { env: { memory } });
    return new SimdArena(memory, instance.exports as unknown as KernelExports);
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

  owns(view: ArrayBufferView): boolean {
    return view.buffer === this.memory.buffer;
  }

  /** out[i] = float32(bf16 src[i]); src and out must be arena views. */
  decodeBf16(src: Uint8Array, out: Float32Array, n: number): void {
    const main = n - (n % LANES);
    this.kernels.bf16_decode(src.byteOffset, out.byteOffset, main);
    const halves = new Uint16Array(src.buffer, src.byteOffset, n);
    const bits = new Uint32Array(out.buffer, out.byteOffset, n);
    for (let i = main; i < n; i++) bits[i] = halves[i]! << 16;
  }

  /** out[i] = float32(bf16 src[i]) - minus[i]; all arena views. */
  decodeBf16Minus(src: Uint8Array, minus: Float32Array, out: Float32Array, n: number): void {
    const main = n - (n % LANES);
    this.kernels.bf16_decode_minus(src.byteOffset, minus.byteOffset, out.byteOffset, main);
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
    this.kernels.bf16_encode(src.byteOffset, out.byteOffset, main);
    const bits = new Uint32Array(src.buffer, src.byteOffset, n);
    const halves = new Uint16Array(out.buffer, out.byteOffset, n);
    for (let i = main; i < n; i++) {
      const x = bits[i]!;
      halves[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
}
