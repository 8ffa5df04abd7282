// GET /api/v1/teams/:slug/seller — the seller dashboard: sales, revenue and
// fees per day, payout onboarding state, recent sales and refunds (team admins).
import { sellerDashboard } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const GET = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const dashboard = await sellerDashboard(getContext(), await requireActor(req), slug);
  return json({ dashboard });
});
