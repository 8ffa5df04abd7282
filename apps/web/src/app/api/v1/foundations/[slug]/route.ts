// GET /api/v1/foundations/:slug — a foundation's metadata, fingerprint and model tree (vectors made against it).
import { getFoundation } from "@graft/core";
import { getActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const foundation = await getFoundation(getContext(), slug, await getActor(req));
  return json({ foundation });
});
