export { collectGarbage, referencedBlobHashes, type CollectOptions, type CollectReport } from "./collect";
