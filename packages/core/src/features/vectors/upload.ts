/**
 * Turns whatever a publisher uploaded into a validated task-vector file
 * against one foundation: a task vector is checked as is, a fine-tuned
 * checkpoint is extracted (dense) against the foundation weights, a PEFT LoRA
 * adapter is imported. The result is a staged file plus the facts the version
 * row records. Nothing here touches the database or commits a blob.
 */
import { link, mkdir, copyFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  extractTaskVector,
  importPeftAdapter,
  openCheckpoint,
  openTaskVector,
  SketchBuilder,
  structureDiff,
  type Manifest,
  type VectorSketch,
} from "@graft/merge";
import type { StagedBlob } from "@graft/storage";
import type { CoreContext } from "../../context";
import { DomainError } from "../../errors";
import type { Scratch } from "../../lib/scratch";
import { foundationWeightsPath } from "../foundations/foundations";
import { computeNormStats, type NormStats } from "./norm-stats";

export type VersionUpload =
  | { kind: "task-vector"; file: StagedBlob }
  | { kind: "finetuned"; file: StagedBlob }
  | { kind: "lora"; adapterConfig: StagedBlob; adapterWeights: StagedBlob };

export type SourceKind = VersionUpload["kind"];

export interface FoundationRef {
  id: string;
  slug: string;
  fingerprint: string;
  manifestJson: string;
}

export interface PreparedVector {
  /** The task-vector file to commit. */
  staged: StagedBlob;
  encoding: "dense" | "sparse" | "lowrank";
  tensorCount: number;
  normStats: NormStats;
  /** Compact sketch for interference previews (see @graft/merge sketch). */
  sketch: VectorSketch;
}

/** Staged uploads of an (unvalidated) upload value, for cleanup. */
export function stagedFilesOf(upload: unknown): StagedBlob[] {
  if (!upload || typeof upload !== "object") return [];
  const u = upload as Record<string, unknown>;
  return [u.file, u.adapterConfig, u.adapterWeights].filter((s): s is StagedBlob => !!s && typeof s === "object");
}

/** Hard-links (or copies) a staged file into a folder under a fixed name, as PEFT expects. */
async function place(from: string, dir: string, name: string): Promise<void> {
  const to = join(dir, name);
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/**
 * Validates or derives the task vector. `labels` receives user-facing names
 * for scratch paths (used to clean library error messages).
 */
export async function prepareTaskVector(
  ctx: CoreContext,
  foundation: FoundationRef,
  upload: VersionUpload,
  scratch: Scratch,
  labels: Map<string, string>,
): Promise<PreparedVector> {
  let tvPath: string;
  let staged: StagedBlob | null = null;
  if (upload.kind === "task-vector") {
    tvPath = upload.file.path;
    staged = upload.file;
    labels.set(tvPath, "uploaded task vector");
  } else {
    const basePath = await foundationWeightsPath(ctx, foundation);
    labels.set(basePath, `foundation ${foundation.slug}`);
    tvPath = await scratch.newPath(".safetensors");
    labels.set(tvPath, "derived task vector");
    const base = await openCheckpoint(basePath);
    try {
      if (upload.kind === "finetuned") {
        labels.set(upload.file.path, "uploaded checkpoint");
        const finetuned = await openCheckpoint(upload.file.path);
        try {
          await extractTaskVector({ base, finetuned, out: tvPath, encoding: { kind: "dense" }, baseName: foundation.slug, finetunedName: "upload" });
        } finally {
          await finetuned.close().catch(() => {});
        }
      } else {
        const dir = await scratch.newPath("-adapter");
        await mkdir(dir);
        labels.set(join(dir, ADAPTER_CONFIG_FILE), "uploaded adapter_config.json");
        labels.set(join(dir, ADAPTER_WEIGHTS_FILE), "uploaded adapter weights");
        labels.set(dir, "uploaded adapter");
        await place(upload.adapterConfig.path, dir, ADAPTER_CONFIG_FILE);
        await place(upload.adapterWeights.path, dir, ADAPTER_WEIGHTS_FILE);
        await importPeftAdapter({ adapterDir: dir, base, out: tvPath, baseName: foundation.slug });
      }
    } finally {
      await base.close().catch(() => {});
    }
  }

  const tv = await openTaskVector(tvPath);
  let prepared: Omit<PreparedVector, "staged">;
  try {
    if (tv.fingerprint !== foundation.fingerprint) {
      const expected = JSON.parse(foundation.manifestJson) as Manifest;
      const mismatches = structureDiff(expected, tv.manifest);
      throw new DomainError(
        "INVALID",
        `made against foundation ${tv.fingerprint} but ${foundation.slug} is ${foundation.fingerprint}` +
          (mismatches.length ? ` (${mismatches.length} structural differences: ${mismatches.slice(0, 5).join("; ")}${mismatches.length > 5 ? "; …" : ""})` : " (same structure, different weights)"),
        { expectedFingerprint: foundation.fingerprint, actualFingerprint: tv.fingerprint, mismatches },
      );
    }
    const sketch = new SketchBuilder(tv.manifest, tv.fingerprint);
    const normStats = await computeNormStats(tv, (name, delta) => sketch.add(name, delta));
    prepared = { encoding: tv.encoding, tensorCount: tv.coveredTensors.length, normStats, sketch: sketch.finish() };
  } finally {
    await tv.close().catch(() => {});
  }

  if (!staged) {
    // The derived file moves from scratch into staging (hashed on the way).
    staged = await ctx.blobs.stageFile(tvPath);
    scratch.addStaged(staged);
  }
  return { staged, ...prepared };
}
