// GET /api/v1/versions/:id/download — streams a version's task-vector file to
// entitled callers (anonymous is fine for free listings). Supports single
// byte ranges (206 + Content-Range, 416 when unsatisfiable) for resumable
// downloads; the ETag is the file's sha256.
import { Readable } from "node:stream";
import { isDomainError, openVersionDownload, type VersionDownload } from "@graft/core";
import { getActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { HttpError, parseRangeHeader, withErrors } from "@/server/http";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const actor = await getActor(req);
  let range = parseRangeHeader(req.headers.get("range"));
  // If-Range with a validator other than our ETag means "the file changed": send it whole.
  const ifRange = req.headers.get("if-range");
  if (range && ifRange && !/^"[0-9a-f]{64}"$/.test(ifRange)) range = null;

  let download: VersionDownload;
  try {
    download = await openVersionDownload(getContext(), actor, id, range ?? undefined);
  } catch (e) {
    const details = isDomainError(e) ? (e.details as { reason?: string; size?: number } | undefined) : undefined;
    if (details?.reason === "range-not-satisfiable") {
      throw new HttpError(416, "RANGE_NOT_SATISFIABLE", (e as Error).message, { size: details.size }, { "content-range": `bytes */${details.size}` });
    }
    throw e;
  }
  if (range && ifRange && ifRange !== `"${download.sha256}"`) {
    // Stale If-Range: restart as a full download.
    download.stream.destroy();
    download = await openVersionDownload(getContext(), actor, id);
  }

  const headers = new Headers({
    "accept-ranges": "bytes",
    "content-type": "application/octet-stream",
    // Next.js currently strips Content-Length from route-handler responses (the body goes out chunked);
    // set anyway so it is sent wherever it is honoured. Content-Range always carries the total size.
    "content-length": String(download.length),
    "content-disposition": `attachment; filename="${download.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
    etag: `"${download.sha256}"`,
    "x-content-sha256": download.sha256,
    "cache-control": "private, no-cache",
  });
  if (download.contentRange) headers.set("content-range", download.contentRange);
  const body = Readable.toWeb(download.stream) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, { status: download.contentRange ? 206 : 200, headers });
});
