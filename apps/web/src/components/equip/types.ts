// Shapes the Equip components exchange with the API (JSON of @graft/core's results).
import type { JobEvaluation, SuiteEvaluation } from "@graft/core";
import type { EstimatedInterference } from "@graft/merge";

export type Scalar = number | boolean | string;

export interface MethodParam {
  name: string;
  type: string;
  default?: Scalar;
  description: string;
  choices?: readonly string[];
}

export interface MethodInfo {
  name: string;
  explanation: string;
  global: MethodParam[];
  perVector: MethodParam[];
}

export interface Choices {
  foundation: string;
  method: string;
  vectors: { ref: string; weight: number; params: Record<string, Scalar> }[];
  params: Record<string, Scalar>;
  seed: number;
  dtype?: "float32" | "float16" | "bfloat16";
}

export interface LibraryVersion {
  ref: string;
  name: string;
  task: string;
  team: string;
  version: string;
  access: string;
  licence: string | null;
}

/** The interference estimate of /api/v1/equip/preview. */
export type Preview = EstimatedInterference;

export interface JobView {
  id: string;
  status: "queued" | "running" | "done" | "failed" | "cancelled";
  foundation: string;
  recipeYaml: string;
  inputs: { ref: string; weight: number }[];
  progress: { tensorsDone: number; tensorsTotal: number; bytesDone: number; bytesTotal: number; percent: number; etaSeconds: number | null; tensor?: string; phase?: "evaluating" } | null;
  error: string | null;
  result: { sha256: string; size: number; archiveName: string; files: { path: string; size: number }[]; evaluation: EvaluationView | null } | null;
  cancelRequested: boolean;
  createdAt: string;
  finishedAt: string | null;
}

export type EvaluationView = JobEvaluation;
export type SuiteEvaluationView = SuiteEvaluation;
