/** Analyses of task vectors before they are merged. */
export {
  analyseInterference,
  DEFAULT_TOP_FRACTION,
  type InterferenceOptions,
  type InterferenceProgress,
  type InterferenceReport,
  type LayerGroupSummary,
  type LayerPairFigures,
  type PairFigures,
  type PairReport,
  type VectorSummary,
} from "./interference";
export { formatInterferenceTable } from "./table";
export {
  classifyInterference,
  overallVerdict,
  verdictSeverity,
  INTERFERENCE_THRESHOLDS,
  type InterferenceThresholds,
  type Verdict,
  type VerdictInput,
  type VerdictLevel,
} from "./verdict";
export { topCount, topMaskCut, inTopMask, EMPTY_CUT, type MaskCut } from "./top-mask";
