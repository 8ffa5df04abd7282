/**
 * Small file I/O helpers shared by the reader and writers: complete positioned
 * reads/writes (Node may transfer fewer bytes than asked, and a single call is
 * capped near 2 GiB), and the translation of Node's errno failures into
 * GraftErrors that name the path.
 */
import type { FileHandle } from "node:fs/promises";
import { GraftError } from "../errors";

/** Largest transfer per read/write call; larger requests are split. */
const MAX_IO_CHUNK = 1 << 30;

export function errnoCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/** Wraps a Node fs error as a GraftError naming `path`; GraftErrors pass through unchanged. */
export function ioError(e: unknown, path: string): GraftError {
  if (e instanceof GraftError) return e;
  const code = errnoCode(e);
  if (code === "ENOENT") return new GraftError("NOT_FOUND", `${path}: no such file or directory`);
  if (code === "ENOSPC") return new GraftError("NO_SPACE", `${path}: no space left on the device`);
  const reason = e instanceof Error ? e.message : String(e);
  return new GraftError("IO", `${path}: ${reason}`);
}

/** Reads exactly `length` bytes at `position` into `into` (its first `length` bytes) or a new, 0-offset buffer. */
export async function readExactly(fh: FileHandle, length: number, position: number, path: string, into?: Uint8Array): Promise<Uint8Array> {
  if (into && into.byteLength < length) throw new GraftError("INVALID_ARGUMENT", `${path}: read target holds ${into.byteLength} bytes, ${length} needed`);
  const out = into ? into.subarray(0, length) : new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const want = Math.min(length - done, MAX_IO_CHUNK);
    const { bytesRead } = await fh.read(out, done, want, position + done);
    if (bytesRead === 0) {
      throw new GraftError("IO", `${path}: unexpected end of file at byte ${position + done} (file changed while open?)`);
    }
    done += bytesRead;
  }
  return out;
}

/** Writes all of `bytes` at `position`. */
export async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const want = Math.min(bytes.byteLength - done, MAX_IO_CHUNK);
    const { bytesWritten } = await fh.write(bytes, done, want, position + done);
    done += bytesWritten;
  }
}
