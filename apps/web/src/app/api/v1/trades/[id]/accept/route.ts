// POST /api/v1/trades/:id/accept — accept a trade offer: both teams get their entitlements at once (admin of the receiving team).
import { acceptTrade } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const offer = await acceptTrade(getContext(), await requireActor(req), id);
  return json({ offer });
});
