/**
 * What a selling team sees: sales, revenue and platform fees per day (per
 * currency), its payout onboarding state, and its recent sales and refunds.
 */
import type { Actor, CoreContext } from "../../context";
import { notFound } from "../../errors";
import { requireScope } from "../../lib/auth";
import { requireTeamRole } from "../teams/roles";
import { paymentsOf, type PaymentMode } from "./payments";
import { sellerState, type SellerState } from "./sellers";

export interface DailySales {
  date: string; // YYYY-MM-DD (UTC)
  sales: number;
  grossCents: number;
  feeCents: number;
  netCents: number;
  refunds: number;
  refundedCents: number;
}

export interface SaleRow {
  purchaseId: string;
  vector: { slug: string; name: string };
  buyer: { name: string | null; email: string };
  amountCents: number;
  currency: string;
  feeCents: number;
  mode: string;
  status: string;
  createdAt: Date;
}

export interface SellerDashboard {
  team: { slug: string; name: string };
  paymentMode: PaymentMode;
  platformFeePercent: number;
  seller: SellerState;
  /** Per currency: one row per day with any sale, oldest first. */
  currencies: Record<string, { totals: Omit<DailySales, "date">; daily: DailySales[] }>;
  recentSales: SaleRow[];
  refunds: SaleRow[];
}

const empty = (): Omit<DailySales, "date"> => ({ sales: 0, grossCents: 0, feeCents: 0, netCents: 0, refunds: 0, refundedCents: 0 });

export async function sellerDashboard(ctx: CoreContext, actor: Actor, teamSlug: string, opts: { days?: number } = {}): Promise<SellerDashboard> {
  const a = requireScope(actor, "read");
  const team = await ctx.db.team.findUnique({ where: { slug: teamSlug }, select: { id: true, slug: true, name: true } });
  if (!team) throw notFound(`team "${teamSlug}"`);
  await requireTeamRole(ctx, a, team.id, "admin");
  const since = new Date(Date.now() - (opts.days ?? 90) * 86_400_000);
  const rows = await ctx.db.purchase.findMany({
    where: { vector: { teamId: team.id }, status: { in: ["paid", "refunded", "disputed"] }, createdAt: { gte: since } },
    include: { vector: { select: { slug: true, name: true } }, buyer: { select: { name: true, email: true } } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const currencies: SellerDashboard["currencies"] = {};
  for (const p of rows) {
    const cur = (currencies[p.currency] ??= { totals: empty(), daily: [] });
    const date = p.createdAt.toISOString().slice(0, 10);
    let day = cur.daily.at(-1);
    if (day?.date !== date) cur.daily.push((day = { date, ...empty() }));
    for (const bucket of [day, cur.totals]) {
      bucket.sales += 1;
      if (p.status === "paid") {
        bucket.grossCents += p.amountCents;
        bucket.feeCents += p.feeCents;
        bucket.netCents += p.amountCents - p.feeCents;
      } else {
        bucket.refunds += 1;
        bucket.refundedCents += p.amountCents;
      }
    }
  }
  const toRow = (p: (typeof rows)[number]): SaleRow => ({
    purchaseId: p.id,
    vector: p.vector,
    buyer: p.buyer,
    amountCents: p.amountCents,
    currency: p.currency,
    feeCents: p.feeCents,
    mode: p.mode,
    status: p.status,
    createdAt: p.createdAt,
  });
  const newest = [...rows].reverse();
  const payments = paymentsOf(ctx);
  return {
    team: { slug: team.slug, name: team.name },
    paymentMode: payments.mode,
    platformFeePercent: payments.platformFeePercent,
    seller: await sellerState(ctx.db, team.id),
    currencies,
    recentSales: newest.slice(0, 50).map(toRow),
    refunds: newest.filter((p) => p.status !== "paid").slice(0, 50).map(toRow),
  };
}
