/**
 * BlobStore on the local filesystem: `<root>/sha256/ab/cdef…` for blobs and
 * `<root>/tmp/` for staging on the same filesystem, so commit is one atomic
 * rename and readers never see partial blobs.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream as fsCreateReadStream } from "node:fs";
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink } from "node:fs/promises";
import { join, relative, resolve, isAbsolute } from "node:path";
import { Readable } from "node:stream";
import type { BlobInfo, BlobStore, ByteRange, ByteSource, StagedBlob, StageOptions } from "./blob-store";
import { isBlobHash } from "./blob-store";
import { BlobNotFoundError, StorageError, TooLargeError } from "./errors";

export interface LocalBlobStoreOptions {
  /** Default upload limit for stage() when the caller gives none. Default: unlimited. */
  maxBytes?: number;
}

export class LocalBlobStore implements BlobStore {
  readonly root: string;
  private readonly tmpDir: string;
  private readonly blobDir: string;
  private readonly defaultMaxBytes: number;

  constructor(root: string, opts: LocalBlobStoreOptions = {}) {
    this.root = resolve(root);
    this.tmpDir = join(this.root, "tmp");
    this.blobDir = join(this.root, "sha256");
    this.defaultMaxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  private blobPath(hash: string): string {
    if (!isBlobHash(hash)) throw new StorageError("INVALID", `not a sha256 hex digest: ${JSON.stringify(hash)}`);
    return join(this.blobDir, hash.slice(0, 2), hash.slice(2));
  }

  async scratchPath(suffix = ""): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, `${Date.now()}-${randomBytes(8).toString("hex")}${suffix.replace(/[^A-Za-z0-9._-]/g, "")}`);
  }

  /** Staged paths must be ours: never move or delete files outside the scratch area. */
  private checkStaged(staged: StagedBlob): string {
    const p = resolve(staged.path);
    const rel = relative(this.tmpDir, p);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel) || rel.includes("/")) {
      throw new StorageError("INVALID", `${staged.path} is not a file staged by this store`);
    }
    if (!isBlobHash(staged.sha256)) throw new StorageError("INVALID", `staged blob has an invalid hash`);
    return p;
  }

  async stage(source: ByteSource, opts: StageOptions = {}): Promise<StagedBlob> {
    const maxBytes = opts.maxBytes ?? this.defaultMaxBytes;
    const path = await this.scratchPath(".part");
    const fh = await open(path, "wx");
    const hash = createHash("sha256");
    let size = 0;
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
        size += bytes.byteLength;
        if (size > maxBytes) throw new TooLargeError(maxBytes);
        hash.update(bytes);
        let written = 0;
        while (written < bytes.byteLength) {
          const { bytesWritten } = await fh.write(bytes, written, bytes.byteLength - written);
          written += bytesWritten;
        }
      }
      await fh.close();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(path).catch(() => {});
      const maybeStream = source as { destroy?: () => void };
      if (typeof maybeStream.destroy === "function") maybeStream.destroy();
      throw e;
    }
    return { path, sha256: hash.digest("hex"), size };
  }

  async stageFile(sourcePath: string): Promise<StagedBlob> {
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of fsCreateReadStream(sourcePath)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).byteLength;
    }
    const path = await this.scratchPath(".part");
    try {
      await rename(sourcePath, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EXDEV") throw e;
      await copyFile(sourcePath, path);
      await unlink(sourcePath);
    }
    return { path, sha256: hash.digest("hex"), size };
  }

  async commit(staged: StagedBlob): Promise<BlobInfo> {
    const from = this.checkStaged(staged);
    const to = this.blobPath(staged.sha256);
    const existing = await this.stat(staged.sha256);
    if (existing) {
      await unlink(from).catch(() => {});
      return existing;
    }
    await mkdir(join(this.blobDir, staged.sha256.slice(0, 2)), { recursive: true });
    // Same content under the same name: a concurrent identical commit is harmless.
    await rename(from, to);
    return { hash: staged.sha256, size: staged.size };
  }

  async discard(staged: StagedBlob): Promise<void> {
    const p = this.checkStaged(staged);
    await rm(p, { force: true });
  }

  async has(hash: string): Promise<boolean> {
    return (await this.stat(hash)) !== null;
  }

  async stat(hash: string): Promise<BlobInfo | null> {
    try {
      const s = await stat(this.blobPath(hash));
      return s.isFile() ? { hash, size: s.size } : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw e;
    }
  }

  async localPath(hash: string): Promise<string> {
    if (!(await this.has(hash))) throw new BlobNotFoundError(hash);
    return this.blobPath(hash);
  }

  async createReadStream(hash: string, range: ByteRange = {}): Promise<Readable> {
    const info = await this.stat(hash);
    if (!info) throw new BlobNotFoundError(hash);
    const start = range.start ?? 0;
    const end = range.end ?? info.size - 1;
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || (end < start - 1) || end >= info.size) {
      throw new StorageError("INVALID", `byte range ${start}-${end} is outside blob of ${info.size} bytes`);
    }
    if (end < start) {
      // Empty blob / empty range: an already-ended stream.
      return Readable.from([]);
    }
    return fsCreateReadStream(this.blobPath(hash), { start, end });
  }

  async delete(hash: string): Promise<boolean> {
    try {
      await unlink(this.blobPath(hash));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }

  async listOrphans(knownHashes: Iterable<string>, opts: { olderThanMs?: number } = {}): Promise<string[]> {
    const known = new Set(knownHashes);
    const cutoff = Date.now() - (opts.olderThanMs ?? 0);
    const orphans: string[] = [];
    let prefixes: string[];
    try {
      prefixes = (await readdir(this.blobDir)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    for (const prefix of prefixes) {
      if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
      for (const rest of (await readdir(join(this.blobDir, prefix))).sort()) {
        const hash = prefix + rest;
        if (!isBlobHash(hash) || known.has(hash)) continue;
        if (opts.olderThanMs && (await stat(join(this.blobDir, prefix, rest))).mtimeMs > cutoff) continue;
        orphans.push(hash);
      }
    }
    return orphans;
  }

  /** Deletes scratch files older than `olderThanMs` (left behind by crashed uploads). */
  async cleanupScratch(olderThanMs = 24 * 3600_000): Promise<number> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch {
      return 0;
    }
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    for (const name of names) {
      const p = join(this.tmpDir, name);
      const s = await stat(p).catch(() => null);
      if (s && s.mtimeMs < cutoff) {
        await rm(p, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
