// GET /api/v1/jobs/:id/download — the finished merge as one tar archive
// (Hugging Face folder: shards + index, config/tokenizer, model card), streamed.
import { Readable } from "node:stream";
import { openJobResult } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { withErrors } from "@/server/http";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const result = await openJobResult(getContext(), await requireActor(req), id);
  const body = Readable.toWeb(result.stream) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, {
    headers: {
      "content-type": "application/x-tar",
      "content-length": String(result.size),
      "content-disposition": `attachment; filename="${result.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
      etag: `"${result.sha256}"`,
      "x-content-sha256": result.sha256,
      "cache-control": "private, no-cache",
    },
  });
});
