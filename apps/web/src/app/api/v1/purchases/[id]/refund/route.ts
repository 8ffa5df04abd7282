// POST /api/v1/purchases/:id/refund — the seller team refunds a sale; the buyer's access ends (team admins).
import { refundPurchase } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ id: string }>(async (req, { params }) => {
  const { id } = await params;
  const refund = await refundPurchase(getContext(), await requireActor(req), id);
  return json({ refund });
});
