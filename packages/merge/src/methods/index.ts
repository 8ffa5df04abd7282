/**
 * Public surface of the merge methods: registry, the methods themselves (each
 * both a whole-tensor MergeMethod and a StreamingMergeMethod), the generalized
 * task arithmetic kernel, sparsifiers, sign consensus and the PRNG.
 * See METHODS.md for the formulas and how they relate to mergekit, PEFT and
 * the papers.
 */
export { getMethod, listMethods, methodNames, resolveParameters } from "./registry";
export type { ChoiceParameterDef, ParameterScope } from "./parameters";
export { defineMethod, runKernelWhole, type GraftMergeMethod, type KernelContext, type KernelFactory } from "./kernel";
export { createPrng, fnv1a64, seedWordsFrom, splitmix64, Xoshiro128StarStar } from "./prng";
export {
  checkDellaParameters,
  createSparsifier,
  isRandomSparsifier,
  sparsify,
  sparsifyDellaMagprune,
  sparsifyMagnitude,
  sparsifyMagnitudeOutliers,
  sparsifyRandom,
  SPARSIFICATION_METHODS,
  type ChunkSparsifier,
  type SparsificationMethod,
  type SparsifierSpec,
  type SparsifyOptions,
} from "./sparsify";
export { RESCALE_EPS, RESCALE_MODES, type RescaleMode } from "./rescale";
export { agrees, CONSENSUS_METHODS, electPositive, getMask, type ConsensusMethod } from "./consensus";
export {
  createGtaKernel,
  createGtaMethod,
  DIVISOR_EPS,
  generalizedTaskArithmetic,
  type GtaConfig,
  type GtaDefaults,
  type GtaMethodRow,
} from "./generalized-task-arithmetic";
export { TASK_VECTOR_METHOD_TABLE, TASK_VECTOR_METHODS } from "./task-vector-methods";
export { createLinearKernel, linear } from "./linear";
export { createSlerpKernel, slerp, slerpCoefficients, slerpVectors, SLERP_DOT_THRESHOLD, SLERP_EPS } from "./slerp";
export { createModelStockKernel, modelStock, MODEL_STOCK_NORM_EPS } from "./model-stock";
export { keepRankRange, keyAtRank } from "./select";
