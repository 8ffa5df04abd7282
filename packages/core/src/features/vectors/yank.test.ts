import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { addMember } from "../teams";
import { unyankVersion, yankVersion } from "./index";

let t: TestContext;
let owner: Awaited<ReturnType<typeof makeUser>>;
beforeEach(async () => {
  t = await createTestContext();
  owner = await makeUser(t.ctx, "owner");
  await makeTeam(t.ctx, owner.actor, "acme");
  await registerTinyFoundation(t, owner.actor, "acme");
});
afterEach(async () => {
  await t.cleanup();
});

describe("yankVersion / unyankVersion", () => {
  it("flags the version, keeps the file, and audits both directions", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    const yanked = await yankVersion(t.ctx, owner.actor, version.id);
    expect(yanked).toMatchObject({ id: version.id, yanked: true, sha256: version.sha256 });
    expect(await t.ctx.blobs.has(version.sha256)).toBe(true);
    expect((await yankVersion(t.ctx, owner.actor, version.id)).yankedAt).toEqual(yanked.yankedAt);
    expect(await unyankVersion(t.ctx, owner.actor, version.id)).toMatchObject({ yanked: false, yankedAt: null });
    const actions = (await t.ctx.db.auditLog.findMany({ where: { targetId: version.id }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["vector.publish", "version.yank", "version.unyank"]);
  });

  it("is for members of the owner team with publish rights only", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    const member = await makeUser(t.ctx, "member");
    const outsider = await makeUser(t.ctx, "outsider");
    await addMember(t.ctx, owner.actor, "acme", { email: member.email, role: "member" });
    await expect(yankVersion(t.ctx, null, version.id)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(yankVersion(t.ctx, outsider.actor, version.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(yankVersion(t.ctx, { userId: member.id, scopes: ["read"] }, version.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(yankVersion(t.ctx, member.actor, "missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(yankVersion(t.ctx, member.actor, version.id)).resolves.toMatchObject({ yanked: true });
  });
});
