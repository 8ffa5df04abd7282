// PUT /api/v1/vectors/:team/:slug/listing — set a vector's listing terms:
// free, paid (price + currency) or trade; licence and redistribution (team members, publish scope).
import { z } from "zod";
import { getVector, setListing } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const body = z.object({
  kind: z.string(),
  priceCents: z.number().nullish(),
  currency: z.string().optional(),
  licence: z.string(),
  redistribution: z.boolean(),
  active: z.boolean().optional(),
});

export const PUT = withErrors<{ team: string; slug: string }>(async (req, { params }) => {
  const { team, slug } = await params;
  const ctx = getContext();
  const actor = await requireActor(req);
  const terms = await readJson(req, body);
  const vector = await getVector(ctx, actor, team, slug);
  const listing = await setListing(ctx, actor, { vectorId: vector.id, ...terms });
  return json({ listing });
});
