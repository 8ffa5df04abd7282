// /trades/new?to=<team>&want=<vector>[&counter=<offer id>] — propose a trade
// to a team, or counter one of its offers (terms pre-filled, reversed).
import { DEFAULT_EXPIRY_DAYS, getTradeOffer, MAX_EXPIRY_DAYS, tradeFormOptions } from "@graft/core";
import { getContext } from "@/server/context";
import { orNotFound, requirePageActor } from "@/server/pages";
import { TradeProposalForm } from "@/components/TradeProposalForm";

export const metadata = { title: "Propose a trade" };

type Search = { to?: string; want?: string | string[]; counter?: string };
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export default async function NewTradePage({ searchParams }: { searchParams: Promise<Search> }) {
  const sp = await searchParams;
  const query = new URLSearchParams(Object.entries(sp).flatMap(([k, v]) => list(v).map((x) => [k, x]))).toString();
  const actor = await requirePageActor(`/trades/new${query ? `?${query}` : ""}`);
  const ctx = getContext();
  const counter = sp.counter ? await orNotFound(() => getTradeOffer(ctx, actor, sp.counter!)) : null;
  const to = counter ? counter.from.slug : sp.to;
  if (!to) return <p className="alert error">Open this page from a trade-only vector (no team to trade with was given).</p>;
  const options = await orNotFound(() => tradeFormOptions(ctx, actor, to, counter?.id));
  const myTeams = counter ? options.myTeams.filter((t) => t.slug === counter.to.slug) : options.myTeams;
  return (
    <div className="stack">
      <h1>{counter ? "Counter an offer" : "Propose a trade"}</h1>
      <p className="muted">
        {counter
          ? `Answer ${counter.from.name}'s offer with other terms; their offer closes and yours goes to them.`
          : `Offer some of your team's vectors for some of ${options.theirTeam.name}'s. If they accept, both teams can download what they received.`}
      </p>
      <TradeProposalForm
        myTeams={myTeams}
        theirTeam={options.theirTeam}
        want={counter ? counter.offered.map((v) => v.slug) : list(sp.want)}
        give={counter ? counter.requested.map((v) => v.slug) : []}
        counterOf={counter?.id}
        defaultDays={DEFAULT_EXPIRY_DAYS}
        maxDays={MAX_EXPIRY_DAYS}
      />
    </div>
  );
}
