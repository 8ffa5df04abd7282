/**
 * @graft/merge — streaming task-vector arithmetic on safetensors checkpoints.
 * Used alike by the `graft` CLI, the web app and the merge worker.
 */
export * from "./errors";
export type * from "./types";
export * from "./safetensors";
export * from "./fingerprint";
export { TensorHashCache, type FileIdentity, type IdentifiedFile } from "./hash-cache";
export * from "./recipe";
export * from "./methods";
export * from "./taskvector";
export { runMerge, loadRecipeFile, planMerge, executePlan, openInput, decodeRange, type MergeOptions, type MergePlan, type PlanOptions, type ExecuteOptions, type MergeProgress, type MergeResult, type InputRecord, type InputModel, type RawChunk, executeShard, assembleShards, planOutputShards, type ShardPart, type ShardOptions, type AssembleOptions, type TensorHashes } from "./engine";
export * from "./lora";
export * from "./analysis";
export * from "./sketch";
