/**
 * Streaming writer for one .safetensors file. The header is fixed up front
 * (from names, dtypes and shapes), so tensors can be written one at a time as
 * a merge produces them, holding no more than the current tensor plus a few
 * buffers. Output goes to a temporary sibling that is fsynced and renamed into
 * place only on finish(), so a crash never leaves a half-written file under
 * the final name.
 *
 * Writes happen behind the caller: bytes are copied into a buffer that is
 * written while the caller computes what comes next, so a merge does not wait
 * for the kernel to take its output into the page cache.
 *
 * Where the file system allows it (Linux, O_DIRECT), the file is written
 * around the page cache, from buffers aligned in memory and in the file: a
 * buffered write copies every byte into freshly allocated cache pages, which
 * cost more CPU than the merge arithmetic on a 2-core virtual machine
 * (`pnpm bench:merge`), while a direct write hands the buffer to the disk.
 * Elsewhere, or when a direct write is refused, writes go through the cache.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { GraftError } from "../errors";
import { errnoCode, ioError, writeFully } from "./io";
import { planFile, renderHeader, type PlannedTensor, type TensorSpec } from "./layout";

/** Bytes are gathered into writes of this many bytes (a multiple of DIRECT_ALIGNMENT). */
const BUFFER_BYTES = 4 << 20;
/** Writes a caller may leave in flight; it waits for the oldest beyond that. */
const WRITES_IN_FLIGHT = 2;
/** Direct writes start and end on this boundary, in the file and in memory. */
const DIRECT_ALIGNMENT = 4096;
/** 0 where the platform has no direct I/O. */
const O_DIRECT: number = (constants as Record<string, number>).O_DIRECT ?? 0;

// Node provides WebAssembly at run time; the ES library types used here do not declare it.
const WasmMemory = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly.Memory;

/** Buffers a writer can have filled or in flight at once: WRITES_IN_FLIGHT + 1 sent, one being filled. */
const BUFFERS_PER_WRITER = WRITES_IN_FLIGHT + 2;

/**
 * A writer's write buffers at page-aligned addresses, as direct I/O requires
 * (plain typed arrays carry no alignment guarantee; a WebAssembly memory
 * starts on a page). One memory for all of them: each memory reserves
 * gigabytes of address space until it is collected.
 */
function alignedBuffers(): Uint8Array[] {
  const memory = new WasmMemory({ initial: (BUFFERS_PER_WRITER * BUFFER_BYTES) / 65536 });
  return Array.from({ length: BUFFERS_PER_WRITER }, (_, i) => new Uint8Array(memory.buffer, i * BUFFER_BYTES, BUFFER_BYTES));
}

/**
 * Opens the temporary file for direct writes when the file system takes them
 * (probed with one aligned block), returning the aligned buffers to write
 * from; else for buffered writes (buffers: null).
 */
async function openForWriting(tmpPath: string, tryDirect: boolean): Promise<{ fh: FileHandle; buffers: Uint8Array[] | null }> {
  if (O_DIRECT && tryDirect) {
    let fh: FileHandle | null = null;
    try {
      fh = await open(tmpPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_DIRECT);
      const buffers = alignedBuffers();
      await fh.write(buffers[0]!, 0, DIRECT_ALIGNMENT, 0);
      return { fh, buffers };
    } catch (e) {
      await fh?.close().catch(() => {});
      // Only a refused direct write falls back; other failures are the caller's to see.
      if (errnoCode(e) !== "EINVAL") throw e;
      if (fh) await rm(tmpPath, { force: true });
    }
  }
  return { fh: await open(tmpPath, "wx"), buffers: null };
}

export interface TensorSink {
  /** Writes the next tensor; must be called once per tensor, in the declared order, and awaited. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /**
   * Appends part of the next tensor's bytes; the tensor is complete once its
   * byte length has arrived. Lets a merge emit a huge tensor in chunks.
   */
  writeChunk(name: string, bytes: Uint8Array): Promise<void>;
  /**
   * Makes the output durable and visible under its final name. `metadata`,
   * when given, replaces `__metadata__`; it must fit in the reserved room.
   */
  finish(metadata?: Readonly<Record<string, string>>): Promise<void>;
  /** Discards everything written so far. Safe to call at any time, and more than once. */
  abort(): Promise<void>;
}

export interface SafetensorsWriter extends TensorSink {
  readonly path: string;
  /** Total file size once finished. */
  readonly fileSize: number;
  /** Whether the file is written around the page cache (direct I/O). */
  readonly direct: boolean;
}

/**
 * Starts writing `path`. Any failure inside write()/finish() aborts the writer
 * (removing the temporary file) before the error is rethrown.
 */
export async function createSafetensorsWriter(
  path: string,
  tensors: readonly TensorSpec[],
  metadata?: Readonly<Record<string, string>>,
  options: { reserveMetadataBytes?: number; /** false: always through the page cache. Default: direct where the file system allows. */ direct?: boolean } = {},
): Promise<SafetensorsWriter> {
  const layout = planFile(tensors, metadata, path, options.reserveMetadataBytes ?? 0);
  const tmpPath = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  let opened: Awaited<ReturnType<typeof openForWriting>>;
  try {
    opened = await openForWriting(tmpPath, options.direct ?? true);
  } catch (e) {
    throw ioError(e, tmpPath);
  }
  const fileSize = layout.headerBytes.byteLength + layout.dataByteLength;
  const writer = new StreamingWriter(path, tmpPath, opened.fh, opened.buffers, layout.tensors, layout.headerBytes.byteLength, fileSize);
  try {
    // Direct writes cover the file in whole buffers from offset 0: the header opens the first.
    await writer.start(layout.headerBytes);
  } catch (e) {
    await writer.abort();
    throw ioError(e, tmpPath);
  }
  return writer;
}

class StreamingWriter implements SafetensorsWriter {
  /** File offset where the buffered bytes start. */
  position = 0;
  private buffer: Uint8Array | null = null;
  private buffered = 0;
  /** Buffers on their way to the file, oldest first. */
  private inFlight: Promise<void>[] = [];
  /** Written buffers, ready for reuse. */
  private readonly spare: Uint8Array[] = [];
  private next = 0;
  /** Bytes of tensor `next` already written by writeChunk. */
  private partial = 0;
  private busy = false;
  private state: "open" | "finished" | "aborted" = "open";
  /** Written around the page cache (O_DIRECT), from aligned buffers. */
  readonly direct: boolean;

  constructor(
    readonly path: string,
    private readonly tmpPath: string,
    private fh: FileHandle,
    /** Aligned buffers when the file is written around the page cache (O_DIRECT); null otherwise. */
    alignedBuffers: Uint8Array[] | null,
    private readonly tensors: readonly PlannedTensor[],
    private readonly headerByteLength: number,
    readonly fileSize: number,
  ) {
    this.direct = alignedBuffers !== null;
    if (alignedBuffers) this.spare.push(...alignedBuffers);
  }

  /** A buffer to fill when none is spare (aligned ones, a set at a time, when writing directly). */
  private freshBuffer(): Uint8Array {
    if (!this.direct) return new Uint8Array(BUFFER_BYTES);
    const [buffer, ...more] = alignedBuffers();
    this.spare.push(...more);
    return buffer!;
  }

  /** Writes the header: into the first buffer when writing directly, else straight to the file. */
  async start(header: Uint8Array): Promise<void> {
    if (this.direct) {
      await this.append(header);
      return;
    }
    await writeFully(this.fh, header, 0);
    this.position = header.byteLength;
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    await this.guarded(async () => {
      const expected = this.expect(name);
      if (this.partial !== 0 || bytes.byteLength !== expected.byteLength) {
        throw new GraftError(
          "INVALID_ARGUMENT",
          `${this.path}: tensor "${name}" (${expected.dtype} ${JSON.stringify(expected.shape)}) needs ${expected.byteLength} bytes, got ${bytes.byteLength}`,
        );
      }
      await this.append(bytes);
      this.next++;
    });
  }

  async writeChunk(name: string, bytes: Uint8Array): Promise<void> {
    await this.guarded(async () => {
      const expected = this.expect(name);
      if (this.partial + bytes.byteLength > expected.byteLength) {
        throw new GraftError("INVALID_ARGUMENT", `${this.path}: tensor "${name}" needs ${expected.byteLength} bytes, got more`);
      }
      await this.append(bytes);
      this.partial += bytes.byteLength;
      if (this.partial === expected.byteLength) {
        this.partial = 0;
        this.next++;
      }
    });
  }

  private expect(name: string): PlannedTensor {
    const expected = this.tensors[this.next];
    if (!expected) throw new GraftError("INVALID_ARGUMENT", `${this.path}: write("${name}") after all tensors were written`);
    if (name !== expected.name) {
      throw new GraftError("INVALID_ARGUMENT", `${this.path}: expected tensor "${expected.name}" next, got "${name}"`);
    }
    return expected;
  }

  /** Copies `bytes` into buffers, sending each one to the file once it is full; the caller may reuse `bytes` on return. */
  private async append(bytes: Uint8Array): Promise<void> {
    for (let done = 0; done < bytes.byteLength; ) {
      this.buffer ??= this.spare.pop() ?? this.freshBuffer();
      const n = Math.min(BUFFER_BYTES - this.buffered, bytes.byteLength - done);
      this.buffer.set(bytes.subarray(done, done + n), this.buffered);
      this.buffered += n;
      done += n;
      if (this.buffered === BUFFER_BYTES) await this.send();
    }
  }

  /** Starts writing the buffered bytes; waits for the oldest write when too many are in flight. */
  private async send(): Promise<void> {
    if (this.buffered === 0 || !this.buffer) return;
    const buffer = this.buffer;
    // A direct write ends on the alignment too: the last buffer's padding is cut off by finish().
    const length = this.direct ? Math.ceil(this.buffered / DIRECT_ALIGNMENT) * DIRECT_ALIGNMENT : this.buffered;
    const write = writeFully(this.fh, buffer.subarray(0, length), this.position).then(() => {
      this.spare.push(buffer);
    });
    write.catch(() => {}); // observed when awaited below; until then not an unhandled rejection
    this.inFlight.push(write);
    this.position += this.buffered;
    this.buffer = null;
    this.buffered = 0;
    if (this.inFlight.length > WRITES_IN_FLIGHT) await this.inFlight.shift();
  }

  async finish(metadata?: Readonly<Record<string, string>>): Promise<void> {
    await this.guarded(async () => {
      const missing = this.tensors[this.next];
      if (missing) throw new GraftError("INVALID_ARGUMENT", `${this.path}: finish() before tensor "${missing.name}" was written`);
      await this.flush();
      if (this.direct) {
        await this.fh.truncate(this.fileSize);
        // The header is rewritten through the page cache: it need not be aligned. Every direct write has completed.
        if (metadata) await this.reopenBuffered();
      }
      if (metadata) await writeFully(this.fh, renderHeader(this.tensors, metadata, this.headerByteLength, this.path), 0);
      await this.fh.sync();
      await this.fh.close();
      await rename(this.tmpPath, this.path);
      this.state = "finished";
      await syncDirectory(dirname(this.path));
    });
  }

  /** Continues on a handle that writes through the page cache. */
  private async reopenBuffered(): Promise<void> {
    await this.fh.close();
    this.fh = await open(this.tmpPath, "r+");
  }

  async abort(): Promise<void> {
    if (this.state !== "open") return;
    this.state = "aborted";
    this.buffer = null;
    await Promise.allSettled(this.inFlight);
    await this.fh.close().catch(() => {});
    await rm(this.tmpPath, { force: true });
  }

  /** Runs one operation, refusing overlap and aborting on any failure. */
  private async guarded(operation: () => Promise<void>): Promise<void> {
    if (this.state !== "open") throw new GraftError("INVALID_ARGUMENT", `${this.path}: writer is already ${this.state}`);
    if (this.busy) throw new GraftError("INVALID_ARGUMENT", `${this.path}: a previous write() has not completed`);
    this.busy = true;
    try {
      await operation();
    } catch (e) {
      await this.abort();
      throw ioError(e, this.path);
    } finally {
      this.busy = false;
    }
  }

  /** Sends what is buffered and waits until every write has reached the file. */
  private async flush(): Promise<void> {
    await this.send();
    const writes = this.inFlight;
    this.inFlight = [];
    await Promise.all(writes);
  }
}

/**
 * Replaces the `__metadata__` of a finished file in place, keeping the header
 * length (and so every data offset) unchanged. Used for the earlier shards of
 * a sharded output once its final metadata is known.
 */
export async function rewriteMetadata(path: string, tensors: readonly TensorSpec[], metadata: Readonly<Record<string, string>>): Promise<void> {
  const fh = await open(path, "r+").catch((e) => {
    throw ioError(e, path);
  });
  try {
    const prefix = Buffer.alloc(8);
    await fh.read(prefix, 0, 8, 0);
    const headerByteLength = 8 + Number(prefix.readBigUInt64LE(0));
    await writeFully(fh, renderHeader(tensors, metadata, headerByteLength, path), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Persists a rename on POSIX; directories cannot be opened for fsync everywhere, so failures are ignored. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // best effort
  }
}
