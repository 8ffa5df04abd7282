/**
 * The part of @graft/lab a server needs to run the demo models: load a
 * checkpoint, equip task vectors in memory, generate. No data sets.
 */
export { useBackend, type BackendName } from "./backend";
export { loadCheckpoint, checkpointBytes, equip, type LoadedModel, type WeightedVector } from "./checkpoint";
export { generate, type GenerateOptions } from "./generate";
