/** @graft/stripe-fake: a loopback Stripe API for tests and local runs. */
export { FakeStripe, startFakeStripe, type FakeStripeOptions, type RecordedRequest, type Charge, type SignedDelivery } from "./server";
export type { StripeObject } from "./objects";
