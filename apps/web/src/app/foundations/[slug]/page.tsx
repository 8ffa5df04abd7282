// /foundations/[slug] — a foundation's metadata and fingerprint, and its model
// tree: every task vector registered against it.
import type { Metadata } from "next";
import Link from "next/link";
import { canDownload, getFoundation } from "@graft/core";
import { TryItPanel } from "@/components/TryItPanel";
import { getPageActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { orNotFound } from "@/server/pages";
import { formatBytes, formatCount, formatDate, formatPrice } from "@/lib/format";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  return { title: (await params).slug };
}

export default async function FoundationPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const actor = await getPageActor();
  const foundation = await orNotFound(async () => getFoundation(getContext(), slug, actor));
  const tryable = await Promise.all(
    foundation.vectors
      .filter((v) => v.latestVersion)
      .map(async (v) => ({
        versionId: v.latestVersion!.id,
        label: `${v.team.slug}/${v.slug}@${v.latestVersion!.version}`,
        entitled: actor ? (await canDownload(getContext(), actor, v.latestVersion!.id)).allowed : false,
      })),
  );
  // Group the tree by publishing team: foundation → team → vectors.
  const byTeam = new Map<string, typeof foundation.vectors>();
  for (const v of foundation.vectors) byTeam.set(v.team.slug, [...(byTeam.get(v.team.slug) ?? []), v]);

  return (
    <div className="stack">
      <div className="spread">
        <div>
          <h1 data-testid="foundation-title">{foundation.name}</h1>
          <div className="muted mono">{foundation.slug}</div>
        </div>
        <Link className="button" href={`/publish?foundation=${foundation.slug}`}>
          Publish a vector for it
        </Link>
      </div>
      {foundation.description && <p>{foundation.description}</p>}
      <div className="card">
        <dl className="facts">
          <dt>Architecture</dt>
          <dd>{foundation.architecture}</dd>
          <dt>Parameters</dt>
          <dd>
            {formatCount(foundation.parameterCount)} in {foundation.tensorCount} tensors ({formatBytes(foundation.totalBytes)})
          </dd>
          <dt>Licence</dt>
          <dd>{foundation.licence}</dd>
          <dt>Fingerprint</dt>
          <dd className="mono" data-testid="foundation-fingerprint">
            {foundation.fingerprint}
          </dd>
          <dt>Weights</dt>
          <dd>{foundation.source === "upload" ? "uploaded to Graft" : "on the server"}</dd>
          <dt>Registered</dt>
          <dd>
            {formatDate(foundation.createdAt)}
            {foundation.team && (
              <>
                {" "}
                by <Link href={`/teams/${foundation.team.slug}`}>{foundation.team.name}</Link>
              </>
            )}
          </dd>
        </dl>
      </div>

      <h2>Try it</h2>
      <TryItPanel foundation={foundation.slug} vectors={tryable} signedIn={actor !== null} />

      <h2>Model tree</h2>
      {foundation.vectors.length === 0 ? (
        <p className="muted">No task vectors registered against this foundation yet.</p>
      ) : (
        <div className="card" data-testid="model-tree">
          <strong>{foundation.name}</strong>
          <ul className="tree">
            {[...byTeam.entries()].map(([team, vectors]) => (
              <li key={team}>
                <Link href={`/teams/${team}`}>{vectors[0].team.name}</Link>
                <ul className="tree">
                  {vectors.map((v) => (
                    <li key={v.id}>
                      <Link href={`/v/${v.team.slug}/${v.slug}`}>{v.name}</Link>{" "}
                      <span className="muted small">
                        {v.task}
                        {v.latestVersion && ` · v${v.latestVersion.version}`} · {formatPrice(v.listing?.kind, v.listing?.priceCents, v.listing?.currency)} ·{" "}
                        {formatCount(v.downloads)} downloads
                      </span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
