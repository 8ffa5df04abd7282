/**
 * BlobStore on S3-compatible object storage (AWS S3, MinIO, R2, Ceph…).
 * Objects live at `<prefix>sha256/ab/cdef…`. Staging stays on local scratch
 * space (the merge library validates uploads by path), so a LocalBlobStore
 * does the staging and doubles as the read-through cache that `localPath`
 * needs: a blob downloaded once is verified against its hash and kept there.
 * Commit uploads with multipart upload (bounded memory, parallel parts) and
 * only then drops the staged copy, so a failed upload loses nothing and a
 * half-uploaded object is never visible under a blob's key.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { BlobInfo, BlobStore, ByteRange, ByteSource, StagedBlob, StageOptions } from "./blob-store";
import { isBlobHash } from "./blob-store";
import { BlobNotFoundError, StorageError } from "./errors";
import { LocalBlobStore } from "./local-blob-store";

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket, e.g. "graft/" (default none). */
  prefix?: string;
  /** Local folder for staging uploads and caching downloaded blobs. */
  scratchDir: string;
  /** Client settings: region, endpoint (non-AWS servers), forcePathStyle, credentials. */
  client: S3ClientConfig;
  /** Default upload limit for stage(). Default: unlimited. */
  maxBytes?: number;
  /** Multipart part size in bytes (S3's minimum is 5 MiB). Default 16 MiB. */
  partSize?: number;
  /** Parts uploaded at once per blob. Default 4. */
  queueSize?: number;
}

const MIN_PART = 5 * 1024 * 1024;

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === "NotFound" || err?.name === "NoSuchKey" || err?.$metadata?.httpStatusCode === 404;
}

export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;
  /** Staging area and read-through cache. */
  private readonly local: LocalBlobStore;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3BlobStoreOptions) {
    if (!opts.bucket) throw new StorageError("INVALID", "S3 bucket name is required");
    this.client = new S3Client(opts.client);
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? "";
    this.local = new LocalBlobStore(opts.scratchDir, { maxBytes: opts.maxBytes });
    this.partSize = Math.max(MIN_PART, opts.partSize ?? 16 * 1024 * 1024);
    this.queueSize = opts.queueSize ?? 4;
  }

  private key(hash: string): string {
    if (!isBlobHash(hash)) throw new StorageError("INVALID", `not a sha256 hex digest: ${JSON.stringify(hash)}`);
    return `${this.prefix}sha256/${hash.slice(0, 2)}/${hash.slice(2)}`;
  }

  stage(source: ByteSource, opts?: StageOptions): Promise<StagedBlob> {
    return this.local.stage(source, opts);
  }

  stageFile(path: string): Promise<StagedBlob> {
    return this.local.stageFile(path);
  }

  scratchPath(suffix?: string): Promise<string> {
    return this.local.scratchPath(suffix);
  }

  discard(staged: StagedBlob): Promise<void> {
    return this.local.discard(staged);
  }

  async commit(staged: StagedBlob): Promise<BlobInfo> {
    const existing = await this.stat(staged.sha256);
    if (existing) {
      await this.local.discard(staged);
      return existing;
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.key(staged.sha256), Body: createReadStream(staged.path), ContentLength: staged.size },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A failed multipart upload is aborted, so no parts linger in the bucket.
      leavePartsOnError: false,
    });
    await upload.done();
    // The uploaded bytes stay local as the first cache entry.
    await this.local.commit(staged);
    return { hash: staged.sha256, size: staged.size };
  }

  async has(hash: string): Promise<boolean> {
    return (await this.stat(hash)) !== null;
  }

  async stat(hash: string): Promise<BlobInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(hash) }));
      return { hash, size: head.ContentLength ?? 0 };
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  async localPath(hash: string): Promise<string> {
    if (await this.local.has(hash)) return this.local.localPath(hash);
    const body = await this.getObject(hash);
    const staged = await this.local.stage(body);
    if (staged.sha256 !== hash) {
      await this.local.discard(staged);
      throw new StorageError("CORRUPT", `object for blob ${hash.slice(0, 12)}… has sha256 ${staged.sha256.slice(0, 12)}…`);
    }
    await this.local.commit(staged);
    return this.local.localPath(hash);
  }

  private async getObject(hash: string, range?: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(hash), Range: range }));
      return out.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw new BlobNotFoundError(hash);
      throw e;
    }
  }

  async createReadStream(hash: string, range: ByteRange = {}): Promise<Readable> {
    const info = await this.stat(hash);
    if (!info) throw new BlobNotFoundError(hash);
    const start = range.start ?? 0;
    const end = range.end ?? info.size - 1;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start - 1 || end >= info.size) {
      throw new StorageError("INVALID", `byte range ${start}-${end} is outside blob of ${info.size} bytes`);
    }
    if (end < start) return Readable.from([]);
    if (await this.local.has(hash)) return this.local.createReadStream(hash, { start, end });
    return this.getObject(hash, `bytes=${start}-${end}`);
  }

  /**
   * A time-limited URL that downloads the blob straight from the object store,
   * so large downloads need not pass through the web process.
   */
  async presignedDownloadUrl(hash: string, opts: { expiresInSeconds?: number; filename?: string } = {}): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.key(hash),
      ResponseContentDisposition: opts.filename ? `attachment; filename="${opts.filename.replace(/["\\\r\n]/g, "_")}"` : undefined,
    });
    return getSignedUrl(this.client, command, { expiresIn: opts.expiresInSeconds ?? 300 });
  }

  async delete(hash: string): Promise<boolean> {
    const existed = await this.has(hash);
    if (existed) await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(hash) }));
    await this.local.delete(hash);
    return existed;
  }

  async listOrphans(knownHashes: Iterable<string>, opts: { olderThanMs?: number } = {}): Promise<string[]> {
    const known = new Set(knownHashes);
    const cutoff = Date.now() - (opts.olderThanMs ?? 0);
    const orphans: string[] = [];
    const root = `${this.prefix}sha256/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: root, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const hash = (o.Key ?? "").slice(root.length).replace("/", "");
        const young = opts.olderThanMs && (o.LastModified?.getTime() ?? Date.now()) > cutoff;
        if (isBlobHash(hash) && !known.has(hash) && !young) orphans.push(hash);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return orphans.sort();
  }

  /** Deletes scratch files left behind by crashed uploads. */
  cleanupScratch(olderThanMs?: number): Promise<number> {
    return this.local.cleanupScratch(olderThanMs);
  }
}
