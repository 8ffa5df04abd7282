// "Try it" on a finished merge job: the job's merged model (its archive
// unpacked once per result into a cache folder) next to the foundation, for
// the job's owner. Same model family and size limit as the foundation panel.
import "server-only";
import { mkdir, mkdtemp, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { DomainError, extractModelFiles, foundationWeightsPath, getMergeJob, openJobResult, type Actor, type CoreContext } from "@graft/core";
import { checkpointBytes, generate, loadCheckpoint, type LoadedModel } from "@graft/lab/runtime";
import { loadBase, readyBackend, TRY_MAX_BYTES, tryRequestSchema } from "./try-model";

export const tryMergedSchema = tryRequestSchema.omit({ vectors: true });
export type TryMergedRequest = z.output<typeof tryMergedSchema>;

export interface TryMergedResult {
  base: string;
  merged: string;
}

const CACHE_DIR = path.join(tmpdir(), "graft-try-merged");
const MAX_CACHED = 4;
const merged = new Map<string, LoadedModel>();

/** The merged model of a result archive, unpacked on first use. */
async function loadMerged(ctx: CoreContext, actor: Exclude<Actor, null>, jobId: string, sha256: string): Promise<LoadedModel> {
  const hit = merged.get(sha256);
  if (hit) return hit;
  const dir = path.join(CACHE_DIR, sha256);
  const unpacked = await stat(dir).then(() => true, () => false);
  if (!unpacked) {
    await mkdir(CACHE_DIR, { recursive: true });
    const work = await mkdtemp(path.join(CACHE_DIR, "unpack-"));
    try {
      const download = await openJobResult(ctx, actor, jobId);
      await extractModelFiles(download.stream, work);
      await rename(work, dir).catch(async (e: NodeJS.ErrnoException) => {
        // Another request unpacked the same result meanwhile.
        if (e.code !== "ENOTEMPTY" && e.code !== "EEXIST") throw e;
        await rm(work, { recursive: true, force: true });
      });
    } catch (e) {
      await rm(work, { recursive: true, force: true });
      throw e;
    }
  }
  const model = await loadCheckpoint(dir).catch((e: Error) => {
    throw new DomainError("UNSUPPORTED", `this merged model cannot be run in the try-it panel: ${e.message}`);
  });
  if (merged.size >= MAX_CACHED) merged.delete(merged.keys().next().value!);
  merged.set(sha256, model);
  return model;
}

export async function tryMergedJob(ctx: CoreContext, actor: Exclude<Actor, null>, jobId: string, input: TryMergedRequest): Promise<TryMergedResult> {
  const job = await getMergeJob(ctx, actor, jobId);
  if (job.status !== "done" || !job.result) throw new DomainError("CONFLICT", `the job is ${job.status}; there is no merged model to try`);
  const basePath = await foundationWeightsPath(ctx, job.foundation);
  const bytes = await checkpointBytes(basePath);
  if (bytes > TRY_MAX_BYTES) {
    throw new DomainError("TOO_LARGE", `foundation "${job.foundation}" has ${bytes} bytes of weights; the try-it panel runs models up to ${TRY_MAX_BYTES} bytes`);
  }
  await readyBackend();
  const base = await loadBase(basePath);
  const model = await loadMerged(ctx, actor, jobId, job.result.sha256);
  const options = { maxChars: input.maxChars, temperature: input.temperature, seed: input.seed };
  return { base: generate(base, input.prompt, options), merged: generate(model, input.prompt, options) };
}
