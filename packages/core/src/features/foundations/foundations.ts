/**
 * Foundation models: the checkpoints task vectors are made against. Every
 * registration is fingerprinted (names, dtypes, shapes and bytes of every
 * tensor, streamed one tensor at a time) so a vector can be checked against
 * the exact base it claims.
 */
import { stat } from "node:fs/promises";
import type { Prisma } from "@graft/db";
import { fingerprintCheckpoint, openCheckpoint, type Manifest } from "@graft/merge";
import type { StagedBlob } from "@graft/storage";
import { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { commitBlobWithRows } from "../../lib/blob-commit";
import { num, parseJson } from "../../lib/dto";
import { fromLibrary } from "../../lib/library-errors";
import { assertInsideModels, resolveModelPath } from "../../lib/model-path";
import { Scratch } from "../../lib/scratch";
import { checkUploadSize, stagedBlobSchema } from "../../lib/staged";
import { transaction } from "../../lib/transaction";
import { parseInput, slugSchema } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { publicVectorWhere, toVectorSummary, vectorSummaryInclude, type VectorSummary } from "../catalog/summary";
import { requireTeamRole, teamIdsOf } from "../teams/roles";

export interface FoundationSummary {
  id: string;
  slug: string;
  name: string;
  architecture: string;
  licence: string;
  description: string;
  fingerprint: string;
  parameterCount: number;
  tensorCount: number;
  totalBytes: number;
  /** Where the weights live: an uploaded blob, or a path on the server. */
  source: "upload" | "path";
  team: { slug: string; name: string } | null;
  vectorCount: number;
  createdAt: Date;
}

export interface FoundationDetail extends FoundationSummary {
  /** The model tree: task vectors registered against this foundation that the viewer may see. */
  vectors: VectorSummary[];
}

export type FoundationSource = { kind: "upload"; staged: StagedBlob } | { kind: "path"; path: string };

export interface RegisterFoundationInput {
  teamSlug: string;
  slug: string;
  name: string;
  architecture: string;
  licence: string;
  description?: string;
  source: FoundationSource;
}

const registerSchema = z.object({
  teamSlug: slugSchema,
  slug: slugSchema,
  name: z.string().trim().min(1).max(100),
  architecture: z.string().trim().min(1).max(100),
  licence: z.string().trim().min(1).max(100),
  description: z.string().max(10_000).optional(),
  source: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("upload"), staged: stagedBlobSchema }),
    z.object({ kind: z.literal("path"), path: z.string().min(1).max(4096) }),
  ]),
});

type FoundationRow = {
  id: string;
  slug: string;
  name: string;
  architecture: string;
  licence: string;
  description: string;
  fingerprint: string;
  parameterCount: bigint;
  tensorCount: number;
  totalBytes: bigint;
  blobHash: string | null;
  createdAt: Date;
  team: { slug: string; name: string } | null;
  _count: { vectors: number };
};

function toSummary(f: FoundationRow): FoundationSummary {
  return {
    id: f.id,
    slug: f.slug,
    name: f.name,
    architecture: f.architecture,
    licence: f.licence,
    description: f.description,
    fingerprint: f.fingerprint,
    parameterCount: num(f.parameterCount),
    tensorCount: f.tensorCount,
    totalBytes: num(f.totalBytes),
    source: f.blobHash ? "upload" : "path",
    team: f.team,
    vectorCount: f._count.vectors,
    createdAt: f.createdAt,
  };
}

const summaryInclude = { team: { select: { slug: true, name: true } }, _count: { select: { vectors: true } } } as const;

/**
 * Registers a foundation from an uploaded single .safetensors file or from a
 * server path inside config.modelsDir (file, HF model folder or shard index).
 * Needs the admin role in the team. Takes ownership of an uploaded StagedBlob:
 * committed on success, discarded on any failure.
 */
export async function registerFoundation(ctx: CoreContext, actor: Actor, input: RegisterFoundationInput): Promise<FoundationSummary> {
  const scratch = new Scratch(ctx.blobs);
  if (input?.source?.kind === "upload") scratch.addStaged(input.source.staged);
  const labels = new Map<string, string>();
  try {
    const a = requireScope(actor, "publish");
    const p = parseInput(registerSchema, input);
    if (p.source.kind === "upload") checkUploadSize(ctx.config, p.source.staged);
    const team = await ctx.db.team.findUnique({ where: { slug: p.teamSlug } });
    if (!team) throw notFound(`team "${p.teamSlug}"`);
    await requireTeamRole(ctx, a, team.id, "admin");
    const taken = await ctx.db.foundation.findUnique({ where: { slug: p.slug }, select: { id: true } });
    if (taken) throw new DomainError("CONFLICT", `a foundation named "${p.slug}" already exists`);

    let checkpointPath: string;
    if (p.source.kind === "upload") {
      checkpointPath = p.source.staged.path;
      labels.set(checkpointPath, "uploaded file");
    } else {
      checkpointPath = await resolveModelPath(ctx.config.modelsDir, p.source.path);
      labels.set(checkpointPath, p.source.path);
    }

    const reader = await openCheckpoint(checkpointPath);
    let fingerprint: string;
    let manifest: Manifest;
    let parameterCount = 0;
    let totalBytes = 0;
    try {
      if (p.source.kind === "path") for (const f of reader.files) await assertInsideModels(ctx.config.modelsDir, f);
      ({ fingerprint, manifest } = await fingerprintCheckpoint(reader));
      for (const t of reader.tensors) {
        parameterCount += t.shape.reduce((n, d) => n * d, 1);
        totalBytes += t.byteLength;
      }
    } finally {
      await reader.close().catch(() => {});
    }
    const tensorCount = Object.keys(manifest).length;

    const existing = await ctx.db.foundation.findUnique({ where: { fingerprint }, select: { slug: true } });
    if (existing) {
      throw new DomainError("CONFLICT", `this checkpoint is already registered as "${existing.slug}" (${fingerprint})`, { existingSlug: existing.slug, fingerprint });
    }

    const data = {
      slug: p.slug,
      name: p.name,
      architecture: p.architecture,
      licence: p.licence,
      description: p.description ?? "",
      fingerprint,
      manifestJson: JSON.stringify(manifest),
      tensorCount,
      parameterCount: BigInt(parameterCount),
      totalBytes: BigInt(totalBytes),
      registeredById: a.userId,
      teamId: team.id,
    };
    const writeRows = async (tx: Prisma.TransactionClient, blobHash: string | null) => {
      const clash = await tx.foundation.findFirst({ where: { OR: [{ fingerprint }, { slug: p.slug }] }, select: { slug: true, fingerprint: true } });
      if (clash) {
        throw clash.fingerprint === fingerprint
          ? new DomainError("CONFLICT", `this checkpoint is already registered as "${clash.slug}" (${fingerprint})`, { existingSlug: clash.slug, fingerprint })
          : new DomainError("CONFLICT", `a foundation named "${p.slug}" already exists`);
      }
      const f = await tx.foundation.create({
        data: { ...data, blobHash, serverPath: blobHash ? null : checkpointPath },
        include: summaryInclude,
      });
      await recordAudit(tx, {
        actorId: a.userId,
        teamId: team.id,
        action: "foundation.register",
        targetType: "foundation",
        targetId: f.id,
        details: { slug: p.slug, fingerprint, source: p.source.kind },
      });
      return toSummary(f);
    };

    if (p.source.kind === "upload") {
      const staged = p.source.staged;
      // commitBlobWithRows commits or discards the staged file itself.
      scratch.forget((input.source as { staged: StagedBlob }).staged);
      return await commitBlobWithRows(ctx, staged, (tx) => writeRows(tx, staged.sha256));
    }
    return await transaction(ctx.db, (tx) => writeRows(tx, null));
  } catch (e) {
    throw fromLibrary(e, labels);
  } finally {
    await scratch.cleanup();
  }
}

export async function listFoundations(ctx: CoreContext): Promise<FoundationSummary[]> {
  const rows = await ctx.db.foundation.findMany({ include: summaryInclude, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  return rows.map(toSummary);
}

/**
 * A foundation and its model tree: the publicly listed vectors made against
 * it, plus (with an actor) the unlisted vectors of the actor's own teams.
 */
export async function getFoundation(ctx: CoreContext, slug: string, actor: Actor = null): Promise<FoundationDetail> {
  const f = await ctx.db.foundation.findUnique({ where: { slug }, include: summaryInclude });
  if (!f) throw notFound(`foundation "${slug}"`);
  const myTeams = actor ? await teamIdsOf(ctx.db, actor.userId) : [];
  const vectors = await ctx.db.taskVector.findMany({
    where: { foundationId: f.id, OR: [publicVectorWhere, ...(myTeams.length ? [{ teamId: { in: myTeams } }] : [])] },
    include: vectorSummaryInclude,
    orderBy: [{ downloads: "desc" }, { createdAt: "desc" }],
  });
  return { ...toSummary(f), vectors: vectors.map(toVectorSummary) };
}

/** The manifest recorded at registration: name → {dtype, shape, sha256}. */
export async function getFoundationManifest(ctx: CoreContext, slug: string): Promise<Manifest> {
  const f = await ctx.db.foundation.findUnique({ where: { slug }, select: { manifestJson: true } });
  if (!f) throw notFound(`foundation "${slug}"`);
  return parseJson<Manifest>(f.manifestJson, {});
}

/**
 * A local path the merge library can open for a foundation's weights: the
 * uploaded blob (through BlobStore.localPath, which may download into a cache
 * for remote stores) or the registered server path. Accepts a slug, or any
 * object with the foundation's id (a FoundationSummary or a row).
 */
export async function foundationWeightsPath(ctx: CoreContext, foundation: string | { id: string }): Promise<string> {
  const where = typeof foundation === "string" ? { slug: foundation } : { id: foundation.id };
  const f = await ctx.db.foundation.findUnique({ where, select: { slug: true, blobHash: true, serverPath: true } });
  if (!f) throw notFound("foundation");
  if (f.blobHash) return ctx.blobs.localPath(f.blobHash);
  if (f.serverPath) {
    const exists = await stat(f.serverPath).then(
      () => true,
      () => false,
    );
    if (!exists) throw new DomainError("INTERNAL", `the weights of foundation "${f.slug}" are missing on the server`);
    return f.serverPath;
  }
  throw new DomainError("INTERNAL", `foundation "${f.slug}" has no weights recorded`);
}
