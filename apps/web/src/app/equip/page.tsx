// /equip — build a merge of task vectors from your library onto a foundation.
// ?recipe=<share slug or own recipe id> loads a saved recipe into the builder.
import Link from "next/link";
import { equipMethods, listFoundations, loadRecipe } from "@graft/core";
import { getContext } from "@/server/context";
import { orNotFound, requirePageActor } from "@/server/pages";
import { EquipBuilder } from "@/components/equip/EquipBuilder";
import type { Choices } from "@/components/equip/types";

export const metadata = { title: "Equip" };

export default async function EquipPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const recipeKey = typeof sp.recipe === "string" ? sp.recipe : undefined;
  const actor = await requirePageActor(recipeKey ? `/equip?recipe=${encodeURIComponent(recipeKey)}` : "/equip");
  const ctx = getContext();
  const foundations = await listFoundations(ctx);
  const recipe = recipeKey ? await orNotFound(() => loadRecipe(ctx, actor, recipeKey)) : null;
  return (
    <div className="stack">
      <div className="spread">
        <h1>Equip a foundation model</h1>
        <Link href="/jobs">My merge jobs</Link>
      </div>
      <p className="muted">Pick task vectors you own, set their weights and a merge method, check how they interfere, and get the merged model.</p>
      {recipe && <div className="alert success">Loaded recipe “{recipe.name}”.</div>}
      {foundations.length === 0 ? (
        <p>No foundation is registered yet.</p>
      ) : (
        <EquipBuilder foundations={foundations.map((f) => ({ slug: f.slug, name: f.name }))} methods={equipMethods()} initial={recipe?.choices as Choices | undefined} />
      )}
    </div>
  );
}
