import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DType } from "../types";
import { DTYPE_SIZES, encodeFromFloat32 } from "./dtypes";
import { openSafetensors } from "./reader";
import { assembleFile, expectGraftError, f32Bytes, makeTempDir, removeDir, writeRaw, writeTensors, type TestTensor } from "./testing";
import { createSafetensorsWriter } from "./writer";

const execFileAsync = promisify(execFile);

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(() => removeDir(dir));

/**
 * Written by the reference implementation (Python safetensors 0.8.0):
 *   save({"w": np.array([[1, -2], [0.5, 3]], float32), "h": np.array([1, -0.0, 65504], float16),
 *         "i": np.array([7, -1], int8)}, metadata={"format": "pt"})
 */
const PYTHON_REFERENCE_HEX =
  "c800000000000000" +
  Buffer.from(
    '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"h":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},"i":{"dtype":"I8","shape":[2],"data_offsets":[22,24]}}   ',
  ).toString("hex") +
  "0000803f000000c00000003f00004040003c0080ff7b07ff";

const referenceTensors: TestTensor[] = [
  { name: "w", dtype: "F32", shape: [2, 2], bytes: f32Bytes([1, -2, 0.5, 3]) },
  { name: "h", dtype: "F16", shape: [3], bytes: new Uint8Array([0x00, 0x3c, 0x00, 0x80, 0xff, 0x7b]) },
  { name: "i", dtype: "I8", shape: [2], bytes: new Uint8Array([7, 0xff]) },
];

describe("the public byte layout", () => {
  it("a hand-assembled file equals the Python library's bytes", () => {
    const header =
      '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
      '"h":{"dtype":"F16","shape":[3],"data_offsets":[16,22]},"i":{"dtype":"I8","shape":[2],"data_offsets":[22,24]}}';
    const data = new Uint8Array(24);
    data.set(referenceTensors[0].bytes, 0);
    data.set(referenceTensors[1].bytes, 16);
    data.set(referenceTensors[2].bytes, 22);
    expect(Buffer.from(assembleFile(header, data)).toString("hex")).toBe(PYTHON_REFERENCE_HEX);
  });

  it("the reader decodes the reference file", async () => {
    const path = await writeRaw(join(dir, "ref.safetensors"), Buffer.from(PYTHON_REFERENCE_HEX, "hex"));
    const file = await openSafetensors(path);
    try {
      expect(file.metadata).toEqual({ format: "pt" });
      expect(file.tensors.map((t) => [t.name, t.dtype, t.shape, t.byteLength])).toEqual([
        ["h", "F16", [3], 6],
        ["i", "I8", [2], 2],
        ["w", "F32", [2, 2], 16],
      ]);
      expect(file.dataStart).toBe(8 + 200);
      expect([...(await file.readFloat32("w"))]).toEqual([1, -2, 0.5, 3]);
      expect([...(await file.readFloat32("h"))]).toEqual([1, -0, 65504]);
      expect([...new Int8Array((await file.readBytes("i")).buffer)]).toEqual([7, -1]);
      expect(file.has("w")).toBe(true);
      expect(file.info("i")).toMatchObject({ name: "i", dtype: "I8", shape: [2], byteLength: 2 });
    } finally {
      await file.close();
    }
  });

  it("the writer reproduces the reference file byte for byte", async () => {
    const path = await writeTensors(join(dir, "ours.safetensors"), referenceTensors, { format: "pt" });
    expect((await readFile(path)).toString("hex")).toBe(PYTHON_REFERENCE_HEX);
  });
});

describe("reader", () => {
  it("refuses readFloat32 on integer tensors and unknown names", async () => {
    const path = await writeRaw(join(dir, "ref.safetensors"), Buffer.from(PYTHON_REFERENCE_HEX, "hex"));
    const file = await openSafetensors(path);
    try {
      await expectGraftError(() => file.readFloat32("i"), "UNSUPPORTED", /ref\.safetensors: tensor "i" is I8, not a floating-point dtype/);
      await expectGraftError(() => file.readBytes("nope"), "NOT_FOUND", /ref\.safetensors: no tensor named "nope"/);
    } finally {
      await file.close();
    }
  });
});

describe("range reads", () => {
  it("read part of a tensor, decoded, and reject ranges outside it", async () => {
    const values = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]);
    const path = await writeTensors(join(dir, "r.safetensors"), [
      { name: "pad", dtype: "U8", shape: [3], bytes: new Uint8Array([1, 2, 3]) },
      { name: "h", dtype: "F16", shape: [2, 4], bytes: encodeFromFloat32("F16", values) },
      { name: "f", dtype: "F32", shape: [8], bytes: f32Bytes([...values]) },
    ]);
    const file = await openSafetensors(path);
    try {
      expect([...(await file.readFloat32Range("h", 3, 4))]).toEqual([3, 4, 5, 6]);
      expect([...(await file.readFloat32Range("f", 6, 2))]).toEqual([6, 7]);
      expect([...(await file.readBytesRange("pad", 1, 2))]).toEqual([2, 3]);
      expect((await file.readFloat32Range("f", 8, 0)).length).toBe(0);
      await expectGraftError(() => file.readFloat32Range("f", 7, 2), "INVALID_ARGUMENT", /byte range \[28, \+8\) is outside tensor "f" \(32 bytes\)/);
      await expect(file.readBytes("missing")).rejects.toThrow(/no tensor named "missing"/);
    } finally {
      await file.close();
    }
  });
});

describe("write → read round trip", () => {
  it("preserves every dtype exactly", async () => {
    const dtypes = Object.keys(DTYPE_SIZES) as DType[];
    const tensors: TestTensor[] = dtypes.map((dtype, i) => {
      const shape = [3, i % 3 + 1];
      const bytes = new Uint8Array(DTYPE_SIZES[dtype] * shape[0] * shape[1]).map((_, j) => (j * 37 + i * 11) & 0xff);
      if (dtype === "BOOL") bytes.forEach((_, j) => (bytes[j] = j & 1));
      return { name: `t.${dtype.toLowerCase()}`, dtype, shape, bytes };
    });
    tensors.push({ name: "scalar", dtype: "F32", shape: [], bytes: f32Bytes([42]) });
    tensors.push({ name: "empty", dtype: "BF16", shape: [0, 5], bytes: new Uint8Array(0) });
    const path = await writeTensors(join(dir, "all.safetensors"), tensors, { note: "round trip" });
    const file = await openSafetensors(path);
    try {
      expect(file.metadata).toEqual({ note: "round trip" });
      expect(file.tensors.map((t) => t.name)).toEqual(tensors.map((t) => t.name).sort());
      for (const t of tensors) {
        expect(file.info(t.name)).toMatchObject({ dtype: t.dtype, shape: t.shape, byteLength: t.bytes.byteLength });
        expect(Buffer.from(await file.readBytes(t.name)).equals(Buffer.from(t.bytes))).toBe(true);
      }
      expect([...(await file.readFloat32("scalar"))]).toEqual([42]);
      expect((await file.readFloat32("empty")).length).toBe(0);
      // Data section is 8-byte aligned, as with the Python writer.
      expect(file.dataStart % 8).toBe(0);
    } finally {
      await file.close();
    }
  });

  it("is deterministic: the same input gives identical bytes", async () => {
    const tensors: TestTensor[] = [
      { name: "b", dtype: "F32", shape: [2], bytes: f32Bytes([1, 2]) },
      { name: "a", dtype: "U8", shape: [3], bytes: new Uint8Array([1, 2, 3]) },
    ];
    const one = await readFile(await writeTensors(join(dir, "1.safetensors"), tensors, { y: "1", x: "2" }));
    const two = await readFile(await writeTensors(join(dir, "2.safetensors"), tensors, { x: "2", y: "1" }));
    expect(one.equals(two)).toBe(true);
    // Tensors stay in the given order in the data section; metadata keys are sorted.
    expect(one.toString("latin1")).toContain('{"__metadata__":{"x":"2","y":"1"},"b":');
  });

  it("keeps integer-like tensor names in the given order", async () => {
    const tensors: TestTensor[] = [
      { name: "w", dtype: "U8", shape: [1], bytes: new Uint8Array([1]) },
      { name: "1", dtype: "U8", shape: [1], bytes: new Uint8Array([2]) },
    ];
    const bytes = await readFile(await writeTensors(join(dir, "n.safetensors"), tensors));
    expect(bytes.toString("latin1")).toContain('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"1":');
  });

  it("handles tensors larger than the write buffer next to small ones", async () => {
    const big = new Uint8Array(5 << 20).map((_, i) => i % 251);
    const tensors: TestTensor[] = [
      { name: "small1", dtype: "U8", shape: [3], bytes: new Uint8Array([9, 8, 7]) },
      { name: "big", dtype: "U8", shape: [big.length], bytes: big },
      { name: "small2", dtype: "U8", shape: [1], bytes: new Uint8Array([6]) },
    ];
    const file = await openSafetensors(await writeTensors(join(dir, "big.safetensors"), tensors));
    try {
      for (const t of tensors) expect(Buffer.from(await file.readBytes(t.name)).equals(Buffer.from(t.bytes))).toBe(true);
    } finally {
      await file.close();
    }
  });
});

describe("writes behind the caller", () => {
  it("copies each chunk, so the caller may refill its buffer as soon as a write returns", async () => {
    const chunk = new Uint8Array(3 << 20); // not a multiple of the write buffer
    const chunks = 7;
    const path = join(dir, "reused.safetensors");
    const writer = await createSafetensorsWriter(path, [{ name: "t", dtype: "U8", shape: [chunk.length * chunks] }]);
    for (let c = 0; c < chunks; c++) {
      chunk.fill(c + 1);
      await writer.writeChunk("t", chunk);
    }
    await writer.finish();
    const file = await openSafetensors(path);
    try {
      const bytes = await file.readBytes("t");
      for (let c = 0; c < chunks; c++) expect(new Set(bytes.subarray(c * chunk.length, (c + 1) * chunk.length))).toEqual(new Set([c + 1]));
    } finally {
      await file.close();
    }
  });

  it("writes the same file around the page cache as through it: padding cut off, header metadata patched at the end", async () => {
    const specs = [
      { name: "a", dtype: "U8" as const, shape: [(9 << 20) + 4097] }, // spans buffers, ends off the 4 KiB alignment
      { name: "b", dtype: "F32" as const, shape: [3] },
    ];
    const files = await Promise.all(
      [true, false].map(async (direct) => {
        const path = join(dir, `${direct ? "direct" : "buffered"}.safetensors`);
        const writer = await createSafetensorsWriter(path, specs, { format: "pt" }, { reserveMetadataBytes: 300, direct });
        const chunk = new Uint8Array(1 << 20);
        for (let done = 0, c = 0; done < specs[0]!.shape[0]!; done += chunk.length, c++) {
          const n = Math.min(chunk.length, specs[0]!.shape[0]! - done);
          await writer.writeChunk("a", chunk.subarray(0, n).map((_, i) => (i * 7 + c) & 0xff));
        }
        await writer.write("b", f32Bytes([1, -2, 3]));
        await writer.finish({ format: "pt", note: "patched at the end" });
        expect((await stat(path)).size).toBe(writer.fileSize);
        return { direct: writer.direct, bytes: await readFile(path) };
      }),
    );
    expect(files[1]!.direct).toBe(false);
    expect(files[0]!.bytes.equals(files[1]!.bytes)).toBe(true);
    const file = await openSafetensors(join(dir, "direct.safetensors"));
    try {
      expect(file.metadata).toEqual({ format: "pt", note: "patched at the end" });
      expect(Array.from(await file.readFloat32("b"))).toEqual([1, -2, 3]);
    } finally {
      await file.close();
    }
  });

  it("a write that fails after the caller moved on fails the writer and leaves no file", async () => {
    // A file-size limit (ulimit -f, in KiB) makes the kernel refuse a write
    // past 4 MiB with EFBIG while later chunks are being handed over.
    const script = `
      import { readdirSync } from "node:fs";
      import { createSafetensorsWriter } from ${JSON.stringify(join(import.meta.dirname, "writer.ts"))};
      const dir = ${JSON.stringify(dir)};
      const writer = await createSafetensorsWriter(dir + "/out.safetensors", [{ name: "t", dtype: "U8", shape: [16 << 20] }]);
      try {
        for (let c = 0; c < 16; c++) await writer.writeChunk("t", new Uint8Array(1 << 20));
        await writer.finish();
        console.log(JSON.stringify({ finished: true }));
      } catch (e) {
        console.log(JSON.stringify({ code: e.code, message: e.message, files: readdirSync(dir) }));
      }`;
    const { stdout } = await execFileAsync("bash", ["-c", 'ulimit -f 4096 && exec "$0" --import tsx --input-type=module -e "$1"', process.execPath, script]);
    expect(JSON.parse(stdout)).toEqual({ code: "IO", message: expect.stringMatching(/out\.safetensors: EFBIG/), files: [] });
  });
});

describe("writer misuse and cleanup", () => {
  const specs = [
    { name: "a", dtype: "F32" as const, shape: [2] },
    { name: "b", dtype: "F32" as const, shape: [1] },
  ];

  it("leaves no file and no temp file after abort", async () => {
    const path = join(dir, "out.safetensors");
    const writer = await createSafetensorsWriter(path, specs);
    await writer.write("a", f32Bytes([1, 2]));
    expect((await readdir(dir)).some((n) => n.startsWith("out.safetensors.tmp-"))).toBe(true);
    await writer.abort();
    await writer.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it("leaves only the final file after finish", async () => {
    await writeTensors(join(dir, "out.safetensors"), [{ name: "a", dtype: "F32", shape: [1], bytes: f32Bytes([1]) }]);
    expect(await readdir(dir)).toEqual(["out.safetensors"]);
  });

  it("rejects tensors out of order and aborts", async () => {
    const writer = await createSafetensorsWriter(join(dir, "out.safetensors"), specs);
    await expectGraftError(() => writer.write("b", f32Bytes([1])), "INVALID_ARGUMENT", /expected tensor "a" next, got "b"/);
    expect(await readdir(dir)).toEqual([]);
    await expectGraftError(() => writer.write("a", f32Bytes([1, 2])), "INVALID_ARGUMENT", /writer is already aborted/);
  });

  it("rejects a wrong byte length", async () => {
    const writer = await createSafetensorsWriter(join(dir, "out.safetensors"), specs);
    await expectGraftError(() => writer.write("a", f32Bytes([1])), "INVALID_ARGUMENT", /tensor "a" \(F32 \[2\]\) needs 8 bytes, got 4/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects finish before every tensor was written", async () => {
    const writer = await createSafetensorsWriter(join(dir, "out.safetensors"), specs);
    await writer.write("a", f32Bytes([1, 2]));
    await expectGraftError(() => writer.finish(), "INVALID_ARGUMENT", /finish\(\) before tensor "b" was written/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("rejects bad tensor lists up front", async () => {
    const path = join(dir, "out.safetensors");
    await expectGraftError(() => createSafetensorsWriter(path, [specs[0], specs[0]]), "INVALID_ARGUMENT", /tensor "a" is listed twice/);
    await expectGraftError(() => createSafetensorsWriter(path, [{ name: "", dtype: "F32", shape: [1] }]), "INVALID_ARGUMENT", /non-empty/);
    await expectGraftError(() => createSafetensorsWriter(path, [{ name: "x", dtype: "F32", shape: [-1] }]), "INVALID_ARGUMENT", /invalid dimension -1/);
    await expectGraftError(() => createSafetensorsWriter(path, [{ name: "x", dtype: "F9" as DType, shape: [1] }]), "INVALID_ARGUMENT", /unknown dtype "F9"/);
    await expectGraftError(() => createSafetensorsWriter(path, [{ name: "__metadata__", dtype: "F32", shape: [1] }]), "INVALID_ARGUMENT", /reserved/);
    expect(await readdir(dir)).toEqual([]);
  });
});
