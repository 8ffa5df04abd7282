/**
 * Merge jobs as the buyer sees them: submit (every input checked against the
 * buyer's entitlements), list, read, cancel, and open the finished archive.
 * The work itself happens in ./runner, claimed from the queued rows.
 */
import type { Readable } from "node:stream";
import { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { parseJson } from "../../lib/dto";
import { requireScope } from "../../lib/auth";
import { parseInput } from "../../lib/validate";
import type { JobEvaluation } from "./evaluation";
import { requireEntitled, resolveChoices } from "./inputs";
import { choicesToYaml, yamlToChoices } from "./recipe-yaml";

export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";
export const FINISHED: readonly JobStatus[] = ["done", "failed", "cancelled"];

export interface JobProgress {
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** 0–100. */
  percent: number;
  /** Seconds left at the current rate, or null before there is a rate. */
  etaSeconds: number | null;
  tensor?: string;
  /** Set once the weights are written and the merged model is being scored. */
  phase?: "evaluating";
}

export interface ResultFile {
  path: string;
  size: number;
  sha256: string;
}

export interface JobResult {
  /** The archive (tar) in the blob store. */
  sha256: string;
  size: number;
  archiveName: string;
  files: ResultFile[];
  tensors: number;
  recipeSha256: string;
  /** The merged model scored on the inputs' suites; null when no input carries a suite. */
  evaluation: JobEvaluation | null;
}

export interface JobInfo {
  id: string;
  status: JobStatus;
  foundation: string;
  recipeYaml: string;
  inputs: { ref: string; versionId: string; weight: number }[];
  progress: JobProgress | null;
  error: string | null;
  result: JobResult | null;
  attempts: number;
  cancelRequested: boolean;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const JOB_INCLUDE = {
  foundation: { select: { slug: true } },
  inputs: { select: { versionId: true, weight: true, version: { select: { version: true, vector: { select: { slug: true, team: { select: { slug: true } } } } } } } },
} as const;

type JobRow = {
  id: string;
  status: string;
  recipeYaml: string;
  progressJson: string;
  error: string | null;
  resultJson: string | null;
  attempts: number;
  cancelRequested: boolean;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  foundation: { slug: string };
  inputs: { versionId: string; weight: number; version: { version: string; vector: { slug: string; team: { slug: string } } } }[];
};

export function toJobInfo(j: JobRow): JobInfo {
  const progress = parseJson<JobProgress | Record<string, never>>(j.progressJson, {});
  const refOrder = yamlToChoices(j.recipeYaml).vectors.map((v) => v.ref);
  const inputs = j.inputs
    .map((i) => ({ ref: `${i.version.vector.team.slug}/${i.version.vector.slug}@${i.version.version}`, versionId: i.versionId, weight: i.weight }))
    .sort((a, b) => refOrder.indexOf(a.ref) - refOrder.indexOf(b.ref));
  return {
    id: j.id,
    status: j.status as JobStatus,
    foundation: j.foundation.slug,
    recipeYaml: j.recipeYaml,
    inputs,
    progress: "percent" in progress ? (progress as JobProgress) : null,
    error: j.error,
    result: j.resultJson ? parseJson<JobResult | null>(j.resultJson, null) : null,
    attempts: j.attempts,
    cancelRequested: j.cancelRequested,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}

const submitSchema = z.object({ yaml: z.string().min(1, "paste or build a recipe").max(100_000) });

/**
 * Creates a queued job from a registry recipe. Every input must exist, target
 * the recipe's foundation and be downloadable by the actor (FORBIDDEN names
 * the first that is not). Wake a worker afterwards (JobQueue.notify).
 */
export async function submitMergeJob(ctx: CoreContext, actor: Actor, input: { yaml: string }): Promise<JobInfo> {
  const a = requireScope(actor, "read");
  const { yaml } = parseInput(submitSchema, input);
  const choices = yamlToChoices(yaml);
  const resolved = await resolveChoices(ctx, choices);
  await requireEntitled(ctx, a, resolved.inputs);
  const job = await ctx.db.mergeJob.create({
    data: {
      userId: a.userId,
      foundationId: resolved.foundation.id,
      recipeYaml: choicesToYaml(choices),
      status: "queued",
      inputs: { create: resolved.inputs.map((i) => ({ versionId: i.versionId, weight: i.weight })) },
    },
    include: JOB_INCLUDE,
  });
  return toJobInfo(job);
}

async function ownJob(ctx: CoreContext, actor: Actor, id: string): Promise<JobRow & { userId: string; resultBlobHash: string | null }> {
  const a = requireScope(actor, "read");
  const job = await ctx.db.mergeJob.findUnique({ where: { id: String(id) }, include: JOB_INCLUDE });
  // Other users' jobs are indistinguishable from missing ones.
  if (!job || job.userId !== a.userId) throw notFound("merge job");
  return job;
}

export async function getMergeJob(ctx: CoreContext, actor: Actor, id: string): Promise<JobInfo> {
  return toJobInfo(await ownJob(ctx, actor, id));
}

export async function listMergeJobs(ctx: CoreContext, actor: Actor): Promise<JobInfo[]> {
  const a = requireScope(actor, "read");
  const rows = await ctx.db.mergeJob.findMany({ where: { userId: a.userId }, include: JOB_INCLUDE, orderBy: { createdAt: "desc" }, take: 100 });
  return rows.map(toJobInfo);
}

/** A queued job is cancelled at once; a running one is asked to stop (its runner aborts the merge). */
export async function cancelMergeJob(ctx: CoreContext, actor: Actor, id: string): Promise<JobInfo> {
  const job = await ownJob(ctx, actor, id);
  if (FINISHED.includes(job.status as JobStatus)) throw new DomainError("CONFLICT", `the job is already ${job.status}`);
  const queued = await ctx.db.mergeJob.updateMany({
    where: { id: job.id, status: "queued" },
    data: { status: "cancelled", cancelRequested: true, error: "cancelled before it started", finishedAt: new Date() },
  });
  if (queued.count === 0) await ctx.db.mergeJob.updateMany({ where: { id: job.id, status: "running" }, data: { cancelRequested: true } });
  return getMergeJob(ctx, actor, id);
}

export interface JobDownload {
  stream: Readable;
  size: number;
  sha256: string;
  filename: string;
}

/** The finished job's archive, streamed from the blob store. */
export async function openJobResult(ctx: CoreContext, actor: Actor, id: string): Promise<JobDownload> {
  const job = await ownJob(ctx, actor, id);
  const result = job.resultJson ? parseJson<JobResult | null>(job.resultJson, null) : null;
  if (job.status !== "done" || !job.resultBlobHash || !result) throw new DomainError("CONFLICT", `the job is ${job.status}; there is no result to download`);
  return { stream: await ctx.blobs.createReadStream(job.resultBlobHash), size: result.size, sha256: result.sha256, filename: result.archiveName };
}
