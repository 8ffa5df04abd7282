// GET/POST /api/v1/foundations — list foundation models; register one, either
// by streaming a .safetensors upload (multipart: `file` + text fields) or by
// naming a checkpoint already on the server (JSON {path, …} under GRAFT_MODELS_DIR).
import { z } from "zod";
import { listFoundations, registerFoundation } from "@graft/core";
import { requireActor } from "@/server/auth";
import { rateLimit } from "@/server/rate-limit";
import { getContext } from "@/server/context";
import { HttpError, isMultipart, json, parseMultipart, readJson, withErrors } from "@/server/http";
import { getEnv } from "@/env";

const Meta = z.object({
  teamSlug: z.string(),
  slug: z.string(),
  name: z.string(),
  architecture: z.string(),
  licence: z.string(),
  description: z.string().optional(),
});

const PathBody = Meta.extend({ path: z.string() });

export const GET = withErrors(async () => {
  const foundations = await listFoundations(getContext());
  return json({ foundations });
});

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  await rateLimit("upload", actor.userId);
  const ctx = getContext();
  if (!isMultipart(req)) {
    const { path, ...meta } = await readJson(req, PathBody);
    const foundation = await registerFoundation(ctx, actor, { ...meta, source: { kind: "path", path } });
    return json({ foundation }, { status: 201 });
  }
  const upload = await parseMultipart(req, ctx.blobs, { fileFields: ["file"], maxBytes: getEnv().maxUploadBytes, idleTimeoutMs: getEnv().uploadIdleMs });
  try {
    const file = upload.files.file;
    if (!file) throw new HttpError(400, "INVALID", "multipart field `file` (the .safetensors checkpoint) is missing");
    const meta = Meta.parse(upload.fields);
    // registerFoundation owns the staged blob from here: it commits or discards it.
    const foundation = await registerFoundation(ctx, actor, { ...meta, source: { kind: "upload", staged: file.blob } });
    return json({ foundation }, { status: 201 });
  } catch (e) {
    await upload.discard();
    throw e;
  }
});
