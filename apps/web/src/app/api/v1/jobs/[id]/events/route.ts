// GET /api/v1/jobs/:id/events — the job as Server-Sent Events: a "job" event
// whenever its state or progress changes, closed once it is finished. The
// stream ends after a few minutes; EventSource reconnects by itself.
import { getMergeJob, FINISHED, type JobInfo } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { toJson, withErrors } from "@/server/http";

const POLL_MS = 300;
const MAX_STREAM_MS = 5 * 60_000;

export const dynamic = "force-dynamic";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const actor = await requireActor(req);
  const ctx = getContext();
  // Authorise (and 404) before the stream starts.
  let job: JobInfo = await getMergeJob(ctx, actor, id);
  const encoder = new TextEncoder();
  const started = Date.now();
  let closed = false;
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (j: JobInfo) => controller.enqueue(encoder.encode(`event: job\ndata: ${toJson(j)}\n\n`));
      req.signal.addEventListener("abort", () => {
        closed = true;
      });
      let last = "";
      try {
        while (!closed) {
          const text = toJson(job);
          if (text !== last) {
            send(job);
            last = text;
          }
          if (FINISHED.includes(job.status) || Date.now() - started > MAX_STREAM_MS) break;
          await new Promise((r) => setTimeout(r, POLL_MS));
          job = await getMergeJob(ctx, actor, id);
        }
      } catch (e) {
        console.error("[graft] job event stream:", e);
      }
      if (!closed) controller.close();
    },
    cancel() {
      closed = true;
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", connection: "keep-alive", "x-accel-buffering": "no" },
  });
});
