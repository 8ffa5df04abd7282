// /foundations/new — register a foundation model for one of your teams.
import Link from "next/link";
import { listMyTeams } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";
import { NewFoundationForm } from "@/components/NewFoundationForm";

export const metadata = { title: "Register a foundation" };

export default async function NewFoundationPage() {
  const actor = await requirePageActor("/foundations/new");
  const teams = (await listMyTeams(getContext(), actor)).filter((t) => t.role === "owner" || t.role === "admin");
  return (
    <div className="card" style={{ maxWidth: 760 }}>
      <h1>Register a foundation</h1>
      {teams.length === 0 ? (
        <p>
          Foundations are registered by a team you administer. <Link href="/teams/new">Create a team</Link> first.
        </p>
      ) : (
        <NewFoundationForm teams={teams.map((t) => ({ slug: t.slug, name: t.name }))} />
      )}
    </div>
  );
}
