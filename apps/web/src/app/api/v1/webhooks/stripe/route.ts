// POST /api/v1/webhooks/stripe — Stripe's event deliveries. The signature is
// checked over the raw body (400 when it does not match); each event is
// handled exactly once, and anything but 2xx makes Stripe retry.
import { isDomainError, processStripeEvent, verifyStripeEvent } from "@graft/core";
import { getContext } from "@/server/context";
import { HttpError, json, withErrors } from "@/server/http";

export const POST = withErrors(async (req) => {
  const ctx = getContext();
  const raw = Buffer.from(await req.arrayBuffer());
  let event;
  try {
    event = verifyStripeEvent(ctx, raw, req.headers.get("stripe-signature"));
  } catch (e) {
    if (isDomainError(e) && e.code === "INVALID") throw new HttpError(400, "INVALID", e.message);
    throw e;
  }
  return json({ received: true, ...(await processStripeEvent(ctx, event)) });
});
