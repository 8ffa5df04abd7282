/**
 * Merge jobs on pg-boss (PostgreSQL): the queue engine delivers tasks with
 * SKIP LOCKED, and retries a task on another worker when its worker died (the
 * task expires). A job is one `start` task; when its output has several
 * shards it fans out into one `part` task per shard, which any worker runs in
 * parallel, and one `assemble` task once every part is done. A part is
 * recorded (MergeJobPart) only after its shard file is a committed blob; only
 * assembly publishes a result, exactly as the single-process runner does.
 * Task ids derive from the job, so a retried or repeated step never queues
 * its successors twice.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { assembleShards, executeShard, GraftError, listAuxiliaryFiles, planMerge, planOutputShards, type MergePlan, type MergeProgress, type ShardPart, type TensorHashes } from "@graft/merge";
import PgBoss from "pg-boss";
import type { CoreContext } from "../../context";
import { commitBlobWithRows } from "../../lib/blob-commit";
import { Scratch } from "../../lib/scratch";
import type { JobProgress } from "./jobs";
import { newWorkerId, type JobQueue } from "./queue";
import type { ModelEvaluator } from "./evaluation";
import { evaluateMerge, failureReason, prepareMerge, progressOf, publishResult, type PreparedMerge } from "./runner";

export const MERGE_QUEUE = "graft-merge";
/** Tasks that ran out of retries land here, so their job is marked failed. */
export const MERGE_DEAD_QUEUE = "graft-merge-dead";

type Task = { jobId: string; step: "start" } | { jobId: string; step: "part"; shard: number } | { jobId: string; step: "assemble" };

export interface PgBossQueueOptions {
  /** The PostgreSQL database (the app's own: pg-boss keeps its tables in schema `pgboss`). */
  connectionString: string;
  /** Run tasks in this process (workers); false only sends them (the web app). */
  work: boolean;
  workerId?: string;
  /** Tasks run at once by this process. Default 1. */
  concurrency?: number;
  /** A task still active after this long is presumed dead and retried elsewhere. Default 3600 s. */
  expireInSeconds?: number;
  /** Retries of a task whose worker died or expired. Default 2. */
  retryLimit?: number;
  /** Largest safetensors shard of the result, and so the unit of parallel work. Default 2 GB. */
  maxShardBytes?: number;
  /** How often expired tasks are looked for. Default 60 s. */
  superviseEverySeconds?: number;
  /** Scores merged models on the inputs' evaluation suites (at assembly). */
  evaluator?: ModelEvaluator;
}

/** A UUID derived from the task: the same step of the same job always has the same pg-boss id. */
function taskId(task: Task): string {
  const h = createHash("sha256").update(`${task.jobId}:${task.step}:${"shard" in task ? task.shard : ""}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class PgBossQueue implements JobQueue {
  readonly workerId: string;
  private readonly boss: PgBoss;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly ctx: CoreContext,
    private readonly options: PgBossQueueOptions,
  ) {
    this.workerId = options.workerId ?? newWorkerId();
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      supervise: options.work,
      schedule: false,
      maintenanceIntervalSeconds: options.superviseEverySeconds ?? 60,
    });
    this.boss.on("error", (e) => console.error("[graft] pg-boss:", e));
  }

  start(): void {
    void this.ready().catch((e) => console.error("[graft] pg-boss start:", e));
  }

  /** Starts pg-boss (creating its schema and the queues) and, for workers, the task handlers. */
  ready(): Promise<void> {
    this.starting ??= (async () => {
      await this.boss.start();
      const retry = { retryLimit: this.options.retryLimit ?? 2, retryDelay: 0, expireInSeconds: this.options.expireInSeconds ?? 3600 };
      await this.boss.createQueue(MERGE_DEAD_QUEUE);
      await this.boss.createQueue(MERGE_QUEUE, { name: MERGE_QUEUE, ...retry, deadLetter: MERGE_DEAD_QUEUE });
      await this.boss.updateQueue(MERGE_QUEUE, { name: MERGE_QUEUE, ...retry, deadLetter: MERGE_DEAD_QUEUE });
      if (!this.options.work) return;
      for (let i = 0; i < (this.options.concurrency ?? 1); i++) {
        await this.boss.work<Task>(MERGE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([task]) => this.run(task!.data));
      }
      await this.boss.work<Task>(MERGE_DEAD_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([task]) => {
        await failJob(this.ctx, task!.data.jobId, "a worker running this job stopped responding too many times");
      });
      // Jobs submitted while sending failed (or before this queue was configured)
      // are queued here too; the task ids make a repeat a no-op.
      const queued = await this.ctx.db.mergeJob.findMany({ where: { status: "queued" }, select: { id: true } });
      for (const { id } of queued) await this.sendNow({ jobId: id, step: "start" });
    })();
    return this.starting;
  }

  notify(jobId: string): void {
    void this.send({ jobId, step: "start" }).catch((e) => console.error(`[graft] merge job ${jobId}: could not queue it:`, e));
  }

  async send(task: Task): Promise<void> {
    await this.ready();
    await this.sendNow(task);
  }

  private async sendNow(task: Task): Promise<void> {
    await this.boss.send(MERGE_QUEUE, task, { id: taskId(task) });
  }

  async stop(): Promise<void> {
    if (!this.starting) return;
    await this.starting.catch(() => {});
    await this.boss.stop({ graceful: true, wait: true, close: true });
  }

  private async run(task: Task): Promise<void> {
    const steps = { start: startStep, part: partStep, assemble: assembleStep };
    await steps[task.step](this.ctx, this, task as never);
  }

  get evaluator(): ModelEvaluator | undefined {
    return this.options.evaluator;
  }

  get maxShardBytes(): number | undefined {
    return this.options.maxShardBytes;
  }
}

type Step<T extends Task> = (ctx: CoreContext, queue: PgBossQueue, task: T) => Promise<void>;

/** Ends a job that did not finish; its parts go (their blobs at the next collection). */
async function failJob(ctx: CoreContext, jobId: string, error: string, status: "failed" | "cancelled" = "failed"): Promise<void> {
  await ctx.db.mergeJob.updateMany({ where: { id: jobId, status: { in: ["queued", "running"] } }, data: { status, error, finishedAt: new Date() } });
  await ctx.db.mergeJobPart.deleteMany({ where: { jobId } });
}

/**
 * One step of a job with its scratch space, the job's recipe prepared (the
 * entitlements re-checked) and its plan; failures end the job, a cancelled
 * job ends as cancelled. A worker that dies here leaves the task active until
 * pg-boss expires and retries it.
 */
async function withJob(
  ctx: CoreContext,
  jobId: string,
  body: (job: { prepared: PreparedMerge; plan: MergePlan; scratch: Scratch; signal: AbortSignal; watch: (fn: () => Promise<boolean>) => void }) => Promise<void>,
): Promise<void> {
  const job = await ctx.db.mergeJob.findUnique({ where: { id: jobId } });
  if (!job || job.status !== "running") return; // cancelled, failed or already published
  if (job.cancelRequested) return failJob(ctx, jobId, "cancelled while running", "cancelled");
  const scratch = new Scratch(ctx.blobs);
  const labels = new Map<string, string>();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | null = null;
  let plan: MergePlan | null = null;
  try {
    const prepared = await prepareMerge(ctx, job, scratch, labels);
    plan = await planMerge(prepared.recipe, { expectedBaseFingerprint: prepared.resolved.foundation.fingerprint });
    const watch = (beat: () => Promise<boolean>) => {
      // Heartbeat: progress, and whether the job is still wanted (cancelled or ended elsewhere).
      timer = setInterval(() => void beat().then((go) => go || controller.abort(), () => {}), 1000);
    };
    await body({ prepared, plan, scratch, signal: controller.signal, watch });
  } catch (e) {
    const row = await ctx.db.mergeJob.findUnique({ where: { id: jobId }, select: { cancelRequested: true } });
    const cancelled = controller.signal.aborted || (e instanceof GraftError && e.code === "CANCELLED");
    if (cancelled && row?.cancelRequested) await failJob(ctx, jobId, "cancelled while running", "cancelled");
    else if (!cancelled) await failJob(ctx, jobId, failureReason(e, labels));
  } finally {
    if (timer) clearInterval(timer);
    await plan?.close();
    await scratch.cleanup();
  }
}

/** Still running and not cancelled. */
async function stillWanted(ctx: CoreContext, jobId: string): Promise<boolean> {
  const row = await ctx.db.mergeJob.findUnique({ where: { id: jobId }, select: { status: true, cancelRequested: true } });
  return row?.status === "running" && !row.cancelRequested;
}

const startStep: Step<Extract<Task, { step: "start" }>> = async (ctx, queue, { jobId }) => {
  await ctx.db.mergeJob.updateMany({
    where: { id: jobId, status: "queued", cancelRequested: false },
    data: { status: "running", attempts: { increment: 1 }, startedAt: new Date(), progressJson: "{}" },
  });
  await withJob(ctx, jobId, async ({ prepared, plan, scratch, signal, watch }) => {
    const shards = planOutputShards(plan, queue.maxShardBytes);
    if (shards.length > 1) {
      for (const [shardIndex, shard] of shards.entries()) {
        await ctx.db.mergeJobPart.upsert({
          where: { jobId_shardIndex: { jobId, shardIndex } },
          create: { jobId, shardIndex, status: "queued", bytesTotal: shard.byteLength, tensorsTotal: shard.tensors.length },
          update: {},
        });
      }
      await updateJobProgress(ctx, jobId);
      for (let shard = 0; shard < shards.length; shard++) await queue.send({ jobId, step: "part", shard });
      return;
    }
    // One shard: the whole merge is this task.
    const startedAt = Date.now();
    let latest: MergeProgress | null = null;
    watch(async () => {
      if (latest) await ctx.db.mergeJob.updateMany({ where: { id: jobId, status: "running" }, data: { progressJson: JSON.stringify(progressOf(latest, startedAt)) } });
      return stillWanted(ctx, jobId);
    });
    const part = await computeShard(plan, prepared, scratch, 0, queue.maxShardBytes, signal, (p) => (latest = p));
    const outDir = await assembleInto(plan, prepared, scratch, [part], queue.maxShardBytes);
    const evaluation = await evaluateMerge({ evaluator: queue.evaluator, basePath: prepared.basePath, mergedDir: outDir, inputs: prepared.evalInputs, scratch, signal });
    await publishResult(ctx, scratch, prepared, outDir, { tensors: plan.tensors.length, bytesWritten: plan.totalOutBytes }, { id: jobId, status: "running" }, evaluation);
  });
};

const partStep: Step<Extract<Task, { step: "part" }>> = async (ctx, queue, { jobId, shard }) => {
  const where = { jobId_shardIndex: { jobId, shardIndex: shard } };
  const row = await ctx.db.mergeJobPart.findUnique({ where });
  if (!row) return;
  if (row.status !== "done") {
    await withJob(ctx, jobId, async ({ prepared, plan, scratch, signal, watch }) => {
      await ctx.db.mergeJobPart.update({ where, data: { status: "running", owner: queue.workerId, bytesDone: 0, tensorsDone: 0 } });
      let latest: MergeProgress | null = null;
      watch(async () => {
        if (latest) {
          await ctx.db.mergeJobPart.updateMany({ where: { jobId, shardIndex: shard, status: "running" }, data: { bytesDone: latest.bytesDone, tensorsDone: latest.tensorsDone } });
          await updateJobProgress(ctx, jobId);
        }
        return stillWanted(ctx, jobId);
      });
      const part = await computeShard(plan, prepared, scratch, shard, queue.maxShardBytes, signal, (p) => (latest = p));
      const staged = await ctx.blobs.stageFile(part.file);
      // Recorded only together with its committed blob.
      await commitBlobWithRows(ctx, staged, (tx) =>
        tx.mergeJobPart.updateMany({
          where: { jobId, shardIndex: shard, status: { not: "done" } },
          data: { status: "done", owner: queue.workerId, blobHash: staged.sha256, hashesJson: JSON.stringify(part.hashes), bytesDone: row.bytesTotal, tensorsDone: row.tensorsTotal },
        }),
      );
      await updateJobProgress(ctx, jobId);
    });
  }
  const parts = await ctx.db.mergeJobPart.findMany({ where: { jobId }, select: { status: true } });
  if (parts.length > 0 && parts.every((p) => p.status === "done")) await queue.send({ jobId, step: "assemble" });
};

const assembleStep: Step<Extract<Task, { step: "assemble" }>> = async (ctx, queue, { jobId }) => {
  await withJob(ctx, jobId, async ({ prepared, plan, scratch, signal }) => {
    const rows = await ctx.db.mergeJobPart.findMany({ where: { jobId, status: "done" }, orderBy: { shardIndex: "asc" } });
    const parts: ShardPart[] = [];
    for (const r of rows) {
      parts.push({ shardIndex: r.shardIndex, file: await ctx.blobs.localPath(r.blobHash!), hashes: JSON.parse(r.hashesJson!) as TensorHashes });
    }
    const outDir = await assembleInto(plan, prepared, scratch, parts, queue.maxShardBytes);
    const evaluation = await evaluateMerge({ evaluator: queue.evaluator, basePath: prepared.basePath, mergedDir: outDir, inputs: prepared.evalInputs, scratch, signal });
    await publishResult(ctx, scratch, prepared, outDir, { tensors: plan.tensors.length, bytesWritten: plan.totalOutBytes }, { id: jobId, status: "running" }, evaluation);
    // The result is published: the parts (and, at the next collection, their blobs) go.
    await ctx.db.mergeJobPart.deleteMany({ where: { jobId } });
  });
};

async function computeShard(
  plan: MergePlan,
  prepared: PreparedMerge,
  scratch: Scratch,
  shardIndex: number,
  maxShardBytes: number | undefined,
  signal: AbortSignal,
  onProgress: (p: MergeProgress) => void,
): Promise<ShardPart> {
  const outFile = await scratch.newPath(".safetensors");
  return executeShard(plan, { shardIndex, outFile, maxShardBytes, metadata: prepared.metadata, signal, onProgress });
}

/** The Hugging Face folder built from the parts, with the base's config and tokenizer files. */
async function assembleInto(plan: MergePlan, prepared: PreparedMerge, scratch: Scratch, parts: ShardPart[], maxShardBytes: number | undefined): Promise<string> {
  const workDir = await scratch.newPath("-merge");
  await mkdir(workDir);
  const outDir = `${workDir}/model`;
  const copyFiles = plan.base ? await listAuxiliaryFiles(plan.base.path) : [];
  await assembleShards(plan, parts, outDir, { maxShardBytes, copyFiles, metadata: prepared.metadata });
  return outDir;
}

/** The job's progress: the sum over its parts. */
async function updateJobProgress(ctx: CoreContext, jobId: string): Promise<void> {
  const [job, parts] = await Promise.all([
    ctx.db.mergeJob.findUnique({ where: { id: jobId }, select: { startedAt: true } }),
    ctx.db.mergeJobPart.findMany({ where: { jobId } }),
  ]);
  const sum = (f: (p: (typeof parts)[number]) => number) => parts.reduce((a, p) => a + f(p), 0);
  const p: MergeProgress = { tensorsDone: sum((p) => p.tensorsDone), tensorsTotal: sum((p) => p.tensorsTotal), bytesDone: sum((p) => p.bytesDone), bytesTotal: sum((p) => p.bytesTotal), tensor: "" };
  const { tensor: _none, ...progress }: JobProgress = progressOf(p, job?.startedAt?.getTime() ?? Date.now());
  await ctx.db.mergeJob.updateMany({ where: { id: jobId, status: "running" }, data: { progressJson: JSON.stringify(progress) } });
}
