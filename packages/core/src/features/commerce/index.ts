/** Commerce: listing terms, checkout (Stripe or test payments), fulfilment webhooks, seller onboarding, refunds, dashboards and the buyer's library. */
export { paymentsOf, platformFee, type PaymentMode, type PaymentsConfig } from "./payments";
export { setListing, licenceSummary, toTerms, type ListingTerms } from "./listing";
export { startCheckout, type CheckoutResult } from "./checkout";
export { verifyStripeEvent, processStripeEvent, type WebhookOutcome } from "./webhooks";
export { startSellerOnboarding, sellerState, syncSellerAccount, type SellerState } from "./sellers";
export { refundPurchase } from "./refunds";
export { sellerDashboard, type SellerDashboard, type DailySales, type SaleRow } from "./dashboard";
export { buyerLibrary, type LibraryItem, type LibrarySource } from "./library";
export type { PurchaseStatus } from "./purchases";
