// The card-sized view of a task vector used on the landing page, the catalog
// and a foundation's model tree.
import Link from "next/link";
import type { VectorSummary } from "@graft/core";
import { formatCount, formatDate, formatPrice } from "@/lib/format";

export function VectorCard({ vector }: { vector: VectorSummary }) {
  const href = `/v/${vector.team.slug}/${vector.slug}`;
  return (
    <article className="card vector-card" data-testid={`vector-card-${vector.team.slug}-${vector.slug}`}>
      <div className="spread">
        <h3>
          <Link href={href} data-testid="vector-link">
            {vector.name}
          </Link>
        </h3>
        <span className={`badge ${vector.listing?.kind === "free" ? "accent" : ""}`}>
          {formatPrice(vector.listing?.kind, vector.listing?.priceCents, vector.listing?.currency)}
        </span>
      </div>
      <div className="muted small mono">
        {vector.team.slug}/{vector.slug}
        {vector.latestVersion && ` · v${vector.latestVersion.version}`}
      </div>
      {vector.summary && <p>{vector.summary}</p>}
      <div className="tags">
        <span className="badge accent">{vector.task}</span>
        {vector.tags.map((t) => (
          <span key={t} className="badge">
            {t}
          </span>
        ))}
      </div>
      <div className="meta" style={{ marginTop: "0.6rem" }}>
        <span>
          on <Link href={`/foundations/${vector.foundation.slug}`}>{vector.foundation.name}</Link>
        </span>
        <span>{formatCount(vector.downloads)} downloads</span>
        {vector.rating.count > 0 && <span>★ {vector.rating.average?.toFixed(1)} ({vector.rating.count})</span>}
        <span>{formatDate(vector.updatedAt)}</span>
      </div>
    </article>
  );
}
