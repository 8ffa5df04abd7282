// POST /api/v1/checkout — buy a vector's paid listing: a Stripe Checkout URL
// to redirect to, or (test-payment mode) a completed purchase.
import { z } from "zod";
import { startCheckout } from "@graft/core";
import { requireActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { json, readJson, withErrors } from "@/server/http";

const body = z.object({ vectorId: z.string().min(1) });

export const POST = withErrors(async (req) => {
  const actor = await requireActor(req);
  const { vectorId } = await readJson(req, body);
  const result = await startCheckout(getContext(), actor, { vectorId });
  return json({ checkout: result }, { status: 201 });
});
