// Catalog search parameters as they appear in URLs (the /catalog page and
// GET /api/v1/vectors share them), validated with zod into core's CatalogQuery.
import { z } from "zod";
import type { CatalogQuery } from "@graft/core";

const optional = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

const intParam = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional();

export const catalogParamsSchema = z.object({
  q: optional,
  foundation: optional,
  task: optional,
  /** Comma-separated (or repeated) tags, all required. */
  tags: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean))
    .optional(),
  licence: z.enum(["personal", "commercial", ""]).optional(),
  listing: z.enum(["free", "paid", "trade", ""]).optional(),
  /** API: maximum price in cents. */
  maxPriceCents: intParam(0, 100_000_000),
  /** Web page: maximum price in whole currency units (dollars). */
  maxPrice: z
    .string()
    .trim()
    .regex(/^(\d+(\.\d{1,2})?)?$/, "must be an amount like 12 or 12.50")
    .optional(),
  sort: z.enum(["new", "downloads", "rating", ""]).optional(),
  page: intParam(1, 10_000),
  pageSize: intParam(1, 100),
});

export type CatalogParams = z.output<typeof catalogParamsSchema>;

/** Query-string record (first value per key, or all values for repeated keys) → CatalogQuery. */
export function toCatalogQuery(p: CatalogParams): CatalogQuery {
  const maxPriceCents = p.maxPriceCents ?? (p.maxPrice ? Math.round(Number(p.maxPrice) * 100) : undefined);
  return {
    q: p.q,
    foundation: p.foundation,
    task: p.task,
    tags: p.tags?.length ? p.tags : undefined,
    licence: p.licence || undefined,
    listingKind: p.listing || undefined,
    maxPriceCents,
    sort: p.sort || "new",
    page: p.page ?? 1,
    pageSize: p.pageSize ?? 20,
  };
}

/** Next's searchParams object → a plain record the schema accepts. */
export function searchParamsRecord(sp: Record<string, string | string[] | undefined> | URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (sp instanceof URLSearchParams) {
    for (const key of new Set(sp.keys())) {
      const all = sp.getAll(key);
      out[key] = all.length > 1 ? all : all[0];
    }
    return out;
  }
  for (const [k, v] of Object.entries(sp)) if (v !== undefined) out[k] = v;
  return out;
}
