// /v/[team]/[vector] — a task vector: its model card, versions (download when
// entitled, yank when a team member), listing terms and the foundation it is
// verified against.
import type { Metadata } from "next";
import Link from "next/link";
import { getFoundation, getVector } from "@graft/core";
import { getPageActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { renderMarkdown } from "@/server/markdown";
import { orNotFound } from "@/server/pages";
import { YankButton } from "@/components/YankButton";
import { ProposeTradeLink } from "@/components/ProposeTradeLink";
import { VectorReviews } from "@/components/VectorReviews";
import { BuyPanel } from "@/components/BuyPanel";
import { formatBytes, formatCount, formatDate, formatNumber, formatPrice } from "@/lib/format";

type Params = { team: string; vector: string };

export async function generateMetadata({ params }: { params: Promise<Params> }): Promise<Metadata> {
  const { team, vector } = await params;
  return { title: `${team}/${vector}` };
}

const ACCESS_LABEL: Record<string, string> = {
  "owner-team": "You are a member of the publishing team.",
  free: "Free to download.",
  purchase: "You bought this vector.",
  trade: "You obtained this vector in a trade.",
  grant: "You were granted access.",
};

export default async function VectorPage({ params }: { params: Promise<Params> }) {
  const { team, vector: slug } = await params;
  const ctx = getContext();
  const actor = await getPageActor();
  const vector = await orNotFound(() => getVector(ctx, actor, team, slug));
  const foundation = await getFoundation(ctx, vector.foundation.slug);
  const listing = vector.listing;
  const cardHtml = vector.cardMarkdown.trim() ? renderMarkdown(vector.cardMarkdown) : "";

  return (
    <div className="stack">
      <div className="spread">
        <div>
          <h1 data-testid="vector-title">{vector.name}</h1>
          <div className="muted mono">
            <Link href={`/teams/${vector.team.slug}`}>{vector.team.slug}</Link>/{vector.slug}
          </div>
        </div>
        {vector.viewer.canManage && (
          <Link className="button secondary" href={`/publish?team=${vector.team.slug}&foundation=${vector.foundation.slug}&vector=${vector.slug}`} data-testid="publish-new-version">
            Publish a new version
          </Link>
        )}
      </div>
      {vector.summary && <p style={{ fontSize: "1.1rem" }}>{vector.summary}</p>}
      <div className="tags">
        <span className="badge accent">{vector.task}</span>
        {vector.tags.map((t) => (
          <Link key={t} href={`/catalog?tags=${encodeURIComponent(t)}`} className="badge">
            {t}
          </Link>
        ))}
      </div>

      <div className="two-col">
        <div className="stack">
          <h2>Versions</h2>
          {vector.versions.length === 0 ? (
            <p className="muted">No versions available.</p>
          ) : (
            <table data-testid="versions-table">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Encoding</th>
                  <th>Size</th>
                  <th>L2 norm</th>
                  <th>Published</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {vector.versions.map((v) => (
                  <tr key={v.id} className={v.yanked ? "yanked" : undefined} data-testid={`version-row-${v.version}`}>
                    <td>
                      <span className="mono">{v.version}</span>
                      {v.changelog && <div className="muted small">{v.changelog}</div>}
                    </td>
                    <td>
                      {v.encoding}
                      <div className="muted small">from {v.sourceKind}</div>
                    </td>
                    <td>
                      {formatBytes(v.sizeBytes)}
                      <div className="muted small">{v.tensorCount} tensors</div>
                    </td>
                    <td className="mono">{formatNumber(v.normStats.l2)}</td>
                    <td>{formatDate(v.createdAt)}</td>
                    <td>
                      <div className="row" style={{ gap: "0.4rem" }}>
                        {v.yanked && <span className="badge danger">yanked</span>}
                        {v.canDownload && (
                          <a className="button small" href={`/api/v1/versions/${v.id}/download`} download data-testid={`download-${v.version}`}>
                            Download
                          </a>
                        )}
                        {vector.viewer.canManage && !v.yanked && <YankButton versionId={v.id} version={v.version} />}
                      </div>
                      <div className="muted small mono" title="sha256">
                        {v.sha256.slice(0, 12)}…
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h2>Model card</h2>
          {cardHtml ? (
            <div className="card markdown" data-testid="model-card" dangerouslySetInnerHTML={{ __html: cardHtml }} />
          ) : (
            <p className="muted">No model card.</p>
          )}
          <VectorReviews actor={actor} team={vector.team.slug} vector={vector.slug} />
        </div>

        <aside className="stack">
          <div className="card" data-testid="listing-box">
            <h3 style={{ marginTop: 0 }}>{formatPrice(listing?.kind, listing?.priceCents, listing?.currency)}</h3>
            {listing ? (
              <dl className="facts">
                <dt>Listing</dt>
                <dd>{listing.kind}</dd>
                <dt>Licence</dt>
                <dd>{listing.licence === "commercial" ? "Commercial use" : "Personal use"}</dd>
                <dt>Redistribution</dt>
                <dd>{listing.redistribution ? "allowed" : "not allowed"}</dd>
              </dl>
            ) : (
              <p className="muted small">Not listed publicly.</p>
            )}
            <ProposeTradeLink team={vector.team.slug} vector={vector.slug} listingKind={listing?.kind} inOwnerTeam={vector.viewer.role !== null} />
            <p className="small" style={{ marginBottom: 0 }}>
              {vector.viewer.access
                ? ACCESS_LABEL[vector.viewer.access]
                : actor
                  ? "You are not entitled to download this vector yet."
                  : (
                    <>
                      <Link href={`/signin?callbackUrl=${encodeURIComponent(`/v/${vector.team.slug}/${vector.slug}`)}`}>Sign in</Link> to get access.
                    </>
                  )}
            </p>
          </div>

          <BuyPanel vector={{ id: vector.id, teamSlug: vector.team.slug, slug: vector.slug }} listing={listing} access={vector.viewer.access} signedIn={actor !== null} />

          <div className="card" data-testid="compat-box">
            <h3 style={{ marginTop: 0 }}>Compatibility</h3>
            <p className="small">
              Every version is verified at publish time against foundation{" "}
              <Link href={`/foundations/${foundation.slug}`}>{foundation.name}</Link>.
            </p>
            <dl className="facts small">
              <dt>Architecture</dt>
              <dd>{foundation.architecture}</dd>
              <dt>Parameters</dt>
              <dd>{formatCount(foundation.parameterCount)}</dd>
              <dt>Fingerprint</dt>
              <dd className="mono" data-testid="foundation-fingerprint">
                {foundation.fingerprint}
              </dd>
            </dl>
          </div>

          <div className="card small">
            <dl className="facts">
              <dt>Downloads</dt>
              <dd>{formatCount(vector.downloads)}</dd>
              <dt>Rating</dt>
              <dd>{vector.rating.count ? `★ ${vector.rating.average?.toFixed(1)} (${vector.rating.count})` : "no ratings yet"}</dd>
              <dt>Created</dt>
              <dd>{formatDate(vector.createdAt)}</dd>
              <dt>Updated</dt>
              <dd>{formatDate(vector.updatedAt)}</dd>
            </dl>
          </div>
        </aside>
      </div>
    </div>
  );
}
