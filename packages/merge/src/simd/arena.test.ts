import { describe, expect, it } from "vitest";
import { decodeToFloat32, encodeFromFloat32 } from "../safetensors";
import { SimdArena } from "./arena";

// Every BF16 bit pattern, plus float32 values around every rounding case.
function allBf16(): Uint8Array {
  const halves = new Uint16Array(65536 + 3); // a tail that is not a multiple of 8
  for (let h = 0; h < 65536; h++) halves[h] = h;
  halves.set([0x3f80, 0x7fc0, 0xff80], 65536);
  return new Uint8Array(halves.buffer);
}

describe("SIMD arena kernels", () => {
  const arena = SimdArena.create(8 << 20)!;

  it("decodes every bf16 pattern exactly like the JavaScript decoder", () => {
    const raw = allBf16();
    const n = raw.byteLength / 2;
    const src = arena.bytes(raw.byteLength)!;
    src.set(raw);
    const out = arena.floats(n)!;
    arena.decodeBf16(src, out, n);
    const expected = decodeToFloat32("BF16", raw);
    expect(Buffer.from(out.buffer, out.byteOffset, n * 4).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it("fuses the subtraction: decode(src) - minus, bit for bit", () => {
    const raw = allBf16();
    const n = raw.byteLength / 2;
    const src = arena.bytes(raw.byteLength)!;
    src.set(raw);
    const minus = arena.floats(n)!;
    for (let i = 0; i < n; i++) minus[i] = Math.sin(i) * 3;
    const out = arena.floats(n)!;
    arena.decodeBf16Minus(src, minus, out, n);
    const decoded = decodeToFloat32("BF16", raw);
    const expected = new Float32Array(n);
    for (let i = 0; i < n; i++) expected[i] = decoded[i]! - minus[i]!;
    expect(Buffer.from(out.buffer, out.byteOffset, n * 4).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it("encodes to bf16 with round-to-nearest-even, NaN kept, like the JavaScript encoder", () => {
    const n = 200_003;
    const values = arena.floats(n)!;
    const bits = new Uint32Array(values.buffer, values.byteOffset, n);
    for (let i = 0; i < n; i++) bits[i] = Math.imul(i, 2654435761) >>> 0; // every exponent, ties, NaNs, infinities
    bits[0] = 0x3f808000; // a tie that rounds to even (down)
    bits[1] = 0x3f818000; // a tie that rounds to even (up)
    const out = arena.bytes(n * 2)!;
    arena.encodeBf16(values, out, n);
    const expected = encodeFromFloat32("BF16", new Float32Array(values));
    expect(Buffer.from(out.buffer, out.byteOffset, n * 2).equals(Buffer.from(expected))).toBe(true);
  });

  it("hands out aligned regions until the arena is full", () => {
    const small = SimdArena.create(1024)!;
    const a = small.bytes(3)!;
    const b = small.bytes(5)!;
    expect(b.byteOffset - a.byteOffset).toBe(16);
    expect(small.bytes(1 << 20)).toBeNull();
  });

  it("lends zeroed regions, reuses those given back, and forgets loans at a reset", () => {
    const a = SimdArena.create(1 << 20)!;
    const first = a.borrow(4096)!;
    first.fill(7);
    a.giveBack(new Uint32Array(first.buffer, first.byteOffset, 1024)); // any view of the whole region
    const again = a.borrow(4096)!;
    expect(again.byteOffset).toBe(first.byteOffset);
    expect(again.every((v) => v === 0)).toBe(true);
    a.giveBack(again.subarray(0, 16)); // not the whole region: ignored
    expect(a.borrow(4096)!.byteOffset).not.toBe(first.byteOffset);
    a.reset();
    a.giveBack(again); // lent before the reset: ignored
    expect(a.borrow(4096)!.byteOffset).toBe(a.bytes(0)!.byteOffset - 4096);
  });
});
