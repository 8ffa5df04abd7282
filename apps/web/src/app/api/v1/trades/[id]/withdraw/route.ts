// POST /api/v1/trades/:id/withdraw — withdraw a trade offer (admin of the proposing team).
import { withdrawTrade } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const offer = await withdrawTrade(getContext(), await requireActor(req), id);
  return json({ offer });
});
