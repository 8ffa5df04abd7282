/** Choosing the blob backend from configuration (the web app's and the scripts' environment). */
import type { BlobStore } from "./blob-store";
import { LocalBlobStore } from "./local-blob-store";
import { S3BlobStore } from "./s3-blob-store";

/** Where committed blobs live; `local` is the embedded default. S3 credentials come from the AWS SDK's usual sources (AWS_ACCESS_KEY_ID…). */
export type BlobStoreConfig =
  | { kind: "local" }
  | { kind: "s3"; bucket: string; prefix: string; endpoint: string | undefined; region: string; forcePathStyle: boolean };

/**
 * The store for `config`. `dir` holds the blobs themselves (local), or only
 * staged uploads and the read-through cache (S3).
 */
export function createBlobStore(config: BlobStoreConfig, local: { dir: string; maxBytes?: number }): BlobStore {
  if (config.kind === "local") return new LocalBlobStore(local.dir, { maxBytes: local.maxBytes });
  return new S3BlobStore({
    bucket: config.bucket,
    prefix: config.prefix,
    scratchDir: local.dir,
    maxBytes: local.maxBytes,
    client: { region: config.region, endpoint: config.endpoint, forcePathStyle: config.forcePathStyle },
  });
}
