/** Vectors: publishing, yanking and version views. */
export { publishVersion, type PublishInput, type PublishResult } from "./publish";
export { yankVersion, unyankVersion } from "./yank";
export { toVersionInfo, type VersionInfo } from "./versions";
export { computeNormStats, type NormStats } from "./norm-stats";
export type { VersionUpload, SourceKind } from "./upload";
export type { ListingInput } from "./schemas";
