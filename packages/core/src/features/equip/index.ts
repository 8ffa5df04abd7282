export { equipMethods, EQUIP_METHOD_NAMES, type EquipMethod, type EquipParameter } from "./methods";
export { choicesToRecipe, choicesToYaml, yamlToChoices, parseVersionRef, equipChoicesSchema, VERSION_REF_RE, type EquipChoices, type EquipChoicesInput } from "./recipe-yaml";
export { saveRecipe, listRecipes, loadRecipe, type RecipeInfo } from "./recipes";
export {
  submitMergeJob,
  getMergeJob,
  listMergeJobs,
  cancelMergeJob,
  openJobResult,
  FINISHED,
  type JobInfo,
  type JobStatus,
  type JobProgress,
  type JobResult,
  type ResultFile,
  type JobDownload,
} from "./jobs";
export { claimNextJob, runClaimedJob, recoverExpiredLeases, MAX_ATTEMPTS, type RunnerOptions } from "./runner";
export { MergeWorker, newWorkerId, type JobQueue, type WorkerOptions } from "./queue";
export { PgBossQueue, MERGE_QUEUE, type PgBossQueueOptions } from "./pgboss";
export { previewInterference } from "./preview";
export { listLibrary, type LibraryVersion } from "./library";
export { parseEvalJson, suitesToScore, type ModelEvaluator, type JobEvaluation, type SuiteEvaluation, type MetricComparison, type VersionEvaluation } from "./evaluation";
export { extractModelFiles } from "./result";
