// GET /api/v1/library — every vector the caller may use, with licence and source.
import { buyerLibrary } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors(async (req) => {
  const items = await buyerLibrary(getContext(), await requireActor(req));
  return json({ items });
});
