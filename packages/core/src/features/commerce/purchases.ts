/**
 * The two state changes of a purchase that grant or take back access, shared
 * by test payments, the Stripe webhook and seller refunds. Both run inside
 * the caller's transaction and are idempotent.
 */
import type { DbClient } from "../../context";
import { lockForTransaction, purchaseLockKey } from "../../lib/locks";
import { createEntitlement } from "../entitlements/grants";

export type PurchaseStatus = "pending" | "paid" | "refunded" | "disputed";

/**
 * Grants the buyer a purchase entitlement unless one is already active for
 * this vector (a second paid checkout never doubles it). Returns whether a
 * new entitlement was created.
 */
export async function grantPurchase(tx: DbClient, purchase: { id: string; buyerId: string; vectorId: string }): Promise<boolean> {
  await lockForTransaction(tx, purchaseLockKey(purchase.buyerId, purchase.vectorId));
  const active = await tx.entitlement.findFirst({
    where: { vectorId: purchase.vectorId, userId: purchase.buyerId, source: "purchase", revokedAt: null },
    select: { id: true },
  });
  if (active) return false;
  await createEntitlement(tx, { vectorId: purchase.vectorId, userId: purchase.buyerId, source: "purchase", purchaseId: purchase.id });
  return true;
}

/**
 * Marks a purchase refunded or disputed and revokes what it granted. When the
 * buyer holds another paid purchase of the same vector (two checkouts both
 * paid), access moves to that one instead of being lost.
 */
export async function endPurchase(tx: DbClient, purchaseId: string, status: "refunded" | "disputed", paymentIntentId?: string | null): Promise<void> {
  const target = await tx.purchase.findUniqueOrThrow({ where: { id: purchaseId }, select: { buyerId: true, vectorId: true } });
  await lockForTransaction(tx, purchaseLockKey(target.buyerId, target.vectorId));
  const p = await tx.purchase.update({
    where: { id: purchaseId },
    data: { status, ...(paymentIntentId ? { stripePaymentIntentId: paymentIntentId } : {}) },
  });
  await tx.entitlement.updateMany({ where: { purchaseId, revokedAt: null }, data: { revokedAt: new Date() } });
  const other = await tx.purchase.findFirst({ where: { buyerId: p.buyerId, vectorId: p.vectorId, status: "paid", id: { not: p.id } }, orderBy: { createdAt: "asc" } });
  if (other) await grantPurchase(tx, other);
}
