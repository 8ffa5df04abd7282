/**
 * Test fixtures for the analysis tests (not part of the public API): task-vector
 * files written directly with the safetensors writer in the layout of
 * ../taskvector/format, so a test controls exactly which tensors a vector
 * covers and every delta value.
 */
import { createHash } from "node:crypto";
import { fingerprintFromManifest, type Manifest } from "../fingerprint";
import { encodeManifest, TASK_VECTOR_FORMAT, TASK_VECTOR_KIND, TV_META } from "../taskvector";
import { writeSafetensors } from "../taskvector/test-helpers";

export interface FoundationTensor {
  name: string;
  shape: number[];
}

/**
 * A foundation manifest for `tensors` (all F32). The sha256 values are made
 * up from the names and `salt`: a different salt gives a different foundation
 * with the same structure.
 */
export function foundationManifest(tensors: readonly FoundationTensor[], salt = ""): Manifest {
  const manifest: Manifest = {};
  for (const t of tensors) {
    manifest[t.name] = { dtype: "F32", shape: [...t.shape], sha256: createHash("sha256").update(`${salt}\0${t.name}`).digest("hex") };
  }
  return manifest;
}

/**
 * Writes a dense F32 task vector against `manifest` holding a delta for each
 * entry of `deltas` (base tensors not listed are not covered: zero delta).
 */
export async function writeDenseTaskVector(
  path: string,
  manifest: Manifest,
  deltas: Record<string, ArrayLike<number>>,
): Promise<string> {
  const metadata: Record<string, string> = {
    [TV_META.kind]: TASK_VECTOR_KIND,
    [TV_META.format]: TASK_VECTOR_FORMAT,
    [TV_META.fingerprint]: fingerprintFromManifest(manifest),
    [TV_META.manifest]: encodeManifest(manifest),
    [TV_META.encoding]: "dense",
    [TV_META.encodingParams]: "{}",
    [TV_META.provenance]: JSON.stringify({ tool: "graft-test" }),
    [TV_META.deltaDtype]: "F32",
  };
  const tensors = Object.entries(deltas).map(([name, values]) => {
    const entry = manifest[name];
    if (!entry) throw new Error(`fixture: ${name} is not in the manifest`);
    return { name, dtype: "F32" as const, shape: entry.shape, data: Float32Array.from(values) };
  });
  await writeSafetensors(path, tensors, metadata);
  return path;
}
