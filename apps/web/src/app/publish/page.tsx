// /publish — publish a new vector or a new version of one of your team's vectors.
import Link from "next/link";
import { listFoundations, listMyTeams } from "@graft/core";
import { getContext } from "@/server/context";
import { requirePageActor } from "@/server/pages";
import { PublishForm } from "@/components/PublishForm";

export const metadata = { title: "Publish" };

export default async function PublishPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const actor = await requirePageActor("/publish");
  const sp = await searchParams;
  const one = (k: string) => (typeof sp[k] === "string" ? (sp[k] as string) : undefined);
  const ctx = getContext();
  const [teams, foundations] = await Promise.all([listMyTeams(ctx, actor), listFoundations(ctx)]);
  return (
    <div className="stack">
      <h1>Publish a task vector</h1>
      {teams.length === 0 ? (
        <p>
          Vectors are published by teams. <Link href="/teams/new">Create a team</Link> first.
        </p>
      ) : foundations.length === 0 ? (
        <p>
          No foundation is registered yet. <Link href="/foundations/new">Register one</Link> first.
        </p>
      ) : (
        <div className="card">
          <PublishForm
            teams={teams.map((t) => ({ slug: t.slug, name: t.name }))}
            foundations={foundations.map((f) => ({ slug: f.slug, name: f.name }))}
            defaults={{ team: one("team"), foundation: one("foundation"), vector: one("vector") }}
          />
        </div>
      )}
    </div>
  );
}
