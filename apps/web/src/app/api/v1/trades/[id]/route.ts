// GET /api/v1/trades/:id — one trade offer (members of either team).
import { getTradeOffer } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const offer = await getTradeOffer(getContext(), await requireActor(req), id);
  return json({ offer });
});
