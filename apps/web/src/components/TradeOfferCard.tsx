// One trade offer: who gives what to whom, its status and expiry, and the
// actions the viewer may take.
import Link from "next/link";
import type { TradeOfferView, TradeVectorRef } from "@graft/core";
import { formatDate } from "@/lib/format";
import { TradeActions } from "./TradeActions";

function Vectors({ items }: { items: TradeVectorRef[] }) {
  return (
    <ul style={{ margin: "0.25rem 0", paddingLeft: "1.2rem" }}>
      {items.map((v) => (
        <li key={v.id}>
          <Link href={`/v/${v.team.slug}/${v.slug}`}>{v.name}</Link> <span className="muted small mono">{v.team.slug}/{v.slug}</span>
        </li>
      ))}
    </ul>
  );
}

const STATUS_BADGE: Record<string, string> = { open: "accent", accepted: "accent", declined: "danger", withdrawn: "", countered: "warn", expired: "" };

export function TradeOfferCard({ offer }: { offer: TradeOfferView }) {
  const counterHref = `/trades/new?to=${encodeURIComponent(offer.from.slug)}&counter=${encodeURIComponent(offer.id)}`;
  return (
    <div className="card stack" data-testid="trade-offer" data-offer-id={offer.id} data-status={offer.status}>
      <div className="spread">
        <strong>
          <Link href={`/teams/${offer.from.slug}`}>{offer.from.name}</Link> → <Link href={`/teams/${offer.to.slug}`}>{offer.to.name}</Link>
        </strong>
        <span className={`badge ${STATUS_BADGE[offer.status] ?? ""}`} data-testid="trade-status">
          {offer.status}
        </span>
      </div>
      <div className="form-row">
        <div>
          <div className="muted small">{offer.from.name} gives</div>
          <Vectors items={offer.offered} />
        </div>
        <div>
          <div className="muted small">{offer.to.name} gives</div>
          <Vectors items={offer.requested} />
        </div>
      </div>
      {offer.message && <blockquote style={{ margin: 0 }}>{offer.message}</blockquote>}
      <div className="muted small">
        Proposed {formatDate(offer.createdAt)}
        {offer.createdBy?.name ? ` by ${offer.createdBy.name}` : ""}
        {offer.status === "open" ? ` · expires ${formatDate(offer.expiresAt)}` : offer.respondedAt ? ` · closed ${formatDate(offer.respondedAt)}` : ""}
        {offer.counterOfId ? " · a counter-offer" : ""}
      </div>
      <TradeActions offerId={offer.id} canAnswer={offer.viewer.canAnswer} canWithdraw={offer.viewer.canWithdraw} counterHref={counterHref} />
    </div>
  );
}
