// A small marketplace for the Equip tests, set up through the API: an owner
// with a team, a foundation (uploaded), a free and a paid task vector, and a
// buyer who owns neither paid vector nor team.
import { ApiClient, multipart, unique } from "./client";
import type { FixtureSet } from "./fixtures";

export interface EquipWorld {
  owner: ApiClient;
  ownerEmail: string;
  buyer: ApiClient;
  team: string;
  foundation: string;
  free: string;
  paid: string;
}

async function must(res: Promise<{ status: number; body: any }>, status: number, what: string) {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

export async function setUpEquipWorld(baseUrl: string, fx: FixtureSet): Promise<EquipWorld> {
  const owner = new ApiClient(baseUrl);
  const ownerEmail = `${unique("equip-owner")}@example.com`;
  await owner.signUp(ownerEmail, "correct-horse-battery", "Equip Owner");
  const buyer = new ApiClient(baseUrl);
  await buyer.signUp(`${unique("equip-buyer")}@example.com`);
  const team = unique("equip");
  await must(owner.post("/api/v1/teams", { slug: team, name: "Equip Lab" }), 201, "team");
  const foundation = unique("equip-base");
  await must(
    owner.post("/api/v1/foundations", await multipart({ teamSlug: team, slug: foundation, name: "Equip Base", architecture: "llama", licence: "mit" }, { file: fx.base })),
    201,
    "foundation",
  );
  const publish = async (slug: string, file: string, listing: Record<string, unknown>) => {
    const meta = { teamSlug: team, foundationSlug: foundation, vectorSlug: slug, name: slug, task: "qa", version: "1.0.0", listing };
    await must(owner.post("/api/v1/vectors/publish", await multipart({ meta: JSON.stringify(meta) }, { file })), 201, `publish ${slug}`);
    return `${team}/${slug}@1.0.0`;
  };
  const free = await publish("summarise", fx.taskVector, { kind: "free", licence: "commercial", redistribution: false });
  const paid = await publish("translate", fx.taskVector2, { kind: "paid", priceCents: 900, licence: "personal", redistribution: false });
  return { owner, ownerEmail, buyer, team, foundation, free, paid };
}

/** A registry recipe over `refs` with the given weights. */
export function equipRecipe(foundation: string, method: string, vectors: [string, number][], extra = ""): string {
  return `merge_method: ${method}\nbase_model: ${foundation}\nmodels:\n${vectors.map(([ref, w]) => `  - model: ${ref}\n    parameters: { weight: ${w} }\n`).join("")}random_seed: 5\n${extra}`;
}
