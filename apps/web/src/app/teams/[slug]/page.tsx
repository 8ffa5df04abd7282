// /teams/[slug] — a publishing team: members (managed by owners/admins) and its vectors.
import Link from "next/link";
import { getTeam } from "@graft/core";
import { getPageActor } from "@/server/auth";
import { getContext } from "@/server/context";
import { orNotFound } from "@/server/pages";
import { AddMemberForm, MemberRowControls } from "@/components/MemberControls";
import { formatDate, formatPrice } from "@/lib/format";

export default async function TeamPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const actor = await getPageActor();
  const team = await orNotFound(() => getTeam(getContext(), slug, actor));
  const canManage = team.viewerRole === "owner" || team.viewerRole === "admin";

  return (
    <div className="stack">
      <div className="spread">
        <div>
          <h1 data-testid="team-title">{team.name}</h1>
          <div className="muted mono">@{team.slug}</div>
        </div>
        {team.viewerRole && (
          <Link className="button" href={`/publish?team=${encodeURIComponent(team.slug)}`} data-testid="team-publish">
            Publish a vector
          </Link>
        )}
      </div>
      {team.description && <p>{team.description}</p>}
      {canManage && <Link href={`/teams/${team.slug}/sales`} data-testid="team-sales">Sales and payouts</Link>}

      <h2>Vectors</h2>
      {team.vectors.length === 0 ? (
        <p className="muted">No vectors published yet.</p>
      ) : (
        <table data-testid="team-vectors">
          <thead>
            <tr>
              <th>Vector</th>
              <th>Task</th>
              <th>Foundation</th>
              <th>Latest</th>
              <th>Price</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {team.vectors.map((v) => (
              <tr key={v.id}>
                <td>
                  <Link href={`/v/${team.slug}/${v.slug}`}>{v.name}</Link>
                  <div className="muted small">{v.summary}</div>
                </td>
                <td>{v.task}</td>
                <td>
                  <Link href={`/foundations/${v.foundation.slug}`}>{v.foundation.name}</Link>
                </td>
                <td className="mono">{v.latestVersion ?? "—"}</td>
                <td>{v.listing ? formatPrice(v.listing.kind, v.listing.priceCents, v.listing.currency) : "Unlisted"}</td>
                <td>{formatDate(v.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Members</h2>
      <table data-testid="team-members">
        <thead>
          <tr>
            <th>Member</th>
            <th>Role</th>
            <th>Joined</th>
            {canManage && <th />}
          </tr>
        </thead>
        <tbody>
          {team.members.map((m) => (
            <tr key={m.userId}>
              <td>
                {m.name ?? "—"} {m.email && <span className="muted small">{m.email}</span>}
              </td>
              <td>
                <span className="badge">{m.role}</span>
              </td>
              <td>{formatDate(m.joinedAt)}</td>
              {canManage && (
                <td>
                  <MemberRowControls key={m.role} teamSlug={team.slug} userId={m.userId} role={m.role} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {canManage && (
        <div className="card">
          <h3 style={{ marginTop: 0 }}>Add a member</h3>
          <AddMemberForm teamSlug={team.slug} />
        </div>
      )}
    </div>
  );
}
