import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseHeader } from "./header";
import { openSafetensors } from "./reader";
import { assembleFile, expectGraftError, makeTempDir, removeDir, writeRaw } from "./testing";

const SRC = "bad.safetensors";

function parse(header: string, dataByteLength: number) {
  return parseHeader(new TextEncoder().encode(header), dataByteLength, SRC);
}

async function rejects(header: string, dataByteLength: number, message: RegExp) {
  const error = await expectGraftError(() => parse(header, dataByteLength), "INVALID_SAFETENSORS", message);
  expect(error.message.startsWith(`${SRC}: `)).toBe(true);
}

const f32x2 = (begin: number) => `{"dtype":"F32","shape":[2],"data_offsets":[${begin},${begin + 8}]}`;

describe("parseHeader accepts valid headers", () => {
  it("returns tensors sorted by name, with byte lengths and offsets, and the metadata", () => {
    const parsed = parse(
      `{"__metadata__":{"format":"pt"},"z":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"a":{"dtype":"I8","shape":[2,1],"data_offsets":[6,8]}}   `,
      8,
    );
    expect(parsed.metadata).toEqual({ format: "pt" });
    expect(parsed.tensors).toEqual([
      { name: "a", dtype: "I8", shape: [2, 1], byteLength: 2, dataOffsets: [6, 8] },
      { name: "z", dtype: "F16", shape: [3], byteLength: 6, dataOffsets: [0, 6] },
    ]);
  });

  it("accepts scalars, zero-sized tensors and an empty file", () => {
    const parsed = parse(
      `{"s":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"e":{"dtype":"F32","shape":[0,4],"data_offsets":[8,8]}}`,
      8,
    );
    expect(parsed.tensors.map((t) => t.byteLength)).toEqual([0, 8]);
    expect(parse("{}", 0)).toEqual({ tensors: [], metadata: {} });
  });
});

describe("parseHeader rejects", () => {
  it("offsets past the end of the data section", () => rejects(`{"a":${f32x2(0)}}`, 4, /tensor "a" data_offsets \[0, 8\] run past the 4-byte data section/));
  it("a gap between tensors", () => rejects(`{"a":${f32x2(0)},"b":${f32x2(12)}}`, 20, /gap in data: bytes \[8, 12\) belong to no tensor/));
  it("a gap at the start", () => rejects(`{"a":${f32x2(4)}}`, 12, /gap in data: bytes \[0, 4\)/));
  it("overlapping tensors", () => rejects(`{"a":${f32x2(0)},"b":${f32x2(4)}}`, 12, /tensor "b" data_offsets \[4, 12\] overlap the previous tensor/));
  it("trailing bytes after the last tensor", () => rejects(`{"a":${f32x2(0)}}`, 9, /tensors cover 8 bytes but the data section has 9/));
  it("a byte range that does not match dtype × shape", () =>
    rejects(`{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}}`, 12, /tensor "a" data_offsets \[0, 12\] span 12 bytes but F32 \[2,3\] needs 24/));
  it("end before begin", () => rejects(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4, /end before begin/));
  it("an unknown dtype", () => rejects(`{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}}`, 1, /tensor "a" has unknown dtype "Q4"/));
  it("a valid but unsupported dtype, as UNSUPPORTED", () =>
    expectGraftError(() => parse(`{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}`, 2), "UNSUPPORTED", /tensor "a" has dtype F8_E4M3, which Graft does not support/));
  it("a negative dimension", () => rejects(`{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`, 0, /shape must be an array of non-negative integers, got \[-1\]/));
  it("a fractional dimension", () => rejects(`{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}`, 1, /non-negative integers, got \[1.5\]/));
  it("malformed data_offsets", () => rejects(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}`, 1, /data_offsets must be \[begin, end\]/));
  it("a missing field", () => rejects(`{"a":{"dtype":"U8","shape":[1]}}`, 1, /data_offsets must be/));
  it("an unknown field", () => rejects(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1, /tensor "a" has unknown field "x"/));
  it("a duplicate tensor name", () => rejects(`{"a":${f32x2(0)},"a":${f32x2(8)}}`, 16, /duplicate key "a"/));
  it("a duplicate key inside a tensor", () =>
    rejects(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1, /duplicate key "dtype"/));
  it("a duplicate metadata key", () => rejects(`{"__metadata__":{"k":"1","k":"2"}}`, 0, /duplicate key "k"/));
  it("a non-string metadata value", () => rejects(`{"__metadata__":{"step":1}}`, 0, /__metadata__ value for "step" must be a string, got 1/));
  it("metadata that is not an object", () => rejects(`{"__metadata__":["x"]}`, 0, /__metadata__ must be an object/));
  it("an empty tensor name", () => rejects(`{"":${f32x2(0)}}`, 8, /empty name/));
  it("a tensor that is not an object", () => rejects(`{"a":[1]}`, 0, /tensor "a" must be an object/));
  it("invalid JSON", () => rejects(`{"a":`, 0, /not valid JSON/));
  it("JSON that is not an object", () => rejects(`[1]`, 0, /does not start with '\{'/));
  it("invalid UTF-8", () =>
    expectGraftError(() => parseHeader(new Uint8Array([0x7b, 0xff, 0x7d]), 0, SRC), "INVALID_SAFETENSORS", /not valid UTF-8/));
});

describe("openSafetensors rejects bad framing", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  it("a header length over 100 MB", async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    const path = await writeRaw(join(dir, "huge.safetensors"), bytes);
    await expectGraftError(() => openSafetensors(path), "INVALID_SAFETENSORS", /header length 100000001 exceeds the 100000000-byte limit/);
  });

  it("a header length past the end of the file (truncated)", async () => {
    const full = assembleFile(`{"a":${f32x2(0)}}`, new Uint8Array(8));
    const path = await writeRaw(join(dir, "cut.safetensors"), full.subarray(0, 20));
    await expectGraftError(() => openSafetensors(path), "INVALID_SAFETENSORS", /cut\.safetensors: header length \d+ exceeds the 12 bytes after the length prefix/);
  });

  it("truncated tensor data", async () => {
    const full = assembleFile(`{"a":${f32x2(0)}}`, new Uint8Array(8));
    const path = await writeRaw(join(dir, "short.safetensors"), full.subarray(0, full.length - 3));
    await expectGraftError(() => openSafetensors(path), "INVALID_SAFETENSORS", /short\.safetensors: tensor "a" data_offsets \[0, 8\] run past the 5-byte data section/);
  });

  it("a file shorter than the length prefix", async () => {
    const path = await writeRaw(join(dir, "tiny.safetensors"), new Uint8Array(3));
    await expectGraftError(() => openSafetensors(path), "INVALID_SAFETENSORS", /tiny\.safetensors: file is 3 bytes, too short/);
  });

  it("a missing file", async () => {
    await expectGraftError(() => openSafetensors(join(dir, "nope.safetensors")), "NOT_FOUND", /nope\.safetensors: no such file/);
  });
});
