/**
 * The job queue. The database rows are the queue (status + lease), so any
 * number of workers — the embedded one inside the web app or `pnpm worker`
 * processes — run the same code: claim with a lease, run, repeat. The other
 * JobQueue, pg-boss with per-shard tasks, is in pgboss.ts.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { CoreContext } from "../../context";
import { claimNextJob, runClaimedJob, type RunnerOptions } from "./runner";

/** What the web app needs from a queue: be told that a job was submitted. */
export interface JobQueue {
  notify(jobId: string): void;
  start(): void;
  stop(): Promise<void>;
}

export interface WorkerOptions extends Partial<RunnerOptions> {
  /** Jobs run at once by this worker. Default 1. */
  concurrency?: number;
  /** How often to look for queued jobs without a wake-up. Default 2 s. */
  pollMs?: number;
}

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** A polling worker with a concurrency limit; `notify` wakes it at once. */
export class MergeWorker implements JobQueue {
  private running = 0;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly active = new Set<Promise<void>>();
  private filling = false;
  readonly options: RunnerOptions & { concurrency: number; pollMs: number };

  constructor(
    private readonly ctx: CoreContext,
    options: WorkerOptions = {},
  ) {
    this.options = { workerId: newWorkerId(), concurrency: 1, pollMs: 2000, ...options };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.fill(), this.options.pollMs);
    this.timer.unref?.();
    this.fill();
  }

  notify(): void {
    this.fill();
  }

  /** Stops claiming and waits for the running jobs to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.active]);
  }

  /** Claims jobs until the concurrency limit is reached or the queue is empty. */
  private fill(): void {
    if (this.filling || this.stopped) return;
    this.filling = true;
    void (async () => {
      try {
        while (!this.stopped && this.running < this.options.concurrency) {
          const id = await claimNextJob(this.ctx, this.options);
          if (!id) break;
          this.running++;
          const run = runClaimedJob(this.ctx, id, this.options)
            .catch((e) => console.error(`[graft] merge job ${id}:`, e))
            .finally(() => {
              this.running--;
              this.active.delete(run);
              this.fill();
            });
          this.active.add(run);
        }
      } catch (e) {
        console.error("[graft] merge worker:", e);
      } finally {
        this.filling = false;
      }
    })();
  }
}
