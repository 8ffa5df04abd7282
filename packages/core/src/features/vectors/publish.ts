/**
 * Publishing a version of a task vector: authorise, validate the metadata,
 * validate or derive the task-vector file with the merge library, then write
 * the vector/version rows and commit the blob in one transaction. Any failure
 * removes every staged and derived file and leaves no rows.
 */
import type { Prisma } from "@graft/db";
import type { z } from "zod";
import type { Actor, CoreContext } from "../../context";
import { DomainError, notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { commitBlobWithRows } from "../../lib/blob-commit";
import { fromLibrary } from "../../lib/library-errors";
import { Scratch } from "../../lib/scratch";
import { compareSemver, maxSemver } from "../../lib/semver";
import { checkUploadSize } from "../../lib/staged";
import { parseInput } from "../../lib/validate";
import { recordAudit } from "../audit/audit";
import { requireTeamRole } from "../teams/roles";
import { listingSchema, publishSchema, type ListingInput } from "./schemas";
import { prepareTaskVector, stagedFilesOf, type VersionUpload } from "./upload";
import { toVersionInfo, type VersionInfo } from "./versions";

export interface PublishInput {
  teamSlug: string;
  foundationSlug: string;
  vectorSlug: string;
  name: string;
  task: string;
  tags: string[];
  summary: string;
  cardMarkdown: string;
  version: string;
  changelog: string;
  listing?: ListingInput;
  upload: VersionUpload;
}

export interface PublishResult {
  vector: { id: string; slug: string; teamSlug: string; foundationSlug: string; created: boolean };
  version: VersionInfo;
}

type Listing = z.output<typeof listingSchema>;

function listingData(l: Listing) {
  return {
    kind: l.kind,
    priceCents: l.kind === "paid" ? (l.priceCents ?? null) : null,
    currency: l.currency ?? "usd",
    licence: l.licence,
    redistribution: l.redistribution,
    active: true,
  };
}

/** Versions must strictly increase (yanked ones count: a yanked number is never reused). */
function checkVersionOrder(existing: string[], version: string): void {
  if (existing.includes(version)) throw new DomainError("CONFLICT", `version ${version} already exists`);
  const latest = maxSemver(existing);
  if (latest && compareSemver(version, latest) <= 0) {
    throw new DomainError("CONFLICT", `version ${version} must be greater than the latest version ${latest}`, { latest });
  }
}

/**
 * Publishes a version (creating the vector on first publish). Needs the member
 * role in the team and, for API tokens, the "publish" scope. Takes ownership
 * of the staged uploads: on return they are committed or deleted.
 */
export async function publishVersion(ctx: CoreContext, actor: Actor, input: PublishInput): Promise<PublishResult> {
  const scratch = new Scratch(ctx.blobs);
  for (const s of stagedFilesOf((input as { upload?: unknown } | null)?.upload)) scratch.addStaged(s);
  const labels = new Map<string, string>();
  try {
    const a = requireScope(actor, "publish");
    const p = parseInput(publishSchema, input);
    checkUploadSize(ctx.config, ...stagedFilesOf(p.upload));
    const team = await ctx.db.team.findUnique({ where: { slug: p.teamSlug } });
    if (!team) throw notFound(`team "${p.teamSlug}"`);
    await requireTeamRole(ctx, a, team.id, "member");
    const foundation = await ctx.db.foundation.findUnique({ where: { slug: p.foundationSlug } });
    if (!foundation) throw notFound(`foundation "${p.foundationSlug}"`);

    const existing = await ctx.db.taskVector.findUnique({
      where: { teamId_slug: { teamId: team.id, slug: p.vectorSlug } },
      include: { versions: { select: { version: true } }, foundation: { select: { slug: true } } },
    });
    if (existing && existing.foundationId !== foundation.id) {
      throw new DomainError("INVALID", `${team.slug}/${p.vectorSlug} is published against foundation "${existing.foundation.slug}", not "${foundation.slug}"`);
    }
    checkVersionOrder(existing?.versions.map((v) => v.version) ?? [], p.version);

    const prepared = await prepareTaskVector(ctx, foundation, p.upload as VersionUpload, scratch, labels);
    // From here commitBlobWithRows owns the final file (commit or discard);
    // any other uploads (a fine-tuned checkpoint, adapter files) are removed in `finally`.
    scratch.forget(prepared.staged);

    const result = await commitBlobWithRows(ctx, prepared.staged, async (tx) => {
      const vector = await upsertVector(tx, a.userId, team.id, foundation.id, p);
      checkVersionOrder(vector.versions, p.version);
      const version = await tx.vectorVersion.create({
        data: {
          vectorId: vector.id,
          version: p.version,
          changelog: p.changelog,
          blobHash: prepared.staged.sha256,
          encoding: prepared.encoding,
          sourceKind: p.upload.kind,
          sizeBytes: BigInt(prepared.staged.size),
          tensorCount: prepared.tensorCount,
          normStatsJson: JSON.stringify(prepared.normStats),
          sketchJson: JSON.stringify(prepared.sketch),
          createdById: a.userId,
        },
      });
      await recordAudit(tx, {
        actorId: a.userId,
        teamId: team.id,
        action: "vector.publish",
        targetType: "version",
        targetId: version.id,
        details: { vector: `${team.slug}/${p.vectorSlug}`, version: p.version, sha256: prepared.staged.sha256, sourceKind: p.upload.kind },
      });
      return {
        vector: { id: vector.id, slug: p.vectorSlug, teamSlug: team.slug, foundationSlug: foundation.slug, created: vector.created },
        version: toVersionInfo(version),
      };
    });
    return result;
  } catch (e) {
    if ((e as { code?: string }).code === "P2002") throw new DomainError("CONFLICT", "this version was published concurrently; try a greater version");
    throw fromLibrary(e, labels);
  } finally {
    await scratch.cleanup();
  }
}

/** Creates the vector on first publish; later publishes refresh its card, tags and (if given) listing. */
async function upsertVector(
  tx: Prisma.TransactionClient,
  userId: string,
  teamId: string,
  foundationId: string,
  p: z.output<typeof publishSchema>,
): Promise<{ id: string; created: boolean; versions: string[] }> {
  const fields = { name: p.name, task: p.task, summary: p.summary, cardMarkdown: p.cardMarkdown };
  const found = await tx.taskVector.findUnique({
    where: { teamId_slug: { teamId, slug: p.vectorSlug } },
    include: { versions: { select: { version: true } } },
  });
  if (found && found.foundationId !== foundationId) throw new DomainError("INVALID", `${p.vectorSlug} is published against another foundation`);
  if (!found) {
    const v = await tx.taskVector.create({
      data: {
        teamId,
        foundationId,
        slug: p.vectorSlug,
        ...fields,
        tags: { create: p.tags.map((tag) => ({ tag })) },
        ...(p.listing ? { listing: { create: listingData(p.listing) } } : {}),
      },
    });
    await recordAudit(tx, { actorId: userId, teamId, action: "vector.create", targetType: "vector", targetId: v.id, details: { slug: p.vectorSlug } });
    return { id: v.id, created: true, versions: [] };
  }
  await tx.taskVectorTag.deleteMany({ where: { vectorId: found.id } });
  await tx.taskVector.update({
    where: { id: found.id },
    data: {
      ...fields,
      tags: { create: p.tags.map((tag) => ({ tag })) },
      ...(p.listing ? { listing: { upsert: { create: listingData(p.listing), update: listingData(p.listing) } } } : {}),
    },
  });
  return { id: found.id, created: false, versions: found.versions.map((v) => v.version) };
}
