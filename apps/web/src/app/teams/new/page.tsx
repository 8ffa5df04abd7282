// /teams/new — create a publishing team.
import { requirePageActor } from "@/server/pages";
import { NewTeamForm } from "@/components/NewTeamForm";

export const metadata = { title: "New team" };

export default async function NewTeamPage() {
  await requirePageActor("/teams/new");
  return (
    <div className="card" style={{ maxWidth: 680 }}>
      <h1>New team</h1>
      <p className="muted">Vectors are published by teams. You will be the team&apos;s owner and can add members afterwards.</p>
      <NewTeamForm />
    </div>
  );
}
