/**
 * The public catalog: filtered, sorted, paginated search over listed vectors.
 * Text search uses case-insensitive `contains` filters (LIKE on SQLite, ILIKE
 * on PostgreSQL). Every word of the
 * query must match one of: name, slug, summary, card, tags, task, team.
 */
import { containsInsensitive, type Db, type Prisma } from "@graft/db";
import { z } from "zod";
import type { CoreContext } from "../../context";
import { parseInput } from "../../lib/validate";
import { publicVectorWhere, toVectorSummary, vectorSummaryInclude, type VectorSummary } from "./summary";

export interface CatalogQuery {
  q?: string;
  /** Foundation slug. */
  foundation?: string;
  task?: string;
  /** Every tag must be present. */
  tags?: string[];
  licence?: "personal" | "commercial";
  listingKind?: "free" | "paid" | "trade";
  /** Free and trade listings always pass; paid ones up to this price. */
  maxPriceCents?: number;
  sort?: "new" | "downloads" | "rating";
  /** 1-based. */
  page?: number;
  pageSize?: number;
}

export interface CatalogPage {
  items: VectorSummary[];
  total: number;
  page: number;
  pageSize: number;
}

const querySchema = z.object({
  q: z.string().trim().max(200).optional(),
  foundation: z.string().max(100).optional(),
  task: z.string().trim().toLowerCase().max(100).optional(),
  tags: z.array(z.string().trim().toLowerCase().max(100)).max(20).optional(),
  licence: z.enum(["personal", "commercial"]).optional(),
  listingKind: z.enum(["free", "paid", "trade"]).optional(),
  maxPriceCents: z.number().int().nonnegative().optional(),
  sort: z.enum(["new", "downloads", "rating"]).default("new"),
  page: z.number().int().min(1).max(10_000).default(1),
  pageSize: z.number().int().min(1).max(100).default(20),
});

function buildWhere(db: Db, p: z.output<typeof querySchema>): Prisma.TaskVectorWhereInput {
  const and: Prisma.TaskVectorWhereInput[] = [publicVectorWhere];
  const words = (p.q ?? "").split(/\s+/).filter(Boolean).slice(0, 8);
  for (const w of words) {
    const contains = containsInsensitive(db, w);
    and.push({
      OR: [
        { name: contains },
        { slug: contains },
        { summary: contains },
        { cardMarkdown: contains },
        { task: contains },
        { tags: { some: { tag: { contains: w.toLowerCase() } } } },
        { team: { is: { OR: [{ slug: contains }, { name: { contains: w } }] } } },
      ],
    });
  }
  if (p.foundation) and.push({ foundation: { is: { slug: p.foundation } } });
  if (p.task) and.push({ task: p.task });
  for (const tag of p.tags ?? []) and.push({ tags: { some: { tag } } });
  const listing: Prisma.ListingWhereInput = {};
  if (p.licence) listing.licence = p.licence;
  if (p.listingKind) listing.kind = p.listingKind;
  if (p.maxPriceCents !== undefined) listing.OR = [{ kind: { not: "paid" } }, { priceCents: { lte: p.maxPriceCents } }];
  if (Object.keys(listing).length) and.push({ listing: { is: listing } });
  return { AND: and };
}

export async function searchCatalog(ctx: CoreContext, query: CatalogQuery = {}): Promise<CatalogPage> {
  const p = parseInput(querySchema, query);
  const where = buildWhere(ctx.db, p);
  const skip = (p.page - 1) * p.pageSize;
  const total = await ctx.db.taskVector.count({ where });

  let items: VectorSummary[];
  if (p.sort === "rating") {
    // Average rating is a ratio: not sortable in a portable query, so rank the
    // (id, sum, count) of all matches in memory and load one page.
    const keys = await ctx.db.taskVector.findMany({ where, select: { id: true, ratingSum: true, ratingCount: true, createdAt: true } });
    const avg = (k: { ratingSum: number; ratingCount: number }) => (k.ratingCount > 0 ? k.ratingSum / k.ratingCount : -1);
    keys.sort(
      (a, b) => avg(b) - avg(a) || b.ratingCount - a.ratingCount || b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1),
    );
    const ids = keys.slice(skip, skip + p.pageSize).map((k) => k.id);
    const rows = await ctx.db.taskVector.findMany({ where: { id: { in: ids } }, include: vectorSummaryInclude });
    const byId = new Map(rows.map((r) => [r.id, r]));
    items = ids.flatMap((id) => (byId.has(id) ? [toVectorSummary(byId.get(id)!)] : []));
  } else {
    const orderBy: Prisma.TaskVectorOrderByWithRelationInput[] =
      p.sort === "downloads" ? [{ downloads: "desc" }, { createdAt: "desc" }, { id: "asc" }] : [{ createdAt: "desc" }, { id: "asc" }];
    const rows = await ctx.db.taskVector.findMany({ where, include: vectorSummaryInclude, orderBy, skip, take: p.pageSize });
    items = rows.map(toVectorSummary);
  }
  return { items, total, page: p.page, pageSize: p.pageSize };
}

/** Task categories of listed vectors, with counts, most used first. */
export async function listTasks(ctx: CoreContext): Promise<{ task: string; count: number }[]> {
  const rows = await ctx.db.taskVector.groupBy({ by: ["task"], where: publicVectorWhere, _count: { _all: true } });
  return rows.map((r) => ({ task: r.task, count: r._count._all })).sort((a, b) => b.count - a.count || a.task.localeCompare(b.task));
}

/** Tags of listed vectors, with counts, most used first. */
export async function listTags(ctx: CoreContext): Promise<{ tag: string; count: number }[]> {
  const rows = await ctx.db.taskVectorTag.groupBy({ by: ["tag"], where: { vector: { is: publicVectorWhere } }, _count: { _all: true } });
  return rows.map((r) => ({ tag: r.tag, count: r._count._all })).sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
}
