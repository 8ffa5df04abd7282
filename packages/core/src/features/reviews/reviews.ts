/**
 * Reviews: 1–5 stars and a text, one per user per vector (writing again
 * replaces the earlier review, and its date). Only users entitled to the
 * vector may review it: holders of a purchase, trade or grant entitlement,
 * and, for free listings, users who actually downloaded a version (being
 * allowed to download is not enough: anyone is). Members of the owner team
 * may not review their own vector. The vector's ratingSum/ratingCount move
 * in the same transaction as the review, so the average is always exact.
 */
import { z } from "zod";
import type { Actor, CoreContext, DbClient } from "../../context";
import { DomainError, notFound } from "../../errors";
import { hasScope, requireScope } from "../../lib/auth";
import { transaction } from "../../lib/transaction";
import { parseInput } from "../../lib/validate";
import { vectorAccess } from "../entitlements/access";

export interface ReviewInfo {
  id: string;
  rating: number;
  body: string;
  user: { id: string; name: string | null };
  createdAt: Date;
}

export type ReviewEligibility =
  | { canReview: true }
  | { canReview: false; reason: "login-required" | "insufficient-scope" | "owner-team" | "download-first" | "not-entitled" };

const REASON_TEXT: Record<Exclude<ReviewEligibility, { canReview: true }>["reason"], string> = {
  "login-required": "sign in to review this vector",
  "insufficient-scope": 'this API token lacks the "publish" scope',
  "owner-team": "members of the publishing team cannot review their own vector",
  "download-first": "download this vector before reviewing it",
  "not-entitled": "only users entitled to this vector can review it",
};

const reviewSchema = z.object({
  rating: z.number().int("rating must be a whole number of stars").min(1, "rating must be 1–5 stars").max(5, "rating must be 1–5 stars"),
  body: z.string().trim().max(5000, "body: at most 5000 characters").default(""),
});

export type ReviewInput = z.input<typeof reviewSchema>;

const vectorSelect = { id: true, teamId: true, listing: { select: { kind: true, active: true } } } as const;

/** The vector, if the actor may see it (listed, or the actor is privileged); NOT_FOUND otherwise. */
async function visibleVector(ctx: CoreContext, actor: Actor, teamSlug: string, vectorSlug: string) {
  const vector = await ctx.db.taskVector.findFirst({ where: { slug: vectorSlug, team: { slug: teamSlug } }, select: vectorSelect });
  if (!vector) throw notFound(`vector ${teamSlug}/${vectorSlug}`);
  const access = await vectorAccess(ctx.db, actor, vector);
  if (!access.listed && access.role === null && access.entitlement === null) throw notFound(`vector ${teamSlug}/${vectorSlug}`);
  return { vector, access };
}

async function eligibility(db: DbClient, actor: Actor, vector: { id: string }, access: Awaited<ReturnType<typeof vectorAccess>>): Promise<ReviewEligibility> {
  if (!actor) return { canReview: false, reason: "login-required" };
  if (!hasScope(actor, "publish")) return { canReview: false, reason: "insufficient-scope" };
  if (access.role !== null) return { canReview: false, reason: "owner-team" };
  if (access.entitlement !== null) return { canReview: true };
  if (access.free) {
    const downloaded = await db.download.count({ where: { userId: actor.userId, version: { vectorId: vector.id } } });
    return downloaded > 0 ? { canReview: true } : { canReview: false, reason: "download-first" };
  }
  return { canReview: false, reason: "not-entitled" };
}

function toInfo(r: { id: string; rating: number; body: string; createdAt: Date; user: { id: string; name: string | null } }): ReviewInfo {
  return { id: r.id, rating: r.rating, body: r.body, user: r.user, createdAt: r.createdAt };
}

const include = { user: { select: { id: true, name: true } } } as const;

/** Writes (or replaces) the actor's review of a vector. */
export async function writeReview(ctx: CoreContext, actor: Actor, teamSlug: string, vectorSlug: string, input: ReviewInput): Promise<ReviewInfo> {
  const a = requireScope(actor, "publish");
  const p = parseInput(reviewSchema, input);
  const { vector, access } = await visibleVector(ctx, a, teamSlug, vectorSlug);
  const e = await eligibility(ctx.db, a, vector, access);
  if (!e.canReview) throw new DomainError("FORBIDDEN", REASON_TEXT[e.reason], { reason: e.reason });
  return transaction(ctx.db, async (tx) => {
    const key = { userId_vectorId: { userId: a.userId, vectorId: vector.id } };
    const old = await tx.review.findUnique({ where: key, select: { rating: true } });
    const review = await tx.review.upsert({
      where: key,
      create: { userId: a.userId, vectorId: vector.id, rating: p.rating, body: p.body },
      update: { rating: p.rating, body: p.body, createdAt: new Date() },
      include,
    });
    await tx.taskVector.update({
      where: { id: vector.id },
      data: old
        ? { ratingSum: { increment: p.rating - old.rating } }
        : { ratingSum: { increment: p.rating }, ratingCount: { increment: 1 } },
    });
    return toInfo(review);
  });
}

export interface ReviewList {
  reviews: ReviewInfo[];
  total: number;
  average: number | null;
  /** The viewer's own review, and whether (or why not) they may write one. */
  viewer: { mine: ReviewInfo | null } & ReviewEligibility;
}

/** A vector's reviews, newest first, with the viewer's standing. Public for listed vectors. */
export async function listReviews(
  ctx: CoreContext,
  actor: Actor,
  teamSlug: string,
  vectorSlug: string,
  opts: { limit?: number; offset?: number } = {},
): Promise<ReviewList> {
  const { limit, offset } = parseInput(z.object({ limit: z.number().int().min(1).max(100).default(20), offset: z.number().int().min(0).default(0) }), opts);
  const { vector, access } = await visibleVector(ctx, actor, teamSlug, vectorSlug);
  const [rows, totals, mine, e] = await Promise.all([
    ctx.db.review.findMany({ where: { vectorId: vector.id }, include, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: offset, take: limit }),
    ctx.db.taskVector.findUniqueOrThrow({ where: { id: vector.id }, select: { ratingSum: true, ratingCount: true } }),
    actor ? ctx.db.review.findUnique({ where: { userId_vectorId: { userId: actor.userId, vectorId: vector.id } }, include }) : null,
    eligibility(ctx.db, actor, vector, access),
  ]);
  return {
    reviews: rows.map(toInfo),
    total: totals.ratingCount,
    average: totals.ratingCount ? totals.ratingSum / totals.ratingCount : null,
    viewer: { mine: mine ? toInfo(mine) : null, ...e },
  };
}
