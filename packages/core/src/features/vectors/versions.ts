/** The public shape of a vector version, shared by publish, catalog and yank. */
import { num, parseJson } from "../../lib/dto";
import type { NormStats } from "./norm-stats";

export interface VersionInfo {
  id: string;
  version: string;
  changelog: string;
  /** sha256 hex of the task-vector file (also its blob hash). */
  sha256: string;
  encoding: "dense" | "sparse" | "lowrank";
  sourceKind: "task-vector" | "finetuned" | "lora";
  sizeBytes: number;
  tensorCount: number;
  normStats: NormStats;
  eval: Record<string, unknown>;
  yanked: boolean;
  yankedAt: Date | null;
  createdAt: Date;
}

export function toVersionInfo(v: {
  id: string;
  version: string;
  changelog: string;
  blobHash: string;
  encoding: string;
  sourceKind: string;
  sizeBytes: bigint;
  tensorCount: number;
  normStatsJson: string;
  evalJson: string;
  yankedAt: Date | null;
  createdAt: Date;
}): VersionInfo {
  return {
    id: v.id,
    version: v.version,
    changelog: v.changelog,
    sha256: v.blobHash,
    encoding: v.encoding as VersionInfo["encoding"],
    sourceKind: v.sourceKind as VersionInfo["sourceKind"],
    sizeBytes: num(v.sizeBytes),
    tensorCount: v.tensorCount,
    normStats: parseJson<NormStats>(v.normStatsJson, { l2: 0, maxAbs: 0, perTensor: {} }),
    eval: parseJson(v.evalJson, {}),
    yanked: v.yankedAt !== null,
    yankedAt: v.yankedAt,
    createdAt: v.createdAt,
  };
}
