/**
 * The foundation fingerprint: the identity of a checkpoint's tensors, used to
 * tell whether a task vector was made against the model it is being applied
 * to. It depends only on tensor names, dtypes, shapes and bytes — not on how
 * the checkpoint is split into shards, the order of tensors in files, the
 * header padding or the `__metadata__`.
 *
 * Definition (version 1):
 *
 *   for each tensor, in order of name (Unicode code points = UTF-8 bytes):
 *     tensorSha256 = lowercase hex SHA-256 of its raw little-endian data bytes
 *     line         = name + "\t" + dtype + "\t" + shape.join(",") + "\t" + tensorSha256 + "\n"
 *   fingerprint = "sha256:" + lowercase hex SHA-256 of the UTF-8 bytes of all lines concatenated
 *
 * A scalar (shape []) has an empty shape field. Tensor names containing a tab
 * or a newline are refused, since they would make the lines ambiguous.
 * Equivalent Python:
 *
 *   lines = "".join(f"{n}\t{dtype}\t{','.join(map(str, shape))}\t{sha}\n" for n in sorted(names))
 *   "sha256:" + hashlib.sha256(lines.encode()).hexdigest()
 */
import { createHash } from "node:crypto";
import { GraftError } from "./errors";
import { compareNames } from "./safetensors/order";
import type { TensorReader } from "./types";

export interface ManifestEntry {
  dtype: string;
  shape: number[];
  /** Lowercase hex SHA-256 of the tensor's raw bytes. */
  sha256: string;
}

export type Manifest = Record<string, ManifestEntry>;

/** Name → dtype and shape: what structureDiff compares. */
export type Structure = Record<string, { dtype: string; shape: readonly number[] }>;

export interface FingerprintResult {
  fingerprint: string;
  manifest: Manifest;
}

export interface FingerprintProgress {
  name: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

function checkName(name: string): void {
  if (/[\t\n]/.test(name)) {
    throw new GraftError("UNSUPPORTED", `tensor name ${JSON.stringify(name)} contains a tab or newline and cannot be fingerprinted`);
  }
}

/** Reads every tensor once, one at a time, hashing as it goes. */
export async function fingerprintCheckpoint(
  reader: TensorReader,
  onProgress?: (progress: FingerprintProgress) => void,
): Promise<FingerprintResult> {
  const tensors = [...reader.tensors].sort((a, b) => compareNames(a.name, b.name));
  const bytesTotal = tensors.reduce((sum, t) => sum + t.byteLength, 0);
  const manifest: Manifest = Object.create(null);
  let bytesDone = 0;
  for (const [i, t] of tensors.entries()) {
    checkName(t.name);
    const bytes = await reader.readBytes(t.name);
    manifest[t.name] = { dtype: t.dtype, shape: [...t.shape], sha256: createHash("sha256").update(bytes).digest("hex") };
    bytesDone += t.byteLength;
    onProgress?.({ name: t.name, tensorsDone: i + 1, tensorsTotal: tensors.length, bytesDone, bytesTotal });
  }
  return { fingerprint: fingerprintFromManifest(manifest), manifest: { ...manifest } };
}

/** The fingerprint of a manifest, without touching any tensor data. */
export function fingerprintFromManifest(manifest: Readonly<Manifest>): string {
  const hash = createHash("sha256");
  for (const name of Object.keys(manifest).sort(compareNames)) {
    checkName(name);
    const { dtype, shape, sha256 } = manifest[name];
    hash.update(`${name}\t${dtype}\t${shape.join(",")}\t${sha256}\n`, "utf8");
  }
  return `sha256:${hash.digest("hex")}`;
}

/** The structure (name → dtype, shape) of a reader, for structureDiff. */
export function structureOf(reader: TensorReader): Structure {
  const structure: Structure = {};
  for (const t of reader.tensors) Object.defineProperty(structure, t.name, { value: { dtype: t.dtype, shape: t.shape }, enumerable: true });
  return structure;
}

/**
 * Human-readable differences between two structures, in name order: e.g.
 * `missing tensor X`, `extra tensor Y`, `X: shape [2,3] vs [3,2]`,
 * `X: dtype F16 vs F32` (expected first). Empty when they match.
 */
export function structureDiff(expected: Readonly<Structure>, actual: Readonly<Structure>): string[] {
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort(compareNames);
  const diffs: string[] = [];
  for (const name of names) {
    if (!has(actual, name)) diffs.push(`missing tensor ${name}`);
    else if (!has(expected, name)) diffs.push(`extra tensor ${name}`);
    else {
      const e = expected[name];
      const a = actual[name];
      const es = `[${e.shape.join(",")}]`;
      const as = `[${a.shape.join(",")}]`;
      if (es !== as) diffs.push(`${name}: shape ${es} vs ${as}`);
      if (e.dtype !== a.dtype) diffs.push(`${name}: dtype ${e.dtype} vs ${a.dtype}`);
    }
  }
  return diffs;
}
