/**
 * Public API of the safetensors layer: strict reading of files, directories
 * and shard indexes, streaming atomic writing, and dtype conversion.
 */
export {
  DTYPE_SIZES,
  dtypeSize,
  isDType,
  isFloatDType,
  decodeToFloat32,
  decodeInto,
  decodeMinusInto,
  encodeFromFloat32,
  f16BitsToF32Bits,
  f32BitsToF16Bits,
  bf16BitsToF32Bits,
  f32BitsToBf16Bits,
  type FloatDType,
} from "./dtypes";
export { parseHeader, parseHeaderLength, MAX_HEADER_BYTES, METADATA_KEY, type TensorEntry, type ParsedHeader } from "./header";
export { openSafetensors, type SafetensorsFile } from "./reader";
export {
  openCheckpoint,
  listAuxiliaryFiles,
  isAuxiliaryFileName,
  SINGLE_FILE_NAME,
  INDEX_FILE_NAME,
  type CheckpointReader,
} from "./checkpoint";
export { hasPickleExtension, looksLikePickle, PICKLE_EXTENSIONS } from "./pickle";
export { planFile, type TensorSpec, type FileLayout, type PlannedTensor } from "./layout";
export { createSafetensorsWriter, rewriteMetadata, syncDirectory, type SafetensorsWriter, type TensorSink } from "./writer";
export {
  createCheckpointWriter,
  planShards,
  shardIndexJson,
  DEFAULT_MAX_SHARD_BYTES,
  type CheckpointWriter,
  type CheckpointWriterOptions,
  type ShardPlan,
} from "./sharded";
export { compareNames } from "./order";
