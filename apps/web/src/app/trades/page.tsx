// /trades — trade offers of the signed-in user's teams: incoming (to answer),
// outgoing (to withdraw) and the history of closed ones.
import { listTradeOffers, type TradeOfferView } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";
import { TradeOfferCard } from "@/components/TradeOfferCard";

export const metadata = { title: "Trades" };

function Section({ title, offers, testId, empty }: { title: string; offers: TradeOfferView[]; testId: string; empty: string }) {
  return (
    <section className="stack" data-testid={testId}>
      <h2>
        {title} <span className="muted small">({offers.length})</span>
      </h2>
      {offers.length === 0 ? <p className="muted">{empty}</p> : offers.map((o) => <TradeOfferCard key={o.id} offer={o} />)}
    </section>
  );
}

export default async function TradesPage() {
  const actor = await requirePageActor("/trades");
  const ctx = getContext();
  const [incoming, outgoing, history] = await Promise.all(
    (["incoming", "outgoing", "history"] as const).map((box) => listTradeOffers(ctx, actor, { box })),
  );
  return (
    <div className="stack">
      <h1>Trades</h1>
      <p className="muted">
        Teams swap vectors: propose a trade from a trade-only vector&apos;s page. When an offer is accepted, each team can download what it
        received. Admins and owners answer offers; every member sees them.
      </p>
      <Section title="Incoming offers" offers={incoming} testId="incoming-offers" empty="No open offers to your teams." />
      <Section title="Outgoing offers" offers={outgoing} testId="outgoing-offers" empty="No open offers from your teams." />
      <Section title="History" offers={history} testId="trade-history" empty="No closed offers yet." />
    </div>
  );
}
