/**
 * The contract every blob backend fulfils: content-addressed (sha256 hex)
 * immutable blobs, uploaded in two phases (stage → validate → commit) so the
 * domain layer can inspect a file before it becomes visible. Nothing here
 * assumes local disk: staging always happens on local scratch space (the merge
 * library needs a path to validate), but committed blobs may live anywhere.
 */
import type { Readable } from "node:stream";

/** A file received and hashed but not yet committed. Only valid for the store that made it. */
export interface StagedBlob {
  /** Local path of the staged bytes (readable by the merge library until commit/discard). */
  readonly path: string;
  /** Lowercase sha256 hex of the content. */
  readonly sha256: string;
  readonly size: number;
}

export interface BlobInfo {
  hash: string;
  size: number;
}

export interface StageOptions {
  /** Abort with TooLargeError once more than this many bytes arrive. Default: the store's limit. */
  maxBytes?: number;
}

/** Inclusive byte range, as in HTTP Range headers and fs.createReadStream. */
export interface ByteRange {
  start?: number;
  end?: number;
}

export type ByteSource = Readable | AsyncIterable<Uint8Array>;

export interface BlobStore {
  /**
   * Streams `source` to a scratch file while hashing it; never buffers the
   * whole content. Over `maxBytes` the source is destroyed, the scratch file
   * deleted and a TooLargeError thrown.
   */
  stage(source: ByteSource, opts?: StageOptions): Promise<StagedBlob>;
  /**
   * Adopts a file the caller produced (e.g. a derived task vector written to
   * `scratchPath()`): hashes it and moves it into staging.
   */
  stageFile(path: string): Promise<StagedBlob>;
  /** A fresh, unused local path in the store's scratch area, for files to be staged with stageFile. */
  scratchPath(suffix?: string): Promise<string>;
  /** Makes a staged blob permanent under its hash; an existing identical blob wins and the staged copy is dropped. */
  commit(staged: StagedBlob): Promise<BlobInfo>;
  /** Deletes a staged file (idempotent). */
  discard(staged: StagedBlob): Promise<void>;
  has(hash: string): Promise<boolean>;
  /** Size of a committed blob, or null when absent. */
  stat(hash: string): Promise<BlobInfo | null>;
  /**
   * A local file path holding the blob, for the merge library (which reads by
   * path). LocalBlobStore returns the blob file itself; a remote store (S3)
   * downloads into a local read-through cache and returns the cached path.
   * Throws BlobNotFoundError when absent.
   */
  localPath(hash: string): Promise<string>;
  /** Streams a committed blob, optionally an inclusive byte range. Throws BlobNotFoundError when absent. */
  createReadStream(hash: string, range?: ByteRange): Promise<Readable>;
  /** Removes a committed blob; returns whether it existed. */
  delete(hash: string): Promise<boolean>;
  /**
   * Committed blobs whose hash is not in `knownHashes` (candidates for garbage
   * collection). With `olderThanMs`, only blobs committed at least that long
   * ago: a blob is committed just before the transaction that references it,
   * so a young unreferenced blob may be about to be referenced.
   */
  listOrphans(knownHashes: Iterable<string>, opts?: { olderThanMs?: number }): Promise<string[]>;
  /** Deletes scratch files older than `olderThanMs` (left behind by crashed uploads); returns how many. */
  cleanupScratch(olderThanMs?: number): Promise<number>;
}

const HASH = /^[0-9a-f]{64}$/;

export function isBlobHash(hash: string): boolean {
  return HASH.test(hash);
}
