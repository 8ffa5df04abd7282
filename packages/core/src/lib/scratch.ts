/**
 * Tracks the temporary files of one operation (staged uploads, derived task
 * vectors, adapter folders) so every exit path removes them.
 */
import { rm } from "node:fs/promises";
import type { BlobStore, StagedBlob } from "@graft/storage";

export class Scratch {
  /** Keyed by path: validated copies of a StagedBlob refer to the same file. */
  private readonly staged = new Map<string, StagedBlob>();
  private readonly paths = new Set<string>();

  constructor(private readonly blobs: BlobStore) {}

  addStaged(s: StagedBlob | undefined | null): void {
    if (s && typeof s === "object" && typeof s.path === "string") this.staged.set(s.path, s);
  }

  /** A staged blob that has been committed or discarded elsewhere. */
  forget(s: StagedBlob): void {
    this.staged.delete(s.path);
  }

  addPath(path: string): void {
    this.paths.add(path);
  }

  async newPath(suffix: string): Promise<string> {
    const p = await this.blobs.scratchPath(suffix);
    this.paths.add(p);
    return p;
  }

  async cleanup(): Promise<void> {
    await Promise.all([
      ...[...this.staged.values()].map((s) => this.blobs.discard(s).catch(() => {})),
      ...[...this.paths].map((p) => rm(p, { recursive: true, force: true }).catch(() => {})),
    ]);
    this.staged.clear();
    this.paths.clear();
  }
}
