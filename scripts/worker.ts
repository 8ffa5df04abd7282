/**
 * `pnpm worker`: runs merge jobs in a process of its own, with the same job
 * code as the web app's embedded worker (claim with a lease, run, repeat).
 * Start the web app with GRAFT_EMBEDDED_WORKER=0 to leave every job to these.
 * GRAFT_WORKER_CONCURRENCY sets how many jobs run at once (default 1).
 * With GRAFT_QUEUE=pgboss it runs pg-boss tasks instead (per-shard parts and
 * assembly of jobs split over any number of such workers).
 */
import { MergeWorker, PgBossQueue, type JobQueue, type ModelEvaluator } from "@graft/core";
import { createDb } from "@graft/db";
import { scriptEnv } from "./env";

const concurrency = Number(process.env.GRAFT_WORKER_CONCURRENCY || 1);
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`graft worker: GRAFT_WORKER_CONCURRENCY must be a positive integer, got "${process.env.GRAFT_WORKER_CONCURRENCY}"`);
  process.exit(2);
}
const db = createDb(scriptEnv.databaseUrl);
// Merged demo-family models are scored on their inputs' suites; TensorFlow.js loads on first use.
let labEvaluator: Promise<ModelEvaluator> | null = null;
const evaluator: ModelEvaluator = {
  async evaluate(checkpointDir, suite) {
    labEvaluator ??= import("@graft/lab").then((lab) => lab.createLabEvaluator());
    return (await labEvaluator).evaluate(checkpointDir, suite);
  },
};
const ctx = { db, blobs: scriptEnv.createBlobStore(), config: { modelsDir: scriptEnv.modelsDir } };
const { queue: q } = scriptEnv;
let worker: JobQueue;
let workerId: string;
if (q.kind === "pgboss") {
  const boss = new PgBossQueue(ctx, {
    connectionString: scriptEnv.databaseUrl,
    work: true,
    concurrency,
    expireInSeconds: q.expireInSeconds,
    maxShardBytes: q.maxShardBytes,
    evaluator,
    // Expired tasks are found within a tenth of the expiry (at least every second).
    superviseEverySeconds: Math.max(1, Math.min(60, Math.floor(q.expireInSeconds / 10))),
  });
  await boss.ready();
  worker = boss;
  workerId = boss.workerId;
} else {
  const lease = new MergeWorker(ctx, { concurrency, maxShardBytes: q.maxShardBytes, evaluator });
  lease.start();
  worker = lease;
  workerId = lease.options.workerId;
}
console.log(`graft worker ${workerId}: running up to ${concurrency} merge ${q.kind === "pgboss" ? "task(s) from pg-boss" : "job(s)"} at once`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("graft worker: finishing running jobs…");
  await worker.stop();
  await db.$disconnect();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
// Keep the process alive between polls (the worker's timer is unref'd).
setInterval(() => {}, 1 << 30);
