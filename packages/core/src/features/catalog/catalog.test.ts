import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { createEntitlement } from "../entitlements";
import { addMember } from "../teams";
import { yankVersion } from "../vectors";
import { getFoundation } from "../foundations";
import { getVector, listTags, listTasks, searchCatalog } from "./index";

// One catalog shared by the read-only tests below (publishing is the slow part).
let t: TestContext;
type U = Awaited<ReturnType<typeof makeUser>>;
let owner: U, member: U, outsider: U, buyer: U;
const ids: Record<string, { vectorId: string; versionId: string }> = {};

beforeAll(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  member = await makeUser(t.ctx, "member");
  outsider = await makeUser(t.ctx, "outsider");
  buyer = await makeUser(t.ctx, "buyer");
  await makeTeam(t.ctx, owner.actor, "acme");
  await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
  await registerTinyFoundation(t, owner.actor, "acme");
  await registerTinyFoundation(t, owner.actor, "acme", "other-base", 9);
  const other = await makeUser(t.ctx, "rival");
  await makeTeam(t.ctx, other.actor, "rivals");

  const specs = [
    { slug: "sentiment", name: "Sentiment", task: "classification", tags: ["english", "reviews"], summary: "Movie review polarity", listing: { kind: "free" as const, licence: "commercial" as const, redistribution: true } },
    { slug: "toxicity", name: "Toxicity filter", task: "safety", tags: ["english", "moderation"], summary: "Flags toxic text", listing: { kind: "paid" as const, priceCents: 500, licence: "commercial" as const, redistribution: false } },
    { slug: "pirate", name: "Pirate speak", task: "style", tags: ["fun"], summary: "Arr", cardMarkdown: "Talks like a buccaneer", listing: { kind: "paid" as const, priceCents: 2500, licence: "personal" as const, redistribution: false } },
    { slug: "legal", name: "Legal domain", task: "domain", tags: ["law", "english"], summary: "Contracts", listing: { kind: "trade" as const, licence: "commercial" as const, redistribution: false } },
    { slug: "secret", name: "Secret sauce", task: "domain", tags: ["internal"], summary: "Not listed", listing: undefined },
    { slug: "withdrawn", name: "Withdrawn", task: "style", tags: ["fun"], summary: "All versions yanked", listing: { kind: "free" as const, licence: "personal" as const, redistribution: false } },
  ];
  for (const s of specs) {
    const { slug, ...rest } = s;
    const r = await publishTestVector(t, owner.actor, { vectorSlug: slug, ...rest });
    ids[slug] = { vectorId: r.vector.id, versionId: r.version.id };
  }
  const rival = await publishTestVector(t, other.actor, {
    teamSlug: "rivals",
    foundationSlug: "other-base",
    baseSeed: 9,
    vectorSlug: "rival-sentiment",
    name: "Rival sentiment",
    task: "classification",
    tags: ["english"],
    summary: "Another sentiment vector",
  } as never);
  ids["rival-sentiment"] = { vectorId: rival.vector.id, versionId: rival.version.id };
  await yankVersion(t.ctx, owner.actor, ids.withdrawn.versionId);
  // Downloads and ratings for sorting.
  const stats: Record<string, [number, number, number]> = { sentiment: [50, 8, 2], toxicity: [10, 15, 3], pirate: [99, 0, 0], legal: [1, 4, 1], "rival-sentiment": [20, 9, 2] };
  for (const [slug, [downloads, ratingSum, ratingCount]] of Object.entries(stats)) {
    await t.ctx.db.taskVector.update({ where: { id: ids[slug].vectorId }, data: { downloads, ratingSum, ratingCount } });
  }
}, 240_000);
afterAll(async () => {
  await t.cleanup();
});

const slugs = (r: { items: { slug: string }[] }) => r.items.map((i) => i.slug);

describe("searchCatalog", () => {
  it("shows only listed vectors with a non-yanked version, newest first by default", async () => {
    const r = await searchCatalog(t.ctx, {});
    expect(slugs(r)).toEqual(["rival-sentiment", "legal", "pirate", "toxicity", "sentiment"]);
    expect(r).toMatchObject({ total: 5, page: 1, pageSize: 20 });
    expect(r.items[0]).toMatchObject({ team: { slug: "rivals" }, foundation: { slug: "other-base" }, latestVersion: { version: "1.0.0" } });
  });

  it("searches name, summary, card, tags and team, every word required", async () => {
    expect(slugs(await searchCatalog(t.ctx, { q: "sentiment" })).sort()).toEqual(["rival-sentiment", "sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { q: "buccaneer" }))).toEqual(["pirate"]);
    expect(slugs(await searchCatalog(t.ctx, { q: "moderation" }))).toEqual(["toxicity"]);
    expect(slugs(await searchCatalog(t.ctx, { q: "rivals" }))).toEqual(["rival-sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { q: "MOVIE polarity" }))).toEqual(["sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { q: "movie pirate" }))).toEqual([]);
    expect(slugs(await searchCatalog(t.ctx, { q: "secret" }))).toEqual([]);
  });

  it("filters by foundation, task, tags, licence, listing kind and price", async () => {
    expect(slugs(await searchCatalog(t.ctx, { foundation: "other-base" }))).toEqual(["rival-sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { task: "classification" })).sort()).toEqual(["rival-sentiment", "sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { tags: ["english", "law"] }))).toEqual(["legal"]);
    expect(slugs(await searchCatalog(t.ctx, { licence: "personal" }))).toEqual(["rival-sentiment", "pirate"]);
    expect(slugs(await searchCatalog(t.ctx, { listingKind: "paid" }))).toEqual(["pirate", "toxicity"]);
    expect(slugs(await searchCatalog(t.ctx, { maxPriceCents: 1000 }))).toEqual(["rival-sentiment", "legal", "toxicity", "sentiment"]);
    expect(slugs(await searchCatalog(t.ctx, { listingKind: "paid", maxPriceCents: 1000 }))).toEqual(["toxicity"]);
  });

  it("sorts by downloads and by average rating (unrated last)", async () => {
    expect(slugs(await searchCatalog(t.ctx, { sort: "downloads" }))).toEqual(["pirate", "sentiment", "rival-sentiment", "toxicity", "legal"]);
    // averages: toxicity 5, rival 4.5, sentiment 4, legal 4 (fewer ratings), pirate unrated
    expect(slugs(await searchCatalog(t.ctx, { sort: "rating" }))).toEqual(["toxicity", "rival-sentiment", "sentiment", "legal", "pirate"]);
  });

  it("paginates with a stable order and an exact total", async () => {
    const p1 = await searchCatalog(t.ctx, { sort: "downloads", page: 1, pageSize: 2 });
    const p2 = await searchCatalog(t.ctx, { sort: "downloads", page: 2, pageSize: 2 });
    const p3 = await searchCatalog(t.ctx, { sort: "downloads", page: 3, pageSize: 2 });
    expect([...slugs(p1), ...slugs(p2), ...slugs(p3)]).toEqual(["pirate", "sentiment", "rival-sentiment", "toxicity", "legal"]);
    expect(p3).toMatchObject({ total: 5, page: 3, pageSize: 2 });
    const r2 = await searchCatalog(t.ctx, { sort: "rating", page: 2, pageSize: 2 });
    expect(slugs(r2)).toEqual(["sentiment", "legal"]);
    await expect(searchCatalog(t.ctx, { pageSize: 1000 })).rejects.toMatchObject({ code: "INVALID" });
    await expect(searchCatalog(t.ctx, { page: 0 })).rejects.toMatchObject({ code: "INVALID" });
  });
});

describe("listTasks / listTags", () => {
  it("counts only publicly listed vectors", async () => {
    expect(await listTasks(t.ctx)).toEqual([
      { task: "classification", count: 2 },
      { task: "domain", count: 1 },
      { task: "safety", count: 1 },
      { task: "style", count: 1 },
    ]);
    const tags = await listTags(t.ctx);
    expect(tags[0]).toEqual({ tag: "english", count: 4 });
    expect(tags.map((x) => x.tag)).not.toContain("internal");
    expect(tags.find((x) => x.tag === "fun")).toEqual({ tag: "fun", count: 1 });
  });
});

describe("getVector", () => {
  it("shows a listed vector to anyone with its versions and what the viewer may do", async () => {
    const v = await getVector(t.ctx, null, "acme", "sentiment");
    expect(v).toMatchObject({ slug: "sentiment", listing: { kind: "free" }, viewer: { role: null, access: "free", canManage: false } });
    expect(v.versions).toEqual([expect.objectContaining({ version: "1.0.0", canDownload: true, yanked: false })]);
    const paid = await getVector(t.ctx, outsider.actor, "acme", "toxicity");
    expect(paid.viewer.access).toBeNull();
    expect(paid.versions[0].canDownload).toBe(false);
    expect((await getVector(t.ctx, member.actor, "acme", "toxicity")).viewer).toEqual({ role: "member", access: "owner-team", canManage: true });
  });

  it("hides unlisted vectors from everyone but the team and entitled users", async () => {
    await expect(getVector(t.ctx, null, "acme", "secret")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getVector(t.ctx, outsider.actor, "acme", "secret")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await getVector(t.ctx, member.actor, "acme", "secret")).slug).toBe("secret");
    const grantee = await makeUser(t.ctx, "grantee");
    await createEntitlement(t.ctx.db, { vectorId: ids.secret.vectorId, userId: grantee.id, source: "grant" });
    expect((await getVector(t.ctx, grantee.actor, "acme", "secret")).viewer.access).toBe("grant");
    await expect(getVector(t.ctx, null, "acme", "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(getVector(t.ctx, null, "nope", "secret")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("flags yanked versions for the team and entitled users and hides them from others", async () => {
    await expect(getVector(t.ctx, outsider.actor, "acme", "withdrawn")).resolves.toMatchObject({ versions: [], latestVersion: null });
    const forTeam = await getVector(t.ctx, owner.actor, "acme", "withdrawn");
    expect(forTeam.versions).toEqual([expect.objectContaining({ yanked: true, canDownload: true })]);
    await createEntitlement(t.ctx.db, { vectorId: ids.withdrawn.vectorId, userId: buyer.id, source: "purchase" });
    expect((await getVector(t.ctx, buyer.actor, "acme", "withdrawn")).versions).toEqual([expect.objectContaining({ yanked: true, canDownload: true })]);
  });
});

describe("getFoundation model tree", () => {
  it("lists the listed vectors made against the foundation, plus the viewer's team's unlisted ones", async () => {
    const pub = await getFoundation(t.ctx, "tiny-base");
    expect(pub.vectors.map((v) => v.slug).sort()).toEqual(["legal", "pirate", "sentiment", "toxicity"]);
    const mine = await getFoundation(t.ctx, "tiny-base", member.actor);
    expect(mine.vectors.map((v) => v.slug).sort()).toEqual(["legal", "pirate", "secret", "sentiment", "toxicity", "withdrawn"]);
    expect(pub.vectorCount).toBe(6);
  });
});


