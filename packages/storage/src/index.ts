/** @graft/storage: content-addressed blob storage behind a small, backend-neutral interface. */
export type { BlobStore, StagedBlob, BlobInfo, StageOptions, ByteRange, ByteSource } from "./blob-store";
export { isBlobHash } from "./blob-store";
export { LocalBlobStore, type LocalBlobStoreOptions } from "./local-blob-store";
export { S3BlobStore, type S3BlobStoreOptions } from "./s3-blob-store";
export { StorageError, TooLargeError, BlobNotFoundError, isStorageError } from "./errors";
export { createBlobStore, type BlobStoreConfig } from "./config";
