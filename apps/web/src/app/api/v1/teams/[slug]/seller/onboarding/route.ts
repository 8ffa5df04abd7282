// POST /api/v1/teams/:slug/seller/onboarding — connect (or finish connecting)
// the team's Stripe Express account; returns the onboarding link (team admins).
import { startSellerOnboarding } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, withErrors } from "@/server/http";

export const POST = withErrors<{ slug: string }>(async (req, { params }) => {
  const { slug } = await params;
  const onboarding = await startSellerOnboarding(getContext(), await requireActor(req), slug);
  return json({ onboarding }, { status: 201 });
});
