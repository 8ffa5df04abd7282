// /library — everything the signed-in user may use: purchases, trades, grants,
// their teams' own vectors and free vectors they downloaded, with the licence
// and the source of each.
import type { Metadata } from "next";
import Link from "next/link";
import { buyerLibrary, type LibrarySource } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";
import { formatDate, formatPrice } from "@/lib/format";

export const metadata: Metadata = { title: "Library" };

const SOURCE_LABEL: Record<LibrarySource, string> = {
  purchase: "Purchased",
  trade: "Traded",
  grant: "Granted",
  "owner-team": "Your team",
  free: "Free",
};

export default async function LibraryPage({ searchParams }: { searchParams: Promise<{ purchase?: string }> }) {
  const actor = await requirePageActor("/library");
  const items = await buyerLibrary(getContext(), actor);
  // Back from Stripe Checkout: access arrives with Stripe's webhook, usually within seconds.
  const { purchase } = await searchParams;
  const awaiting = typeof purchase === "string" && !items.some((i) => i.purchase?.id === purchase);
  return (
    <div className="stack">
      <h1>Library</h1>
      <p className="muted">Every task vector you may download and equip, with its licence and how you got it.</p>
      {awaiting && (
        <p className="alert success small" data-testid="awaiting-payment">
          Thanks! Your payment is being confirmed by Stripe; the vector appears here as soon as it is. Refresh in a moment.
        </p>
      )}
      {items.length === 0 ? (
        <p className="muted" data-testid="library-empty">
          Nothing here yet. <Link href="/catalog">Browse the catalog</Link>.
        </p>
      ) : (
        <table data-testid="library-table">
          <thead>
            <tr>
              <th>Vector</th>
              <th>Source</th>
              <th>Licence</th>
              <th>Since</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={`${i.vector.id}-${i.source}-${i.viaTeam ?? ""}`} data-testid={`library-item-${i.vector.slug}`}>
                <td>
                  <Link href={`/v/${i.vector.teamSlug}/${i.vector.slug}`}>{i.vector.name}</Link>
                  <div className="muted small mono">
                    {i.vector.teamSlug}/{i.vector.slug} · {i.vector.foundationSlug}
                  </div>
                </td>
                <td>
                  <span className="badge accent" data-testid="library-source">
                    {SOURCE_LABEL[i.source]}
                  </span>
                  {i.viaTeam && i.source !== "owner-team" && <div className="muted small">via team {i.viaTeam}</div>}
                  {i.purchase && (
                    <div className="muted small">
                      {formatPrice("paid", i.purchase.amountCents, i.purchase.currency)}
                      {i.purchase.mode === "test" ? " (test payment)" : ""}
                    </div>
                  )}
                </td>
                <td className="small" data-testid="library-licence">
                  {i.licenceSummary.join("; ") || "—"}
                </td>
                <td>{formatDate(i.since)}</td>
                <td>
                  {i.vector.latestVersion && (
                    <a className="button small" href={`/api/v1/versions/${i.vector.latestVersion.id}/download`} download data-testid={`library-download-${i.vector.slug}`}>
                      Download {i.vector.latestVersion.version}
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
