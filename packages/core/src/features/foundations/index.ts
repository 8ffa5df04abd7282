/** Foundations: registering and browsing base models. */
export {
  registerFoundation,
  listFoundations,
  getFoundation,
  getFoundationManifest,
  foundationWeightsPath,
  type FoundationSummary,
  type FoundationDetail,
  type FoundationSource,
  type RegisterFoundationInput,
} from "./foundations";
