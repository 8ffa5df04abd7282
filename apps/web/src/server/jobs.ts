// The merge-job queue of this process: the embedded worker (the default) runs
// jobs inside the web app with a concurrency limit; with
// GRAFT_EMBEDDED_WORKER=0 jobs wait for `pnpm worker` processes instead.
// Routes only notify it; the database rows are the queue either way. The
// worker has a context of its own: it is created by the start-up hook, which
// Next.js compiles apart from the routes, and objects of one compilation must
// not meet the other's error classes (instanceof checks).
// With GRAFT_QUEUE=pgboss the app only sends jobs to pg-boss; `pnpm worker`
// processes run them.
import { MergeWorker, PgBossQueue, type JobQueue, type ModelEvaluator } from "@graft/core";
import { getEnv } from "../env";
import { createCoreContext } from "./create-context";

const globalForJobs = globalThis as typeof globalThis & { __graftJobQueue?: JobQueue };

function concurrency(): number {
  const raw = process.env.GRAFT_WORKER_CONCURRENCY;
  const n = Number(raw || 1);
  if (!Number.isInteger(n) || n < 1) throw new Error(`GRAFT_WORKER_CONCURRENCY must be a positive integer, got "${raw}"`);
  return n;
}

export function embeddedWorkerEnabled(): boolean {
  if (getEnv().queue.kind === "pgboss") return false;
  const v = process.env.GRAFT_EMBEDDED_WORKER;
  return v !== "0" && v !== "false";
}

let labEvaluator: Promise<ModelEvaluator> | null = null;

/**
 * Scores merged demo-family models; TensorFlow.js loads only when a job's
 * inputs carry suites. WebAssembly scores the demo's suites about 20× faster
 * than the JavaScript backend (which blocks the server while it computes).
 */
const evaluator: ModelEvaluator = {
  async evaluate(checkpointDir, suite) {
    labEvaluator ??= import("@graft/lab").then((lab) => lab.createLabEvaluator({ backends: ["wasm", "cpu"] }));
    return (await labEvaluator).evaluate(checkpointDir, suite);
  },
};

export function getJobQueue(): JobQueue {
  const { queue, databaseUrl } = getEnv();
  globalForJobs.__graftJobQueue ??=
    queue.kind === "pgboss"
      ? new PgBossQueue(createCoreContext(), { connectionString: databaseUrl, work: false, expireInSeconds: queue.expireInSeconds })
      : new MergeWorker(createCoreContext(), { concurrency: concurrency(), maxShardBytes: queue.maxShardBytes, evaluator });
  return globalForJobs.__graftJobQueue;
}

/** Called once at start-up. */
export function startEmbeddedWorker(): void {
  if (embeddedWorkerEnabled()) getJobQueue().start();
}
