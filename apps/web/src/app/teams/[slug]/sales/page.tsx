// /teams/[slug]/sales — the seller dashboard (team admins): sales, revenue and
// fees over time, payout onboarding state, recent sales and refunds.
import type { Metadata } from "next";
import Link from "next/link";
import { sellerDashboard, type SaleRow } from "@graft/core";
import { getContext } from "@/server/context";
import { orNotFound, requirePageActor } from "@/server/pages";
import { OnboardButton, RefundButton } from "@/components/SellerActions";
import { SalesChart } from "@/components/SalesChart";
import { formatDate, formatPrice } from "@/lib/format";

type Params = { slug: string };

export async function generateMetadata({ params }: { params: Promise<Params> }): Promise<Metadata> {
  return { title: `Sales · ${(await params).slug}` };
}

const money = (cents: number, currency: string) => formatPrice("paid", cents, currency);

function SalesTable({ rows, refundable, testId }: { rows: SaleRow[]; refundable: boolean; testId: string }) {
  if (rows.length === 0) return <p className="muted small">None yet.</p>;
  return (
    <table data-testid={testId}>
      <thead>
        <tr>
          <th>Date</th>
          <th>Vector</th>
          <th>Buyer</th>
          <th>Amount</th>
          <th>Fee</th>
          <th>Status</th>
          {refundable && <th />}
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr key={s.purchaseId}>
            <td>{formatDate(s.createdAt)}</td>
            <td className="mono">{s.vector.slug}</td>
            <td className="small">{s.buyer.name ?? s.buyer.email}</td>
            <td>
              {money(s.amountCents, s.currency)}
              {s.mode === "test" && <div className="muted small">test payment</div>}
            </td>
            <td>{money(s.feeCents, s.currency)}</td>
            <td>
              <span className={`badge ${s.status === "paid" ? "accent" : "danger"}`}>{s.status}</span>
            </td>
            {refundable && <td>{s.status === "paid" && <RefundButton purchaseId={s.purchaseId} />}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default async function SalesPage({ params }: { params: Promise<Params> }) {
  const { slug } = await params;
  const actor = await requirePageActor(`/teams/${slug}/sales`);
  const d = await orNotFound(() => sellerDashboard(getContext(), actor, slug));
  const s = d.seller;
  const onboarding = !s.connected ? "Not connected" : s.chargesEnabled && s.payoutsEnabled ? "Ready: charges and payouts enabled" : s.detailsSubmitted ? "Under review by Stripe" : "Onboarding not finished";

  return (
    <div className="stack">
      <div className="spread">
        <div>
          <h1>Sales</h1>
          <div className="muted">
            <Link href={`/teams/${d.team.slug}`}>{d.team.name}</Link> · platform fee {d.platformFeePercent}%
          </div>
        </div>
      </div>

      <div className="card" data-testid="onboarding-state">
        <h3 style={{ marginTop: 0 }}>Payouts</h3>
        {d.paymentMode === "stripe" ? (
          <>
            <p>
              Stripe Connect: <strong>{onboarding}</strong>
              {s.stripeAccountId && <span className="muted small mono"> ({s.stripeAccountId})</span>}
            </p>
            {!(s.chargesEnabled && s.payoutsEnabled) && <OnboardButton teamSlug={d.team.slug} label={s.connected ? "Continue Stripe onboarding" : "Connect Stripe for payouts"} />}
          </>
        ) : d.paymentMode === "test" ? (
          <p className="small">
            <span className="badge warn">Test payment mode</span> This server has no Stripe keys: purchases complete locally and no money moves.
          </p>
        ) : (
          <p className="alert error small">This server has no Stripe keys: paid listings cannot be sold.</p>
        )}
      </div>

      {Object.keys(d.currencies).length === 0 ? (
        <p className="muted" data-testid="no-sales">
          No sales in the last 90 days.
        </p>
      ) : (
        Object.entries(d.currencies).map(([currency, c]) => (
          <div className="card" key={currency} data-testid={`sales-${currency}`}>
            <h3 style={{ marginTop: 0 }}>{currency.toUpperCase()}</h3>
            <div className="row small">
              <span>
                Sales <strong>{c.totals.sales}</strong>
              </span>
              <span>
                Revenue <strong>{money(c.totals.grossCents, currency)}</strong>
              </span>
              <span>
                Fees <strong>{money(c.totals.feeCents, currency)}</strong>
              </span>
              <span>
                Net <strong>{money(c.totals.netCents, currency)}</strong>
              </span>
              <span>
                Refunds <strong>{c.totals.refunds}</strong>
              </span>
            </div>
            <SalesChart currency={currency} daily={c.daily} />
          </div>
        ))
      )}

      <h2>Recent sales</h2>
      <SalesTable rows={d.recentSales} refundable testId="recent-sales" />
      <h2>Refunds and disputes</h2>
      <SalesTable rows={d.refunds} refundable={false} testId="refunds" />
    </div>
  );
}
