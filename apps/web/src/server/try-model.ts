// The "try it" panel's engine: generates text with a registered foundation,
// optionally equipped in memory with task-vector versions the caller is
// entitled to (base + Σ weight·τ). Only small models of the demo family run
// here, inside the request; anything bigger is refused with 413.
import "server-only";
import { stat } from "node:fs/promises";
import { z } from "zod";
import { canDownload, DomainError, foundationWeightsPath, getFoundation, type Actor, type CoreContext } from "@graft/core";
import { checkpointBytes, equip, generate, loadCheckpoint, useBackend, type LoadedModel } from "@graft/lab/runtime";

/** Largest foundation (tensor bytes) that is run inside a request. */
export const TRY_MAX_BYTES = 16 * 1024 * 1024;

export const tryRequestSchema = z.object({
  prompt: z.string().max(500, "prompt: at most 500 characters"),
  maxChars: z.number().int().min(1).max(400).default(160),
  /** 0 = greedy; otherwise sampling with `seed`. */
  temperature: z.number().min(0).max(2).default(0),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  vectors: z
    .array(z.object({ versionId: z.string().min(1), weight: z.number().min(-2).max(2) }))
    .max(8, "at most 8 vectors")
    .default([]),
});
export type TryRequest = z.output<typeof tryRequestSchema>;

export interface TryResult {
  base: string;
  /** Null when no vector was given. */
  equipped: string | null;
  vectors: { versionId: string; vector: string; version: string; weight: number }[];
}

let backend: Promise<unknown> | null = null;

/** TensorFlow.js on its JavaScript backend (the WebAssembly package is not resolvable from the server bundle). */
export async function readyBackend(): Promise<void> {
  backend ??= useBackend("cpu");
  await backend;
}
const baseCache = new Map<string, { mtimeMs: number; model: LoadedModel }>();

export async function loadBase(path: string): Promise<LoadedModel> {
  const { mtimeMs } = await stat(path);
  const hit = baseCache.get(path);
  if (hit && hit.mtimeMs === mtimeMs) return hit.model;
  const model = await loadCheckpoint(path).catch((e: Error) => {
    throw new DomainError("UNSUPPORTED", `this foundation cannot be run in the try-it panel: ${e.message}`);
  });
  baseCache.set(path, { mtimeMs, model });
  return model;
}

export async function tryFoundation(ctx: CoreContext, actor: Exclude<Actor, null>, slug: string, input: TryRequest): Promise<TryResult> {
  const foundation = await getFoundation(ctx, slug, actor);
  const path = await foundationWeightsPath(ctx, foundation);
  const bytes = await checkpointBytes(path);
  if (bytes > TRY_MAX_BYTES) {
    throw new DomainError("TOO_LARGE", `foundation "${slug}" has ${bytes} bytes of weights; the try-it panel runs models up to ${TRY_MAX_BYTES} bytes`);
  }

  const vectors: TryResult["vectors"] = [];
  const files: { path: string; weight: number }[] = [];
  for (const v of input.vectors) {
    const version = await ctx.db.vectorVersion.findUnique({
      where: { id: v.versionId },
      select: { version: true, blobHash: true, vector: { select: { slug: true, foundationId: true, team: { select: { slug: true } } } } },
    });
    const decision = await canDownload(ctx, actor, v.versionId);
    if (!version || decision.reason === "not-found") throw new DomainError("NOT_FOUND", `version ${v.versionId} not found`);
    if (!decision.allowed) throw new DomainError("FORBIDDEN", `you are not entitled to ${version.vector.team.slug}/${version.vector.slug}@${version.version} (${decision.reason}); buy or trade for it first`);
    if (version.vector.foundationId !== foundation.id) throw new DomainError("INVALID", `${version.vector.team.slug}/${version.vector.slug}@${version.version} is registered against another foundation`);
    vectors.push({ versionId: v.versionId, vector: `${version.vector.team.slug}/${version.vector.slug}`, version: version.version, weight: v.weight });
    files.push({ path: await ctx.blobs.localPath(version.blobHash), weight: v.weight });
  }

  await readyBackend();
  const base = await loadBase(path);
  const options = { maxChars: input.maxChars, temperature: input.temperature, seed: input.seed };
  const equipped = files.length > 0 ? await equip(base, path, files) : null;
  return {
    base: generate(base, input.prompt, options),
    equipped: equipped ? generate(equipped, input.prompt, options) : null,
    vectors,
  };
}
