import { utimes, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestContext, makeTeam, makeUser, publishTestVector, registerTinyFoundation, type TestContext } from "../../testing";
import { collectGarbage } from "./collect";

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(async () => {
  await t.cleanup();
});

const HOUR = 3600_000;
async function age(path: string, ms: number) {
  const when = new Date(Date.now() - ms);
  await utimes(path, when, when);
}

describe("collectGarbage", () => {
  it("removes old unreferenced blobs and scratch files, and keeps everything referenced or recent", async () => {
    const owner = await makeUser(t.ctx, "owner");
    await makeTeam(t.ctx, owner.actor, "acme");
    await registerTinyFoundation(t, owner.actor, "acme");
    const { version } = await publishTestVector(t, owner.actor);

    // A blob committed by a process that died before its transaction committed: no row refers to it.
    const orphan = await t.ctx.blobs.commit(await t.ctx.blobs.stage(Readable.from([Buffer.from("orphaned bytes")])));
    await age(await t.ctx.blobs.localPath(orphan.hash), 2 * HOUR);
    // One just committed by an upload whose transaction is still open.
    const young = await t.ctx.blobs.commit(await t.ctx.blobs.stage(Readable.from([Buffer.from("in flight")])));
    // A scratch file of an upload cut off by a crash, and one still being written.
    const stale = await t.ctx.blobs.scratchPath(".part");
    await writeFile(stale, "half an upload");
    await age(stale, 2 * HOUR);
    const live = await t.ctx.blobs.scratchPath(".part");
    await writeFile(live, "uploading");
    // Referenced blobs stay whatever their age.
    await age(await t.ctx.blobs.localPath(version.sha256), 2 * HOUR);

    const dry = await collectGarbage(t.ctx, { dryRun: true });
    expect(dry).toEqual({ orphanBlobs: [orphan.hash], scratchFilesRemoved: 0, dryRun: true });
    expect(await t.ctx.blobs.has(orphan.hash)).toBe(true);

    const report = await collectGarbage(t.ctx);
    expect(report).toEqual({ orphanBlobs: [orphan.hash], scratchFilesRemoved: 1, dryRun: false });
    expect(await t.ctx.blobs.has(orphan.hash)).toBe(false);
    expect(await t.ctx.blobs.has(young.hash)).toBe(true);
    expect(await t.ctx.blobs.has(version.sha256)).toBe(true);
    const scratchDir = join(stale, "..");
    expect((await readdir(scratchDir)).map((f) => join(scratchDir, f))).toEqual([live]);
  });
});
