// The buy panel of a vector page: the licence terms first, then the way to
// pay — Stripe Checkout, or a clearly labelled test payment when this server
// runs without Stripe keys outside production.
import Link from "next/link";
import { licenceSummary, paymentsOf, sellerState } from "@graft/core";
import { getContext } from "@/server/context";
import { formatPrice } from "@/lib/format";
import { BuyButton } from "./BuyButton";

interface Props {
  vector: { id: string; teamSlug: string; slug: string };
  listing: { kind: string; priceCents: number | null; currency: string; licence: string; redistribution: boolean; active?: boolean } | null;
  /** The viewer's access (owner-team, purchase, trade, grant, free) or null. */
  access: string | null;
  signedIn: boolean;
}

export async function BuyPanel({ vector, listing, access, signedIn }: Props) {
  if (!listing || listing.kind !== "paid" || listing.active === false) return null;
  const ctx = getContext();
  const mode = paymentsOf(ctx).mode;
  const price = formatPrice(listing.kind, listing.priceCents, listing.currency);
  const here = `/v/${vector.teamSlug}/${vector.slug}`;

  let action: React.ReactNode;
  if (access) {
    action = access === "owner-team" ? <p className="small muted">Your team publishes this vector.</p> : (
      <p className="small" data-testid="owned-notice">
        You own this vector. <Link href="/library">Open your library</Link>
      </p>
    );
  } else if (!signedIn) {
    action = (
      <p className="small">
        <Link href={`/signin?callbackUrl=${encodeURIComponent(here)}`}>Sign in</Link> to buy.
      </p>
    );
  } else if (mode === "disabled") {
    action = <p className="alert error small">Paid checkout is unavailable: this server has no Stripe keys configured.</p>;
  } else if (mode === "stripe" && !(await sellsThroughStripe(vector.teamSlug))) {
    action = <p className="alert error small">The seller has not finished setting up payouts yet, so this vector cannot be bought right now.</p>;
  } else {
    action = <BuyButton vectorId={vector.id} price={price} testMode={mode === "test"} />;
  }

  return (
    <div className="card" data-testid="buy-panel">
      <h3 style={{ marginTop: 0 }}>Buy {price}</h3>
      <p className="small muted" style={{ marginBottom: "0.3rem" }}>
        One-off purchase. Licence terms:
      </p>
      <ul className="small" data-testid="licence-terms">
        {licenceSummary(listing).map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      {mode === "test" && !access && (
        <p className="badge warn" data-testid="test-payment-label">
          Test payment mode — no money moves
        </p>
      )}
      {action}
    </div>
  );
}

async function sellsThroughStripe(teamSlug: string): Promise<boolean> {
  const ctx = getContext();
  const team = await ctx.db.team.findUnique({ where: { slug: teamSlug }, select: { id: true } });
  return team !== null && (await sellerState(ctx.db, team.id)).chargesEnabled;
}
