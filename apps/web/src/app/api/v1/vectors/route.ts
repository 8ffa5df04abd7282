// GET /api/v1/vectors — catalog search: q, foundation, task, tags, licence,
// listing (free|paid|trade), maxPriceCents, sort (new|downloads|rating), page, pageSize.
import { searchCatalog } from "@graft/core";
import { catalogParamsSchema, searchParamsRecord, toCatalogQuery } from "@/server/catalog-query";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors(async (req) => {
  const params = catalogParamsSchema.parse(searchParamsRecord(req.nextUrl.searchParams));
  const page = await searchCatalog(getContext(), toCatalogQuery(params));
  return json(page);
});
