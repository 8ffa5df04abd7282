import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { createEntitlement } from "../entitlements";
import { yankVersion } from "../vectors";
import { openVersionDownload } from "./index";

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

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
async function counts(vectorId: string) {
  const v = await t.ctx.db.taskVector.findUniqueOrThrow({ where: { id: vectorId } });
  return { counter: v.downloads, rows: await t.ctx.db.download.count() };
}

describe("openVersionDownload", () => {
  it("streams the whole file with its hash and a descriptive filename, counting one download", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor, { vectorSlug: "sentiment" });
    const d = await openVersionDownload(t.ctx, null, version.id);
    const bytes = await readAll(d.stream);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(version.sha256);
    expect(d).toMatchObject({ size: version.sizeBytes, length: version.sizeBytes, sha256: version.sha256, filename: "acme-sentiment-1.0.0.safetensors" });
    expect(d.contentRange).toBeUndefined();
    expect(await counts(vector.id)).toEqual({ counter: 1, rows: 1 });
    const row = await t.ctx.db.download.findFirstOrThrow();
    expect(row).toMatchObject({ versionId: version.id, userId: null });
  });

  it("serves byte ranges and counts only requests that start at byte 0", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor);
    const whole = await readAll((await openVersionDownload(t.ctx, owner.actor, version.id)).stream);
    expect(await counts(vector.id)).toEqual({ counter: 1, rows: 1 });

    const first = await openVersionDownload(t.ctx, owner.actor, version.id, { start: 0, end: 99 });
    expect(first).toMatchObject({ length: 100, range: { start: 0, end: 99 }, contentRange: `bytes 0-99/${whole.length}` });
    expect(Buffer.compare(await readAll(first.stream), whole.subarray(0, 100))).toBe(0);
    expect(await counts(vector.id)).toEqual({ counter: 2, rows: 2 });

    const rest = await openVersionDownload(t.ctx, owner.actor, version.id, { start: 100 });
    expect(Buffer.compare(await readAll(rest.stream), whole.subarray(100))).toBe(0);
    const tail = await openVersionDownload(t.ctx, owner.actor, version.id, { suffix: 10 });
    expect(tail.contentRange).toBe(`bytes ${whole.length - 10}-${whole.length - 1}/${whole.length}`);
    expect(Buffer.compare(await readAll(tail.stream), whole.subarray(whole.length - 10))).toBe(0);
    const clamped = await openVersionDownload(t.ctx, owner.actor, version.id, { start: 50, end: 10 ** 9 });
    expect(clamped.range).toEqual({ start: 50, end: whole.length - 1 });
    clamped.stream.destroy();
    expect(await counts(vector.id)).toEqual({ counter: 2, rows: 2 });

    await expect(openVersionDownload(t.ctx, owner.actor, version.id, { start: whole.length })).rejects.toMatchObject({
      code: "INVALID",
      details: { reason: "range-not-satisfiable", size: whole.length },
    });
  });

  it("records the downloading user", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    const u = await makeUser(t.ctx, "fan");
    (await openVersionDownload(t.ctx, u.actor, version.id)).stream.destroy();
    expect(await t.ctx.db.download.findFirstOrThrow()).toMatchObject({ userId: u.id });
  });

  it("enforces entitlements: anonymous → UNAUTHENTICATED, other users → FORBIDDEN, owners and buyers allowed", async () => {
    const { vector, version } = await publishTestVector(t, owner.actor, { listing: { kind: "paid", priceCents: 100, licence: "personal", redistribution: false } });
    const other = await makeUser(t.ctx, "other");
    const buyer = await makeUser(t.ctx, "buyer");
    await createEntitlement(t.ctx.db, { vectorId: vector.id, userId: buyer.id, source: "purchase" });
    await expect(openVersionDownload(t.ctx, null, version.id)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(openVersionDownload(t.ctx, other.actor, version.id)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(openVersionDownload(t.ctx, other.actor, "missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await counts(vector.id)).toEqual({ counter: 0, rows: 0 });
    (await openVersionDownload(t.ctx, buyer.actor, version.id)).stream.destroy();
    (await openVersionDownload(t.ctx, { userId: owner.id, scopes: ["read"] }, version.id)).stream.destroy();
    expect(await counts(vector.id)).toEqual({ counter: 2, rows: 2 });
  });

  it("refuses yanked versions of free vectors to the public but not to the owner team", async () => {
    const { version } = await publishTestVector(t, owner.actor);
    await yankVersion(t.ctx, owner.actor, version.id);
    await expect(openVersionDownload(t.ctx, null, version.id)).rejects.toMatchObject({ code: "FORBIDDEN", details: { reason: "yanked" } });
    (await openVersionDownload(t.ctx, owner.actor, version.id)).stream.destroy();
  });
});
