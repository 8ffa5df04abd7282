import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeUser, type TestContext } from "../../testing";
import { addMember, changeRole, createTeam, getTeam, listMyTeams, removeMember, requireTeamRole } from "./index";

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => {
  await t.cleanup();
});

async function teamWithRoles() {
  const owner = await makeUser(t.ctx, "owner");
  const admin = await makeUser(t.ctx, "admin");
  const member = await makeUser(t.ctx, "member");
  const outsider = await makeUser(t.ctx, "outsider");
  const team = await createTeam(t.ctx, owner.actor, { slug: "acme", name: "Acme" });
  await addMember(t.ctx, owner.actor, "acme", { email: admin.email, role: "admin" });
  await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
  return { owner, admin, member, outsider, team };
}

describe("createTeam", () => {
  it("makes the creator the owner and audits it", async () => {
    const u = await makeUser(t.ctx);
    const team = await createTeam(t.ctx, u.actor, { slug: "acme", name: "Acme", description: "we make things" });
    expect(await listMyTeams(t.ctx, u.actor)).toEqual([expect.objectContaining({ slug: "acme", role: "owner" })]);
    expect(await t.ctx.db.auditLog.count({ where: { teamId: team.id, action: "team.create" } })).toBe(1);
  });

  it("validates the slug and refuses a taken one", async () => {
    const u = await makeUser(t.ctx);
    for (const slug of ["A", "-acme", "acme_inc", "x", "a".repeat(40)]) {
      await expect(createTeam(t.ctx, u.actor, { slug, name: "X" })).rejects.toMatchObject({ code: "INVALID" });
    }
    await createTeam(t.ctx, u.actor, { slug: "acme", name: "Acme" });
    await expect(createTeam(t.ctx, u.actor, { slug: "acme", name: "Acme 2" })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("refuses anonymous callers and read-only tokens", async () => {
    const u = await makeUser(t.ctx);
    await expect(createTeam(t.ctx, null, { slug: "acme", name: "Acme" })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(createTeam(t.ctx, { userId: u.id, scopes: ["read"] }, { slug: "acme", name: "Acme" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("getTeam", () => {
  it("lists members, showing emails to members only", async () => {
    const { member } = await teamWithRoles();
    const publicView = await getTeam(t.ctx, "acme");
    expect(publicView.members.map((m) => m.role).sort()).toEqual(["admin", "member", "owner"]);
    expect(publicView.members.every((m) => m.email === null)).toBe(true);
    expect(publicView.viewerRole).toBeNull();
    const memberView = await getTeam(t.ctx, "acme", member.actor);
    expect(memberView.viewerRole).toBe("member");
    expect(memberView.members.every((m) => m.email !== null)).toBe(true);
    await expect(getTeam(t.ctx, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("membership management", () => {
  it("lets owners and admins add members, but not members or outsiders", async () => {
    const { admin, member, outsider } = await teamWithRoles();
    const newcomer = await makeUser(t.ctx, "newcomer");
    await expect(addMember(t.ctx, member.actor, "acme", { email: newcomer.email, role: "member" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addMember(t.ctx, outsider.actor, "acme", { email: newcomer.email, role: "member" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(addMember(t.ctx, null, "acme", { email: newcomer.email, role: "member" })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await addMember(t.ctx, admin.actor, "acme", { email: newcomer.email, role: "member" });
    await expect(addMember(t.ctx, admin.actor, "acme", { email: newcomer.email, role: "member" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(addMember(t.ctx, admin.actor, "acme", { email: "ghost@example.com", role: "member" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("lets only owners make owners", async () => {
    const { owner, admin, member } = await teamWithRoles();
    const newcomer = await makeUser(t.ctx, "newcomer");
    await expect(addMember(t.ctx, admin.actor, "acme", { email: newcomer.email, role: "owner" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(changeRole(t.ctx, admin.actor, "acme", member.id, "owner")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await changeRole(t.ctx, owner.actor, "acme", member.id, "owner");
    await expect(changeRole(t.ctx, admin.actor, "acme", member.id, "member")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await changeRole(t.ctx, admin.actor, "acme", (await addMember(t.ctx, owner.actor, "acme", { email: newcomer.email, role: "member" })).userId, "admin");
  });

  it("never lets the last owner step down or leave", async () => {
    const { owner, admin } = await teamWithRoles();
    await expect(changeRole(t.ctx, owner.actor, "acme", owner.id, "admin")).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(removeMember(t.ctx, owner.actor, "acme", owner.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await changeRole(t.ctx, owner.actor, "acme", admin.id, "owner");
    await removeMember(t.ctx, owner.actor, "acme", owner.id);
    expect(await listMyTeams(t.ctx, owner.actor)).toEqual([]);
  });

  it("lets members leave, admins remove members, and only owners remove owners", async () => {
    const { owner, admin, member, outsider } = await teamWithRoles();
    await expect(removeMember(t.ctx, member.actor, "acme", admin.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(removeMember(t.ctx, outsider.actor, "acme", member.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(removeMember(t.ctx, admin.actor, "acme", owner.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await removeMember(t.ctx, member.actor, "acme", member.id);
    const team = await getTeam(t.ctx, "acme");
    expect(team.members.map((m) => m.userId)).not.toContain(member.id);
  });

  it("audits membership changes", async () => {
    const { owner, member, team } = await teamWithRoles();
    await changeRole(t.ctx, owner.actor, "acme", member.id, "admin");
    await removeMember(t.ctx, owner.actor, "acme", member.id);
    const actions = (await t.ctx.db.auditLog.findMany({ where: { teamId: team.id }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["team.create", "team.member.add", "team.member.add", "team.member.role", "team.member.remove"]);
  });
});

describe("requireTeamRole", () => {
  it("orders roles owner > admin > member", async () => {
    const { owner, admin, member, outsider, team } = await teamWithRoles();
    await expect(requireTeamRole(t.ctx, owner.actor, team.id, "owner")).resolves.toMatchObject({ role: "owner" });
    await expect(requireTeamRole(t.ctx, admin.actor, team.id, "member")).resolves.toMatchObject({ role: "admin" });
    await expect(requireTeamRole(t.ctx, admin.actor, team.id, "owner")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(requireTeamRole(t.ctx, member.actor, team.id, "admin")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(requireTeamRole(t.ctx, outsider.actor, team.id, "member")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(requireTeamRole(t.ctx, null, team.id, "member")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
