import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { addMember } from "../teams";
import { yankVersion } from "../vectors";
import { listAudit, recordAudit } from "./index";

let t: TestContext;
let owner: Awaited<ReturnType<typeof makeUser>>;
beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  await makeTeam(t.ctx, owner.actor, "acme");
});
afterEach(async () => {
  await t.cleanup();
});

describe("listAudit", () => {
  it("returns the team's trail newest first with actors and details", async () => {
    await registerTinyFoundation(t, owner.actor, "acme");
    const { version } = await publishTestVector(t, owner.actor);
    await yankVersion(t.ctx, owner.actor, version.id);
    const entries = await listAudit(t.ctx, owner.actor, "acme");
    expect(entries.map((e) => e.action)).toEqual(["version.yank", "vector.publish", "vector.create", "foundation.register", "team.create"]);
    expect(entries[0]).toMatchObject({ actor: { id: owner.id }, targetType: "version", targetId: version.id, details: { version: "1.0.0" } });
    expect(await listAudit(t.ctx, owner.actor, "acme", { limit: 2 })).toHaveLength(2);
  });

  it("is for team admins and owners only", async () => {
    const admin = await makeUser(t.ctx, "admin");
    const member = await makeUser(t.ctx, "member");
    const outsider = await makeUser(t.ctx, "outsider");
    await addMember(t.ctx, owner.actor, "acme", { email: admin.email, role: "admin" });
    await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
    await expect(listAudit(t.ctx, admin.actor, "acme")).resolves.toHaveLength(3);
    await expect(listAudit(t.ctx, member.actor, "acme")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listAudit(t.ctx, outsider.actor, "acme")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(listAudit(t.ctx, null, "acme")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(listAudit(t.ctx, owner.actor, "nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("recordAudit writes inside the caller's transaction, so a rollback drops it", async () => {
    const team = await t.ctx.db.team.findUniqueOrThrow({ where: { slug: "acme" } });
    await expect(
      t.ctx.db.$transaction(async (tx) => {
        await recordAudit(tx, { actorId: owner.id, teamId: team.id, action: "team.member.add", targetType: "user", targetId: "x" });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await t.ctx.db.auditLog.count({ where: { action: "team.member.add" } })).toBe(0);
  });
});
