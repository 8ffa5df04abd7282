import { describe, expect, it } from "vitest";
import {
  DTYPE_SIZES,
  decodeToFloat32,
  encodeFromFloat32,
  f16BitsToF32Bits,
  f32BitsToBf16Bits,
  f32BitsToF16Bits,
  isFloatDType,
} from "./dtypes";
import { expectGraftError } from "./testing";

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0];
}
function floatOf(bits: number): number {
  u32[0] = bits;
  return f32[0];
}
function u16Bytes(...values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}
function u16Of(bytes: Uint8Array): number[] {
  return [...new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2)];
}

describe("dtype sizes", () => {
  it("matches the safetensors element sizes", () => {
    expect(DTYPE_SIZES).toEqual({ F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1 });
    expect(["F64", "F32", "F16", "BF16"].every((d) => isFloatDType(d as never))).toBe(true);
    expect(isFloatDType("I32")).toBe(false);
  });
});

describe("bf16 rounding is round-to-nearest-even", () => {
  const cases: [string, number, number][] = [
    ["1.0 is exact", 0x3f800000, 0x3f80],
    ["1+2^-8 is a tie and goes down to even 1.0", 0x3f808000, 0x3f80],
    ["1+3·2^-9 is above the tie and goes up", 0x3f80c000, 0x3f81],
    ["1+2^-7+2^-8 is a tie and goes up to even", 0x3f818000, 0x3f82],
    ["-1-2^-8 ties toward even magnitude", 0xbf808000, 0xbf80],
    ["max float overflows to inf", 0x7f7fffff, 0x7f80],
    ["just below the overflow tie stays finite", 0x7f7f7fff, 0x7f7f],
    ["-inf stays -inf", 0xff800000, 0xff80],
    ["a subnormal tie goes to even zero", 0x00008000, 0x0000],
    ["a subnormal tie goes up to even", 0x00018000, 0x0002],
    ["quiet NaN stays NaN", 0x7fc00000, 0x7fc0],
    ["NaN with only low payload bits stays NaN (not inf)", 0x7f800001, 0x7fc0],
    ["negative NaN stays negative NaN", 0xffc00000, 0xffc0],
  ];
  for (const [label, input, expected] of cases) {
    it(label, () => {
      expect(f32BitsToBf16Bits(input)).toBe(expected);
      expect(u16Of(encodeFromFloat32("BF16", new Float32Array([floatOf(input)])))).toEqual([expected]);
    });
  }
});

describe("f16 rounding is round-to-nearest-even", () => {
  const cases: [string, number, number][] = [
    ["1.0 is exact", 1, 0x3c00],
    ["1+2^-11 is a tie and goes down to 1.0", 1 + 2 ** -11, 0x3c00],
    ["1+3·2^-12 goes up", 1 + 3 * 2 ** -12, 0x3c01],
    ["1+2^-10+2^-11 is a tie and goes up to even", 1 + 2 ** -10 + 2 ** -11, 0x3c02],
    ["1/3", 1 / 3, 0x3555],
    ["-2", -2, 0xc000],
    ["65504 is the largest half", 65504, 0x7bff],
    ["65519 still rounds to 65504", 65519, 0x7bff],
    ["65520 is the overflow tie and becomes inf", 65520, 0x7c00],
    ["1e10 overflows to inf", 1e10, 0x7c00],
    ["-1e10 overflows to -inf", -1e10, 0xfc00],
    ["2^-14 is the smallest normal", 2 ** -14, 0x0400],
    ["2^-24 is the smallest subnormal", 2 ** -24, 0x0001],
    ["2^-25 is a tie and goes to even zero", 2 ** -25, 0x0000],
    ["-2^-25 goes to -0", -(2 ** -25), 0x8000],
    ["1.5·2^-25 goes up to the smallest subnormal", 1.5 * 2 ** -25, 0x0001],
    ["3·2^-25 is a tie between 1 and 2 subnormal units: 2", 3 * 2 ** -25, 0x0002],
    ["5·2^-25 is a tie between 2 and 3 subnormal units: 2", 5 * 2 ** -25, 0x0002],
    ["1023.5·2^-24 ties up into the smallest normal", 1023.5 * 2 ** -24, 0x0400],
    ["1e-10 underflows to zero", 1e-10, 0x0000],
    ["-0 keeps its sign", -0, 0x8000],
    ["inf", Infinity, 0x7c00],
    ["-inf", -Infinity, 0xfc00],
  ];
  for (const [label, input, expected] of cases) {
    it(label, () => {
      expect(f32BitsToF16Bits(bitsOf(input))).toBe(expected);
      expect(u16Of(encodeFromFloat32("F16", new Float32Array([input])))).toEqual([expected]);
    });
  }

  it("keeps NaN as NaN, including NaNs whose payload lives only in the low bits", () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffc00000, 0x7fffffff]) {
      const h = f32BitsToF16Bits(bits);
      expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
      expect(h & 0x8000).toBe((bits >>> 16) & 0x8000);
    }
    expect(decodeToFloat32("F16", encodeFromFloat32("F16", new Float32Array([NaN])))[0]).toBeNaN();
  });

  it("matches a brute-force nearest-half search on random floats", () => {
    // Every finite half value, sorted by value, as the reference.
    const finite: { bits: number; value: number }[] = [];
    for (let h = 0; h < 0x7c00; h++) finite.push({ bits: h, value: floatOf(f16BitsToF32Bits(h)) });
    finite.push({ bits: 0x7c00, value: 65536 }); // "next value" past the max for rounding purposes
    let seed = 12345;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround(random() * 2 ** (Math.floor(random() * 44) - 28));
      let lo = 0;
      let hi = finite.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (finite[mid].value <= x) lo = mid;
        else hi = mid;
      }
      const a = finite[lo];
      const b = finite[hi];
      const expected =
        x - a.value < b.value - x ? a.bits : x - a.value > b.value - x ? b.bits : (a.bits & 1) === 0 ? a.bits : b.bits;
      expect(f32BitsToF16Bits(bitsOf(x)), `x=${x}`).toBe(expected);
    }
  });
});

describe("f16 decoding", () => {
  it("decodes known bit patterns, subnormals, infinities and NaN", () => {
    const out = decodeToFloat32("F16", u16Bytes(0x3c00, 0xc000, 0x3555, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000));
    expect([...out.slice(0, 9)]).toEqual([1, -2, 0.333251953125, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, 65504, Infinity, -Infinity]);
    expect(out[9]).toBeNaN();
    expect(Object.is(out[10], -0)).toBe(true);
  });

  it("round-trips every one of the 65536 half bit patterns", () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const decoded = decodeToFloat32("F16", new Uint8Array(all.buffer));
    const again = new Uint16Array(encodeFromFloat32("F16", decoded).buffer);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(decoded[h])).toBe(true);
      else if (again[h] !== h) expect.fail(`half 0x${h.toString(16)} came back as 0x${again[h].toString(16)}`);
    }
  });
});

describe("round trips through bytes", () => {
  const values = new Float32Array([0, -0, 1, -1.5, 3.140625, 2 ** -10, 65504, -1024, 2 ** -24]);

  it("is exact for F32, F64 and (for representable values) F16 and BF16", () => {
    for (const dtype of ["F32", "F64", "F16"] as const) {
      const bytes = encodeFromFloat32(dtype, values);
      expect(bytes.byteLength).toBe(values.length * DTYPE_SIZES[dtype]);
      expect([...decodeToFloat32(dtype, bytes)]).toEqual([...values]);
    }
    const bfValues = new Float32Array([0, 1, -1.5, 3.140625, -1024, 2 ** -100, 2 ** 127]);
    expect([...decodeToFloat32("BF16", encodeFromFloat32("BF16", bfValues))]).toEqual([...bfValues]);
  });

  it("rounds F64 to the nearest float", () => {
    const bytes = new Uint8Array(new Float64Array([0.1, 1e300, -1e-300]).buffer);
    expect([...decodeToFloat32("F64", bytes)]).toEqual([Math.fround(0.1), Infinity, -0]);
  });

  it("decodes inputs whose byteOffset is not aligned", () => {
    for (const dtype of ["F64", "F32", "F16", "BF16"] as const) {
      const encoded = encodeFromFloat32(dtype, values.subarray(0, 4));
      const backing = new Uint8Array(encoded.byteLength + 1);
      backing.set(encoded, 1);
      expect([...decodeToFloat32(dtype, backing.subarray(1))]).toEqual([...values.subarray(0, 4)]);
    }
  });

  it("does not return a view of the input", () => {
    const bytes = encodeFromFloat32("F32", new Float32Array([1, 2]));
    const decoded = decodeToFloat32("F32", bytes);
    decoded[0] = 9;
    expect(decodeToFloat32("F32", bytes)[0]).toBe(1);
  });

  it("refuses integer dtypes and ragged byte lengths", async () => {
    await expectGraftError(() => decodeToFloat32("I32", new Uint8Array(4)), "UNSUPPORTED", /I32/);
    await expectGraftError(() => encodeFromFloat32("U8", new Float32Array(1)), "UNSUPPORTED", /U8/);
    await expectGraftError(() => decodeToFloat32("F16", new Uint8Array(3)), "INVALID_ARGUMENT", /3 bytes/);
  });
});
