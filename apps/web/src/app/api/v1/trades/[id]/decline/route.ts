// POST /api/v1/trades/:id/decline — decline a trade offer (admin of the receiving team).
import { declineTrade } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const offer = await declineTrade(getContext(), await requireActor(req), id);
  return json({ offer });
});
