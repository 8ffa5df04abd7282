// On a trade-only vector's page: the way to propose a trade for it (not for
// its own team; anonymous visitors are sent to sign in first).
import Link from "next/link";

export function ProposeTradeLink({ team, vector, listingKind, inOwnerTeam }: { team: string; vector: string; listingKind: string | undefined; inOwnerTeam: boolean }) {
  if (listingKind !== "trade" || inOwnerTeam) return null;
  return (
    <Link className="button" style={{ marginTop: "0.75rem" }} href={`/trades/new?to=${encodeURIComponent(team)}&want=${encodeURIComponent(vector)}`} data-testid="propose-trade">
      Propose a trade
    </Link>
  );
}
