/**
 * @graft/lab — the demo models: a character-level language model trained
 * with TensorFlow.js on public text, single-task fine-tunes, their task
 * vectors, evaluation suites, and generation.
 */
export { useBackend, type BackendName } from "./backend";
export { ALPHABET, VOCAB, VOCAB_SIZE, encode, decode, normalizeText } from "./text";
export { TASKS, loadCorpus, type TaskName, type CorpusName, type SplitName, type Corpus, type DatasetOptions } from "./datasets";
export { parameterShapes, parameterCount, configFromShapes, initWeights, type ModelConfig, type Weights } from "./model";
export { train, type TrainOptions, type TrainResult } from "./train";
export { saveCheckpoint, loadCheckpoint, checkpointBytes, equip, type LoadedModel, type WeightedVector } from "./checkpoint";
export { evaluateModel, evaluateCheckpoint, type EvalSuite, type EvalResult } from "./evaluate";
export { generate, type GenerateOptions } from "./generate";
export { trainDemo, cacheKey, suitesFor, modelConfig, DEMO_CONFIG, TINY_CONFIG, type DemoConfig, type DemoModels, type StageConfig, type Metrics, type TrainDemoOptions } from "./pipeline";
export { mergeVectors, recipeYaml, type MergeSpec } from "./merge";
export { createLabEvaluator, parseSuite, versionEvalJson, type CheckpointEvaluator } from "./job-evaluator";
