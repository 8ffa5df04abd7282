/**
 * Runs merge jobs. A worker claims the oldest queued job with a lease (a
 * conditional update, so two workers never take the same job), renews the
 * lease while it works, re-checks the buyer's entitlements, resolves the
 * version blobs and the foundation weights to local files, streams the merge
 * with progress and cancellation, and commits the archived result with the
 * job's final state. A job whose lease runs out (its worker died) is queued
 * again, up to MAX_ATTEMPTS.
 */
import { createHash } from "node:crypto";
import { link, mkdir, symlink } from "node:fs/promises";
import { GraftError, runMerge, type MergeProgress, type Recipe } from "@graft/merge";
import type { Prisma } from "@graft/db";
import type { CoreContext } from "../../context";
import { DomainError, isDomainError } from "../../errors";
import { commitBlobWithRows } from "../../lib/blob-commit";
import { retryOnBusy } from "../../lib/busy";
import { fromLibrary } from "../../lib/library-errors";
import { Scratch } from "../../lib/scratch";
import { foundationWeightsPath } from "../foundations/foundations";
import { compareOnSuites, parseEvalJson, suitesToScore, type EvalInput, type JobEvaluation, type ModelEvaluator } from "./evaluation";
import { requireEntitled, resolveChoices } from "./inputs";
import type { JobProgress, JobResult } from "./jobs";
import { choicesToRecipe, choicesToYaml, yamlToChoices } from "./recipe-yaml";
import { listResultFiles, modelCard, writeModelCard, writeTarArchive } from "./result";

export const MAX_ATTEMPTS = 3;

export interface RunnerOptions {
  workerId: string;
  /** How long a claim lasts without renewal. Default 60 s. */
  leaseMs?: number;
  /** Largest safetensors shard of the result. Default 2 GB. */
  maxShardBytes?: number;
  /** Least time between progress writes. Default 250 ms. */
  progressEveryMs?: number;
  /** Scores merged models on the inputs' evaluation suites; without one, results carry no evaluation. */
  evaluator?: ModelEvaluator;
}

const DEFAULT_LEASE = 60_000;

/** Puts jobs whose worker stopped renewing its lease back in the queue (or fails them after MAX_ATTEMPTS). */
export async function recoverExpiredLeases(ctx: CoreContext, now = new Date()): Promise<void> {
  await retryOnBusy(() => ctx.db.mergeJob.updateMany({
    where: { status: "running", leaseExpiresAt: { lt: now }, attempts: { gte: MAX_ATTEMPTS } },
    data: { status: "failed", error: `the worker running this job stopped responding ${MAX_ATTEMPTS} times`, finishedAt: now, leaseOwner: null },
  }));
  await retryOnBusy(() => ctx.db.mergeJob.updateMany({
    where: { status: "running", leaseExpiresAt: { lt: now } },
    data: { status: "queued", leaseOwner: null, leaseExpiresAt: null },
  }));
}

/** Claims the oldest queued job for `workerId`; null when there is none. */
export async function claimNextJob(ctx: CoreContext, opts: RunnerOptions): Promise<string | null> {
  await recoverExpiredLeases(ctx);
  for (let tries = 0; tries < 5; tries++) {
    const next = await ctx.db.mergeJob.findFirst({ where: { status: "queued" }, orderBy: { createdAt: "asc" }, select: { id: true } });
    if (!next) return null;
    const now = new Date();
    const claimed = await retryOnBusy(() => ctx.db.mergeJob.updateMany({
      where: { id: next.id, status: "queued" },
      data: {
        status: "running",
        leaseOwner: opts.workerId,
        leaseExpiresAt: new Date(now.getTime() + (opts.leaseMs ?? DEFAULT_LEASE)),
        attempts: { increment: 1 },
        startedAt: now,
        progressJson: "{}",
      },
    }));
    if (claimed.count === 1) return next.id;
  }
  return null;
}

export function progressOf(p: MergeProgress, startedAt: number): JobProgress {
  const elapsed = (Date.now() - startedAt) / 1000;
  const rate = elapsed > 0 ? p.bytesDone / elapsed : 0;
  return {
    tensorsDone: p.tensorsDone,
    tensorsTotal: p.tensorsTotal,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    percent: p.bytesTotal > 0 ? Math.min(100, (100 * p.bytesDone) / p.bytesTotal) : 100,
    etaSeconds: rate > 0 ? Math.max(0, (p.bytesTotal - p.bytesDone) / rate) : null,
    tensor: p.tensor,
  };
}

/** The message a failed job shows: domain and library errors as they are, anything else generically (and logged). */
export function failureReason(e: unknown, labels: Map<string, string>): string {
  const d = fromLibrary(e, labels);
  if (isDomainError(d)) return d.message;
  console.error("[graft] merge job failed:", e);
  return "the merge failed unexpectedly; see the server log";
}

/**
 * The version's blob under a `.safetensors` name: the merge library recognises
 * a task-vector file by its extension and metadata (a blob path has no
 * extension and would be read as a full checkpoint). A hard link costs
 * nothing; a symbolic link covers stores on another filesystem.
 */
async function taskVectorPath(ctx: CoreContext, scratch: Scratch, blobHash: string): Promise<string> {
  const blob = await ctx.blobs.localPath(blobHash);
  const path = await scratch.newPath(".safetensors");
  await link(blob, path).catch(() => symlink(blob, path));
  return path;
}

/** A job's recipe resolved for this worker: entitlements re-checked, inputs as local files, the registry's metadata. */
export interface PreparedMerge {
  resolved: Awaited<ReturnType<typeof resolveChoices>>;
  recipe: Recipe;
  canonicalYaml: string;
  recipeSha256: string;
  metadata: Record<string, string>;
  basePath: string;
  /** The inputs with their evaluation suites, for scoring the merged model. */
  evalInputs: (EvalInput & { path: string })[];
}

export async function prepareMerge(ctx: CoreContext, job: { userId: string; recipeYaml: string }, scratch: Scratch, labels: Map<string, string>): Promise<PreparedMerge> {
  const choices = yamlToChoices(job.recipeYaml);
  const resolved = await resolveChoices(ctx, choices);
  try {
    await requireEntitled(ctx, { userId: job.userId }, resolved.inputs);
  } catch (e) {
    throw isDomainError(e) ? new DomainError(e.code, `entitlement check before running: ${e.message}`, e.details) : e;
  }

  const recipe = choicesToRecipe(choices);
  const basePath = await foundationWeightsPath(ctx, resolved.foundation);
  labels.set(basePath, `foundation ${resolved.foundation.slug}`);
  recipe.baseModel = { path: basePath };
  const evalInputs: PreparedMerge["evalInputs"] = [];
  for (const [i, input] of resolved.inputs.entries()) {
    const path = await taskVectorPath(ctx, scratch, input.blobHash);
    labels.set(path, input.ref);
    recipe.models[i] = { ...recipe.models[i], model: { path } };
    evalInputs.push({ ref: input.ref, path, evaluation: parseEvalJson(input.evalJson) });
  }

  const canonicalYaml = choicesToYaml(choices);
  const recipeSha256 = createHash("sha256").update(canonicalYaml).digest("hex");
  const registryInputs = [
    { role: "base", ref: resolved.foundation.slug, fingerprint: resolved.foundation.fingerprint },
    ...resolved.inputs.map((i) => ({ role: "model", ref: i.ref, weight: i.weight, sha256: i.blobHash })),
  ];
  // The registry's view of the recipe and inputs (no server paths).
  const metadata = {
    "graft.recipe": canonicalYaml,
    "graft.inputs": JSON.stringify(registryInputs),
    "graft.recipe.sha256": recipeSha256,
    "graft.registry.inputs": JSON.stringify(registryInputs),
  };
  return { resolved, recipe, canonicalYaml, recipeSha256, metadata, basePath, evalInputs };
}

/**
 * Publishes a merged model folder as the job's result: model card, tar
 * archive, blob, and the job marked done (only while `where` still matches it).
 */
export async function publishResult(
  ctx: CoreContext,
  scratch: Scratch,
  prepared: PreparedMerge,
  outDir: string,
  merged: { tensors: number; bytesWritten: number },
  where: Prisma.MergeJobWhereInput,
  evaluation: JobEvaluation | null = null,
): Promise<void> {
  const { resolved, canonicalYaml, recipeSha256 } = prepared;
  await writeModelCard(outDir, modelCard(resolved, canonicalYaml, recipeSha256));
  const files = await listResultFiles(outDir);
  const root = `${resolved.foundation.slug}-merged-${recipeSha256.slice(0, 8)}`;
  const archive = await scratch.newPath(".tar");
  await writeTarArchive(outDir, files, root, archive);
  const staged = await ctx.blobs.stageFile(archive);
  const result: JobResult = {
    sha256: staged.sha256,
    size: staged.size,
    archiveName: `${root}.tar`,
    files,
    tensors: merged.tensors,
    recipeSha256,
    evaluation,
  };
  const final = { tensorsDone: merged.tensors, tensorsTotal: merged.tensors, bytesDone: merged.bytesWritten, bytesTotal: merged.bytesWritten, percent: 100, etaSeconds: 0 };
  // A busy database here fails the commit (the staged archive is discarded), and the job below.
  await commitBlobWithRows(ctx, staged, async (tx) => {
    const done = await tx.mergeJob.updateMany({
      where,
      data: { status: "done", resultBlobHash: staged.sha256, resultJson: JSON.stringify(result), progressJson: JSON.stringify(final), finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null },
    });
    if (done.count === 0) throw new GraftError("CANCELLED", "the job was taken over by another worker");
  });
}

/** The reason an evaluation failed, for the job page (the merge itself succeeded). */
function evaluationFailure(e: unknown): string {
  if (e instanceof Error && e.message) return e.message.split("\n")[0]!.slice(0, 500);
  return "the evaluation failed unexpectedly";
}

export interface EvaluateJob {
  evaluator: ModelEvaluator | undefined;
  basePath: string;
  mergedDir: string;
  inputs: (EvalInput & { path: string })[];
  scratch: Scratch;
  signal: AbortSignal;
}

/**
 * Scores the merged model on the inputs' suites. Null (nothing loaded, no
 * error) when no input carries a suite; a failure is recorded, never thrown,
 * except cancellation.
 */
export async function evaluateMerge(job: EvaluateJob): Promise<JobEvaluation | null> {
  if (suitesToScore(job.inputs).length === 0) return null;
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (!job.evaluator) return { status: "failed", error: "this server has no evaluator for merged models", suites: [], seconds: 0 };
  const stopIfCancelled = () => {
    if (job.signal.aborted) throw new GraftError("CANCELLED", "merge cancelled");
  };
  try {
    const suites = await compareOnSuites({
      evaluator: job.evaluator,
      baseDir: job.basePath,
      mergedDir: job.mergedDir,
      inputs: job.inputs,
      checkpoint: stopIfCancelled,
      vectorAlone: async (ref) => {
        const input = job.inputs.find((i) => i.ref === ref)!;
        const outDir = await job.scratch.newPath("-alone");
        const recipe: Recipe = { mergeMethod: "task_arithmetic", baseModel: { path: job.basePath }, models: [{ model: { path: input.path }, parameters: { weight: 1 } }], parameters: {} };
        await runMerge(recipe, { outDir, signal: job.signal });
        return outDir;
      },
    });
    return { status: "done", suites, seconds: seconds() };
  } catch (e) {
    if (job.signal.aborted || (e instanceof GraftError && e.code === "CANCELLED")) throw e;
    return { status: "failed", error: evaluationFailure(e), suites: [], seconds: seconds() };
  }
}

/** Runs a job this worker has claimed, to done, failed or cancelled. */
export async function runClaimedJob(ctx: CoreContext, jobId: string, opts: RunnerOptions): Promise<void> {
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE;
  const mine = { id: jobId, status: "running", leaseOwner: opts.workerId };
  const job = await ctx.db.mergeJob.findUnique({ where: { id: jobId } });
  if (!job || job.status !== "running" || job.leaseOwner !== opts.workerId) return;

  const scratch = new Scratch(ctx.blobs);
  const controller = new AbortController();
  const labels = new Map<string, string>();
  let lastWrite = 0;
  let writing: Promise<unknown> = Promise.resolve();
  const startedAt = Date.now();

  /** Writes progress, renews the lease and picks up cancellation requests. */
  const heartbeat = async (progress?: JobProgress) => {
    const updated = await retryOnBusy(() => ctx.db.mergeJob.updateMany({
      where: mine,
      data: { leaseExpiresAt: new Date(Date.now() + leaseMs), ...(progress ? { progressJson: JSON.stringify(progress) } : {}) },
    }));
    const row = await ctx.db.mergeJob.findUnique({ where: { id: jobId }, select: { cancelRequested: true } });
    // A lost lease (count 0) means another worker owns the job now: stop too.
    if (updated.count === 0 || row?.cancelRequested) controller.abort();
  };
  const timer = setInterval(() => {
    writing = writing.then(() => heartbeat()).catch(() => {});
  }, Math.max(1000, Math.floor(leaseMs / 3)));

  try {
    if (job.cancelRequested) throw new GraftError("CANCELLED", "merge cancelled");
    const prepared = await prepareMerge(ctx, job, scratch, labels);
    const workDir = await scratch.newPath("-merge");
    await mkdir(workDir);
    const outDir = `${workDir}/model`;
    labels.set(workDir, "the output folder");

    const merged = await runMerge(prepared.recipe, {
      outDir,
      expectedBaseFingerprint: prepared.resolved.foundation.fingerprint,
      maxShardBytes: opts.maxShardBytes,
      signal: controller.signal,
      metadata: prepared.metadata,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastWrite < (opts.progressEveryMs ?? 250) && p.tensorsDone < p.tensorsTotal) return;
        lastWrite = now;
        const progress = progressOf(p, startedAt);
        writing = writing.then(() => heartbeat(progress)).catch(() => {});
      },
    });
    await writing;
    await heartbeat();
    if (controller.signal.aborted) throw new GraftError("CANCELLED", "merge cancelled");

    const mergedFinal = { tensorsDone: merged.tensors, tensorsTotal: merged.tensors, bytesDone: merged.bytesWritten, bytesTotal: merged.bytesWritten, percent: 100, etaSeconds: 0 };
    if (suitesToScore(prepared.evalInputs).length > 0) await heartbeat({ ...mergedFinal, phase: "evaluating" });
    const evaluation = await evaluateMerge({ evaluator: opts.evaluator, basePath: prepared.basePath, mergedDir: outDir, inputs: prepared.evalInputs, scratch, signal: controller.signal });
    if (controller.signal.aborted) throw new GraftError("CANCELLED", "merge cancelled");
    await publishResult(ctx, scratch, prepared, outDir, merged, mine, evaluation);
  } catch (e) {
    await writing.catch(() => {});
    const cancelled = controller.signal.aborted || (e instanceof GraftError && e.code === "CANCELLED");
    const row = await ctx.db.mergeJob.findUnique({ where: { id: jobId }, select: { cancelRequested: true } });
    const status = cancelled && row?.cancelRequested ? "cancelled" : "failed";
    await retryOnBusy(() => ctx.db.mergeJob.updateMany({
      where: mine,
      data: { status, error: status === "cancelled" ? "cancelled while running" : failureReason(e, labels), finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null },
    }));
  } finally {
    clearInterval(timer);
    await scratch.cleanup();
  }
}
