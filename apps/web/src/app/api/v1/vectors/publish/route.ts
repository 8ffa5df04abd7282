// POST /api/v1/vectors/publish — publish a version of a task vector. Multipart,
// streamed to staging: `meta` (JSON, see PublishMeta) plus either `file` (a
// task vector, or a fine-tuned checkpoint with meta.kind = "finetuned") or the
// LoRA pair `adapter_config` + `adapter_model`. Rejections leave nothing behind.
import { z } from "zod";
import { publishVersion, type PublishInput } from "@graft/core";
import { requireActor } from "@/server/auth";
import { rateLimit } from "@/server/rate-limit";
import { getContext } from "@/server/context";
import { HttpError, json, parseMultipart, withErrors } from "@/server/http";
import { getEnv } from "@/env";

const PublishMeta = z.object({
  teamSlug: z.string(),
  foundationSlug: z.string(),
  vectorSlug: z.string(),
  name: z.string(),
  task: z.string(),
  tags: z.union([z.array(z.string()), z.string().transform((s) => s.split(",").map((t) => t.trim()).filter(Boolean))]).default([]),
  summary: z.string().default(""),
  cardMarkdown: z.string().default(""),
  version: z.string(),
  changelog: z.string().default(""),
  /** What `file` is; ignored for the LoRA pair. */
  kind: z.enum(["task-vector", "finetuned"]).default("task-vector"),
  listing: z
    .object({
      kind: z.enum(["free", "paid", "trade"]),
      priceCents: z.number().nullish(),
      currency: z.string().optional(),
      licence: z.enum(["personal", "commercial"]),
      redistribution: z.boolean().default(false),
    })
    .optional(),
});

function parseMeta(text: string | undefined): z.output<typeof PublishMeta> {
  if (text === undefined) throw new HttpError(400, "INVALID", "multipart field `meta` (JSON) is missing");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new HttpError(400, "INVALID", "multipart field `meta` must be JSON");
  }
  return PublishMeta.parse(raw);
}

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  await rateLimit("upload", actor.userId);
  const ctx = getContext();
  const upload = await parseMultipart(req, ctx.blobs, {
    fileFields: ["file", "adapter_config", "adapter_model"],
    maxBytes: getEnv().maxUploadBytes,
    maxFieldBytes: 256 * 1024,
    idleTimeoutMs: getEnv().uploadIdleMs,
  });
  try {
    const { kind, ...meta } = parseMeta(upload.fields.meta);
    const { file, adapter_config: config, adapter_model: weights } = upload.files;
    let source: PublishInput["upload"];
    if (file && !config && !weights) source = { kind, file: file.blob };
    else if (!file && config && weights) source = { kind: "lora", adapterConfig: config.blob, adapterWeights: weights.blob };
    else throw new HttpError(400, "INVALID", "send either `file`, or both `adapter_config` and `adapter_model`");
    // publishVersion owns the staged files from here: it commits or discards them.
    const result = await publishVersion(ctx, actor, { ...meta, upload: source });
    return json(result, { status: 201 });
  } catch (e) {
    await upload.discard();
    throw e;
  }
});
