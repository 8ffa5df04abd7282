/**
 * Helpers shared by this folder's tests (not part of the public API): temp
 * directories, raw file assembly in the public byte layout, and assertions
 * on GraftError codes and messages.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { GraftError, type GraftErrorCode } from "../errors";
import type { DType } from "../types";
import { createSafetensorsWriter } from "./writer";

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "graft-safetensors-"));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** [u64 LE N][header text padded with spaces to N][data] — the public layout, built by hand. */
export function assembleFile(headerJson: string | Uint8Array, data: Uint8Array = new Uint8Array(0), pad = true): Uint8Array {
  const json = typeof headerJson === "string" ? new TextEncoder().encode(headerJson) : headerJson;
  const n = pad ? Math.ceil(json.byteLength / 8) * 8 : json.byteLength;
  const out = new Uint8Array(8 + n + data.byteLength).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.set(data, 8 + n);
  return out;
}

export async function writeRaw(path: string, bytes: Uint8Array): Promise<string> {
  await writeFile(path, bytes);
  return path;
}

export interface TestTensor {
  name: string;
  dtype: DType;
  shape: number[];
  bytes: Uint8Array;
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** Writes tensors (in the given order) to one file through the streaming writer. */
export async function writeTensors(path: string, tensors: TestTensor[], metadata?: Record<string, string>): Promise<string> {
  const writer = await createSafetensorsWriter(path, tensors, metadata);
  for (const t of tensors) await writer.write(t.name, t.bytes);
  await writer.finish();
  return path;
}

/** Asserts that `action` fails with a GraftError of `code` whose message matches `message`. */
export async function expectGraftError(action: () => unknown, code: GraftErrorCode, message: RegExp): Promise<GraftError> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(error, "expected a GraftError").toBeInstanceOf(GraftError);
  const graftError = error as GraftError;
  expect(graftError.message).toMatch(message);
  expect(graftError.code).toBe(code);
  expect(graftError.message).not.toContain("\n");
  return graftError;
}
