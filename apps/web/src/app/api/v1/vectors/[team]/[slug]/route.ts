// GET /api/v1/vectors/:team/:slug — a vector's card, listing, versions (with
// per-version download permission for the caller) and its foundation's fingerprint.
import { getFoundation, getVector } from "@graft/core";
import { getActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ team: string; slug: string }>(async (req, { params }) => {
  const { team, slug } = await params;
  const ctx = getContext();
  const vector = await getVector(ctx, await getActor(req), team, slug);
  const { fingerprint } = await getFoundation(ctx, vector.foundation.slug);
  return json({ vector: { ...vector, foundation: { ...vector.foundation, fingerprint } } });
});
