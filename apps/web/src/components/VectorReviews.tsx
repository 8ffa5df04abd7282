// The reviews section of a vector's page: the average, the latest reviews,
// and the form for users entitled to review (or why they cannot).
import { listReviews, type Actor } from "@graft/core";
import { getContext } from "@/server/context";
import { formatDate } from "@/lib/format";
import { ReviewForm } from "./ReviewForm";

const WHY_NOT: Record<string, string> = {
  "owner-team": "Members of the publishing team cannot review their own vector.",
  "download-first": "Download this vector to review it.",
  "not-entitled": "Only users entitled to this vector can review it.",
  "login-required": "Sign in to review this vector.",
};

export async function VectorReviews({ actor, team, vector }: { actor: Actor; team: string; vector: string }) {
  const { reviews, total, average, viewer } = await listReviews(getContext(), actor, team, vector, { limit: 20 });
  return (
    <section className="stack" data-testid="reviews">
      <h2>
        Reviews <span className="muted small">{total ? `★ ${average!.toFixed(1)} from ${total}` : "none yet"}</span>
      </h2>
      {viewer.canReview ? (
        <ReviewForm team={team} vector={vector} mine={viewer.mine && { rating: viewer.mine.rating, body: viewer.mine.body }} />
      ) : (
        <p className="muted small">{WHY_NOT[viewer.reason] ?? ""}</p>
      )}
      {reviews.map((r) => (
        <div key={r.id} className="card" data-testid="review">
          <div className="spread">
            <strong aria-label={`${r.rating} of 5 stars`}>{"★".repeat(r.rating) + "☆".repeat(5 - r.rating)}</strong>
            <span className="muted small">
              {r.user.name ?? "a user"} · {formatDate(r.createdAt)}
            </span>
          </div>
          {r.body && <p style={{ marginBottom: 0, whiteSpace: "pre-wrap" }}>{r.body}</p>}
        </div>
      ))}
    </section>
  );
}
