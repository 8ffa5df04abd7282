/**
 * The card-sized view of a task vector used by catalog results, team pages and
 * a foundation's model tree, and the rule for which vectors the public sees:
 * an active listing and at least one non-yanked version.
 */
import type { Prisma } from "@graft/db";
import { num } from "../../lib/dto";
import { toTerms, type ListingTerms } from "../commerce/listing";

/** A listing's terms as catalog cards show them (the commerce feature's shape). */
export type ListingInfo = ListingTerms;

export interface VectorSummary {
  id: string;
  slug: string;
  name: string;
  task: string;
  summary: string;
  tags: string[];
  team: { slug: string; name: string };
  foundation: { slug: string; name: string };
  downloads: number;
  rating: { average: number | null; count: number };
  listing: ListingInfo | null;
  /** Newest non-yanked version. */
  latestVersion: { id: string; version: string; createdAt: Date } | null;
  createdAt: Date;
  updatedAt: Date;
}

export const publicVectorWhere: Prisma.TaskVectorWhereInput = {
  listing: { is: { active: true } },
  versions: { some: { yankedAt: null } },
};

export const vectorSummaryInclude = {
  team: { select: { slug: true, name: true } },
  foundation: { select: { slug: true, name: true } },
  tags: { select: { tag: true }, orderBy: { tag: "asc" } },
  listing: true,
  versions: {
    where: { yankedAt: null },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 1,
    select: { id: true, version: true, createdAt: true },
  },
} satisfies Prisma.TaskVectorInclude;

export type VectorSummaryRow = Prisma.TaskVectorGetPayload<{ include: typeof vectorSummaryInclude }>;

export function toListingInfo(l: VectorSummaryRow["listing"]): ListingInfo | null {
  return l ? toTerms(l) : null;
}

export function toVectorSummary(v: VectorSummaryRow): VectorSummary {
  return {
    id: v.id,
    slug: v.slug,
    name: v.name,
    task: v.task,
    summary: v.summary,
    tags: v.tags.map((t) => t.tag),
    team: v.team,
    foundation: v.foundation,
    downloads: num(v.downloads),
    rating: { average: v.ratingCount > 0 ? v.ratingSum / v.ratingCount : null, count: v.ratingCount },
    listing: toListingInfo(v.listing),
    latestVersion: v.versions[0] ?? null,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
}
