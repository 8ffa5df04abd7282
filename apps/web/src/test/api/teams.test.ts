// Teams and roles over real HTTP: owners, admins and members, and the rules
// about who may add, promote and remove whom.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../server";
import { ApiClient, unique } from "../client";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
}, 900_000);

afterAll(async () => {
  await server?.stop();
});

async function user(name: string) {
  const client = new ApiClient(server.baseUrl);
  const email = `${unique(name)}@example.com`;
  const u = await client.signUp(email);
  return { client, id: u.id, email };
}

describe("teams", () => {
  it("creates a team with the creator as owner and refuses a taken slug", async () => {
    const owner = await user("olga");
    const slug = unique("acme");
    const created = await owner.client.post("/api/v1/teams", { slug, name: "Acme Labs", description: "We fine-tune." });
    expect(created.status).toBe(201);
    expect(created.body.team).toMatchObject({ slug, name: "Acme Labs" });

    const mine = await owner.client.get("/api/v1/teams");
    expect(mine.body.teams).toEqual([expect.objectContaining({ slug, role: "owner" })]);

    const again = await owner.client.post("/api/v1/teams", { slug, name: "Other" });
    expect(again.status).toBe(409);

    const bad = await owner.client.post("/api/v1/teams", { slug: "Not A Slug!", name: "x" });
    expect(bad.status).toBe(422);

    const anon = await owner.client.anonymous().post("/api/v1/teams", { slug: unique("x"), name: "x" });
    expect(anon.status).toBe(401);

    const page = await owner.client.anonymous().get(`/api/v1/teams/${slug}`);
    expect(page.status).toBe(200);
    expect(page.body.team.members).toEqual([expect.objectContaining({ userId: owner.id, role: "owner", email: null })]);
    expect(page.body.team.viewerRole).toBeNull();

    const asMember = await owner.client.get(`/api/v1/teams/${slug}`);
    expect(asMember.body.team.viewerRole).toBe("owner");
    expect(asMember.body.team.members[0].email).toBe(owner.email);

    expect((await owner.client.get("/api/v1/teams/no-such-team")).status).toBe(404);
  });

  it("applies roles to membership changes", async () => {
    const owner = await user("otto");
    const admin = await user("ada");
    const member = await user("mia");
    const outsider = await user("oscar");
    const slug = unique("team");
    await owner.client.post("/api/v1/teams", { slug, name: "Roles" });
    const members = `/api/v1/teams/${slug}/members`;

    expect((await owner.client.post(members, { email: admin.email, role: "admin" })).status).toBe(201);
    expect((await owner.client.post(members, { email: admin.email, role: "member" })).status).toBe(409);
    expect((await owner.client.post(members, { email: "nobody@example.com" })).status).toBe(404);

    // Admins add members but cannot make owners; members and outsiders cannot add anyone.
    expect((await admin.client.post(members, { email: member.email, role: "member" })).status).toBe(201);
    expect((await admin.client.post(members, { email: outsider.email, role: "owner" })).status).toBe(403);
    expect((await member.client.post(members, { email: outsider.email })).status).toBe(403);
    expect((await outsider.client.post(members, { email: outsider.email })).status).toBe(403);

    // Role changes: admins cannot grant owner; owners can.
    expect((await admin.client.patch(`${members}/${member.id}`, { role: "owner" })).status).toBe(403);
    const promoted = await owner.client.patch(`${members}/${member.id}`, { role: "admin" });
    expect(promoted.status).toBe(200);
    expect(promoted.body.member.role).toBe("admin");
    expect((await owner.client.patch(`${members}/${member.id}`, { role: "emperor" })).status).toBe(400);

    // The last owner can neither leave nor be demoted.
    expect((await owner.client.delete(`${members}/${owner.id}`)).status).toBe(409);
    expect((await owner.client.patch(`${members}/${owner.id}`, { role: "member" })).status).toBe(409);

    // Admins cannot remove the owner; members can leave; owners remove anyone.
    expect((await admin.client.delete(`${members}/${owner.id}`)).status).toBe(403);
    expect((await member.client.delete(`${members}/${member.id}`)).status).toBe(204);
    expect((await owner.client.delete(`${members}/${admin.id}`)).status).toBe(204);
    expect((await owner.client.delete(`${members}/${admin.id}`)).status).toBe(404);

    const team = await owner.client.get(`/api/v1/teams/${slug}`);
    expect(team.body.team.members.map((m: { userId: string }) => m.userId)).toEqual([owner.id]);
  });
});
