/**
 * The builder's interference preview: estimated from the versions' publish-time
 * sketches (no weights are read), for versions the actor may download.
 * Versions published before sketches existed get theirs built once, here.
 */
import { estimateInterference, openTaskVector, sketchTaskVector, type EstimatedInterference, type VectorSketch } from "@graft/merge";
import { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { DomainError } from "../../errors";
import { fromLibrary } from "../../lib/library-errors";
import { parseInput } from "../../lib/validate";
import { requireEntitled, resolveChoices } from "./inputs";
import { VERSION_REF_RE } from "./recipe-yaml";

const previewSchema = z.object({
  foundation: z.string().min(1).max(64),
  refs: z.array(z.string().regex(VERSION_REF_RE, "must be team/vector@version")).min(2, "pick at least two vector versions").max(16),
});

async function sketchOf(ctx: CoreContext, versionId: string, blobHash: string, stored: string | null): Promise<VectorSketch> {
  if (stored) return JSON.parse(stored) as VectorSketch;
  const tv = await openTaskVector(await ctx.blobs.localPath(blobHash));
  try {
    const sketch = await sketchTaskVector(tv);
    await ctx.db.vectorVersion.update({ where: { id: versionId }, data: { sketchJson: JSON.stringify(sketch) } });
    return sketch;
  } finally {
    await tv.close().catch(() => {});
  }
}

export async function previewInterference(ctx: CoreContext, actor: Actor, input: z.input<typeof previewSchema>): Promise<EstimatedInterference> {
  const p = parseInput(previewSchema, input);
  if (new Set(p.refs).size !== p.refs.length) throw new DomainError("INVALID", "a version is listed twice");
  const resolved = await resolveChoices(ctx, { foundation: p.foundation, method: "task_arithmetic", vectors: p.refs.map((ref) => ({ ref, weight: 1, params: {} })), params: {}, seed: 0 });
  await requireEntitled(ctx, actor, resolved.inputs);
  try {
    const sketches = await Promise.all(resolved.inputs.map((i) => sketchOf(ctx, i.versionId, i.blobHash, i.sketchJson)));
    return estimateInterference(sketches, p.refs);
  } catch (e) {
    throw fromLibrary(e);
  }
}
